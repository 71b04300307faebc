"""`salespipe review`: the workbook of uncertain customer matches, decided by a person.

Each row shows both customers side by side (names, phones, contacts, addresses, salespeople), whether
phone, contact and address agree (相同 green / 不同 red / （缺）), the score and its reasons, and a 是否同一客户
drop-down. Put back into the inbox, ingest applies it:
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
          "联系人B", "地址B", "业务员B", "电话", "联系人", "地址", "匹配得分", "理由", "是否同一客户", "审核人"]
SAME, DIFFERENT, MISSING = "相同", "不同", "（缺）"
FILLS = {SAME: PatternFill("solid", fgColor="C6EFCE"), DIFFERENT: PatternFill("solid", fgColor="FFC7CE")}


def agreement(a: str, b: str) -> str:
    """相同 when the two customers share a value (lists joined with 、), 不同 when both have values and share
    none, （缺） when either has none: the reviewer sees at a glance which fields agree."""
    x = {v.strip() for v in a.split("、") if v.strip()}
    y = {v.strip() for v in b.split("、") if v.strip()}
    if not x or not y:
        return MISSING
    return SAME if x & y else DIFFERENT


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
    first_check = HEADER.index("电话") + 1
    for number, (left, right, score, reasons) in enumerate(pairs, start=1):
        a, b = _profile(con, left), _profile(con, right)
        checks = [agreement(a[i], b[i]) for i in (1, 2, 3)]  # phone, contact, address
        append_row(ws, [number, left, *a, right, *b, *checks, round(score, 1), reasons, None, None])
        for offset, check in enumerate(checks):
            if check in FILLS:
                ws.cell(ws.max_row, first_check + offset).fill = FILLS[check]
    decision = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    ws.add_data_validation(decision)
    column = ws.cell(2, HEADER.index("是否同一客户") + 1).column_letter
    decision.add(f"{column}3:{column}{max(3, len(pairs) + 2)}")
    widths = [6, 11, 28, 16, 10, 28, 10, 11, 28, 16, 10, 28, 10, 7, 7, 7, 9, 40, 13, 10]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(2, index).column_letter].width = width
    ws.freeze_panes = "C3"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"客户匹配待确认_{today.isoformat()}.xlsx"
    wb.save(path)
    return path, len(pairs)
