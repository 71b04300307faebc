"""`salespipe review`: the workbook of uncertain customer matches, decided by a person.

Each row shows both customers side by side (names, phones, contacts, addresses, salespeople), the
score and its reasons, and a 是否同一客户 drop-down. Put back into the inbox, ingest applies it:
是 merges the two codes (the older survives, the newer becomes its alias), 否 keeps them apart for good.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from salespipe.excel import append_row
from salespipe.warehouse import rows

HEADER = ["序号", "客户编码A", "客户名称A", "电话A", "联系人A", "地址A", "业务员A", "客户编码B", "客户名称B", "电话B",
          "联系人B", "地址B", "业务员B", "匹配得分", "理由", "是否同一客户", "审核人"]


def _profile(con, code: str) -> tuple[str, str, str, str, str]:
    found = rows(con, """
        with seen as (
            select customer_code, phone, contact, address, salesperson_id from activities
            union all select customer_code, phone, contact, address, salesperson_id from bc_registrations
        )
        select c.name,
               string_agg(distinct s.phone, '、'), string_agg(distinct s.contact, '、'),
               coalesce(c.address, any_value(s.address)), string_agg(distinct p.name, '、')
        from customers c
        left join customer_aliases m on m.customer_code = c.customer_code
        left join seen s on s.customer_code = c.customer_code or s.customer_code = m.alias_code
        left join salespeople p on p.salesperson_id = s.salesperson_id
        where c.customer_code = ? group by c.name, c.address""", [code])
    return tuple(x or "" for x in found[0]) if found else ("", "", "", "", "")


def write_review(con, out_dir: Path, today: dt.date) -> tuple[Path, int]:
    pairs = rows(con, "select left_code, right_code, score, reasons from customer_match_review "
                      "order by score desc, left_code, right_code")
    wb = Workbook()
    ws = wb.active
    ws.title = "客户匹配确认"
    ws.append([f"客户匹配待确认（{today.isoformat()}）：请在「是否同一客户」列选择 是 / 否，保存后放回收件箱"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(HEADER)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for number, (left, right, score, reasons) in enumerate(pairs, start=1):
        a, b = _profile(con, left), _profile(con, right)
        append_row(ws, [number, left, *a, right, *b, round(score, 1), reasons, None, None])
    decision = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(decision)
    decision.add(f"P3:P{max(3, len(pairs) + 2)}")
    widths = [6, 11, 28, 16, 10, 28, 10, 11, 28, 16, 10, 28, 10, 9, 40, 13, 10]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(2, index).column_letter].width = width
    ws.freeze_panes = "C3"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"客户匹配待确认_{today.isoformat()}.xlsx"
    wb.save(path)
    return path, len(pairs)
