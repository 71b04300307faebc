"""`salespipe template`: one blank workbook per kind of sheet, with drop-downs and a 填写说明 sheet."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from salespipe.excel import set_cell
from salespipe.ingest import values as V
from salespipe.ingest.kinds import KINDS, Column, Kind
from salespipe.ingest.rows import ENUMS

BODY_ROWS = 500  # rows that carry drop-downs and formats
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")


def choices(column: Column) -> list[str] | None:
    """The drop-down values of an enumerated column, or None."""
    if column.parser.startswith("enum:"):
        return ENUMS[column.parser[5:]].values
    if column.parser == "business":
        return list(V.BUSINESS_TYPES)
    if column.parser == "stage":
        return [f"{n}.{name}" for n, name in V.STAGE_NAMES.items()]
    if column.field == "customer_class" and column.required:
        return list(V.BC_CLASSES)
    return None


PARSER_HELP = {
    "date": "日期，如 2026-11-26", "month": "月份，如 2026-11", "money": "金额（元），可写 1.28万元",
    "phone": "手机 11 位；座机带区号，如 022-23456789", "business": "类型或 类型+类别，如 企业内训+中层管理",
    "score": "0-100 分", "rating": "1-5 分", "specialties": "业务类型，用 、 分隔",
}
FIELD_HELP = {
    "customer_name": "请填写全称（带 有限公司 / 厂 / 中心 等）",
    "address": "B/B1 类及以上写到路名门牌号，其他至少写到区（县）",
}


def column_help(column: Column) -> str:
    parts = ["也可在表头上方写一次，如「业务员：张三」「日期：2026-11-26」"] if column.from_title else []
    parts += [text for text in (PARSER_HELP.get(column.parser), FIELD_HELP.get(column.field)) if text]
    return "；".join(parts)


def write_template(kind: Kind, out_dir: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = kind.name
    options = wb.create_sheet("_选项")
    options.sheet_state = "hidden"
    option_col = 0
    for index, column in enumerate(kind.columns, start=1):
        cell = ws.cell(1, index, column.name)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(12, 2.2 * len(column.name) + 4)
        body = f"{letter}2:{letter}{BODY_ROWS + 1}"
        if values := choices(column):
            option_col += 1
            opt_letter = get_column_letter(option_col)
            for r, value in enumerate(values, start=1):
                set_cell(options, r, option_col, value)
            dv = DataValidation(type="list", formula1=f"'_选项'!${opt_letter}$1:${opt_letter}${len(values)}",
                                allow_blank=not column.required, showErrorMessage=False)
            dv.prompt, dv.promptTitle, dv.showInputMessage = "、".join(values)[:250], column.name, True
            ws.add_data_validation(dv)
            dv.add(body)
        if column.parser in ("date", "month"):
            for row in ws.iter_rows(min_row=2, max_row=BODY_ROWS + 1, min_col=index, max_col=index):
                row[0].number_format = "yyyy-mm-dd" if column.parser == "date" else "yyyy-mm"
        if column.parser in ("phone", "staff_no"):
            for row in ws.iter_rows(min_row=2, max_row=BODY_ROWS + 1, min_col=index, max_col=index):
                row[0].number_format = "@"  # text: keeps leading zeros and long digits
    ws.freeze_panes = "A2"
    _instructions(wb, kind)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{kind.name}.xlsx"
    wb.save(path)
    return path


def _instructions(wb: Workbook, kind: Kind) -> None:
    ws = wb.create_sheet("填写说明")
    ws.append([f"{kind.name} 填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["每行一条记录；标橙色的列必须填写。不合格的行会退回给业务员，并写明原因。"])
    ws.append([])
    ws.append(["列名", "是否必填", "可填写的值", "也接受的列名", "说明"])
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for column in kind.columns:
        ws.append([column.name, "必填" if column.required else "", "、".join(choices(column) or []),
                   "、".join(column.aliases), column_help(column)])
    for letter, width in zip("ABCDE", (16, 10, 40, 30, 60)):
        ws.column_dimensions[letter].width = width


def write_templates(out_dir: Path) -> list[Path]:
    return [write_template(kind, Path(out_dir)) for kind in KINDS]


REASON_FIXES = (  # (words in the reason, how to fix): reasons about the person, not the cell's format
    ("业务员重名", "同名的业务员不止一位：请在「业务员」列写工号（如 S001）"),
    ("不在业务员名册", "请把姓名写成与业务员名册一致；新同事请先请行政经理加入名册"),
    ("不是在职状态", "请核对这一行的日期是否写错；离职后交的日志由行政经理处理"),
    ("科学计数法", "请把电话列设成「文本」格式后重新输入完整号码"),
    ("是错误值", "在 Excel 或 WPS 里改正公式，或换成实际的值（单元格显示的就是这个错误，重新保存改不好）"),
    ("公式", "用 Excel 或 WPS 打开文件、保存后重交（保存会算出公式的结果）；或把公式换成实际的值"),
)


def how_to_fix(kind: str | None, column_name: str | None, reason: str) -> str:
    """One sentence telling a salesperson how to correct a rejected cell: the reason's own fix when it is
    about the person or the cell (REASON_FIXES), else the column's drop-down values and its 填写说明 help
    (the same text as the blank templates' 填写说明 sheet). Empty when nothing more can be said."""
    for words, fix in REASON_FIXES:
        if words in reason:
            return fix
    column = next((c for k in KINDS if k.key == kind for c in k.columns if c.name == column_name), None)
    if column is None:
        return ""
    parts = []
    if values := choices(column):
        parts.append("从下拉中选：" + " / ".join(values[:8]) + (" 等" if len(values) > 8 else ""))
    if text := column_help(column):
        parts.append(text)
    if not parts and column.required:
        parts.append(f"「{column.name}」必须填写")
    return "；".join(parts)
