"""The Excel version of a report (openpyxl): native charts, frozen headers, number and percent
formats, widths that fit Chinese text, sheet text that looks like a formula stored as text."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from functools import lru_cache

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from reports.data import COUNTS, RATES, SCORE_COLUMNS, Report
from salespipe.excel import looks_like_formula

HEADER_FILL = PatternFill("solid", fgColor="E8EEF7")
TEAM_FILL = PatternFill("solid", fgColor="F4F6FA")
FORMATS = {"count": "0", "rate": "0.0%", "score": "0.0", "money": "#,##0.00"}
BOLD = Font(bold=True)
TONE_FONTS = {"good": Font(color="1A7F37"), "bad": Font(color="C62828")}  # as the HTML report's .good / .bad


def _sheet(wb: Workbook, name: str, report: Report):
    """A new sheet set up for printing: landscape A4, as wide as one page (as many pages down as needed),
    the header row repeated on every page, the report's title and the page number in the page header.
    (A write-only sheet writes its properties with its first row: set them before anything is appended.)"""
    ws = wb.create_sheet(name)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = report.title
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    return ws


def display_width(value) -> int:
    return _text_width(str(value if value is not None else ""))


@lru_cache(maxsize=65536)
def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(ws, value, number_format: str | None = None, bold: bool = False, fill=None, font=None):
    """The value as written: plain, or a cell carrying a format or style; text that Excel would run as a
    formula (= + - @, from an input sheet) is stored as text."""
    formula_like = looks_like_formula(value)
    if not (formula_like or bold or fill or font or (number_format and value is not None)):
        return value
    cell = WriteOnlyCell(ws, value)
    if formula_like:
        cell.data_type = "s"
    if number_format:
        cell.number_format = number_format
    if font or bold:
        cell.font = Font(bold=bold, color=font.color) if font else BOLD
    if fill:
        cell.fill = fill
    return cell


def _table(ws, header: list[str], rows: list[list], formats: list[str | None], team_rows: bool = False,
           row_formats: dict[int, list[str | None]] | None = None, tones: list[list[str]] | None = None) -> None:
    """A header row and the rows (write-only sheet: widths and frozen panes are set first).
    With `team_rows`, a row whose second cell (工号) is empty is the team's total, shaded and bold;
    `row_formats` gives some rows (by index) their own formats; `tones` ("good" / "bad" / "", parallel to
    the rows) colours cells green / red."""
    widths = [display_width(h) for h in header]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], display_width(f"{value:,.2f}" if isinstance(value, float) else value))
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(60, max(8, width + 2))
    ws.freeze_panes = "B2"
    ws.append([_cell(ws, h, bold=True, fill=HEADER_FILL) for h in header])
    for number, row in enumerate(rows):
        team = team_rows and len(row) > 1 and row[1] == ""
        these = (row_formats or {}).get(number, formats)
        colours = tones[number] if tones else []
        ws.append([_cell(ws, value, FORMATS.get(fmt) if fmt else None, team, TEAM_FILL if team else None,
                         TONE_FONTS.get(colours[index]) if index < len(colours) else None)
                   for index, (value, fmt) in enumerate(zip(row, [*these, *[None] * (len(row) - len(these))]))])


def _lines(ws, rows: list[list]) -> None:
    for row in rows:
        ws.append([_cell(ws, value) for value in row])


def _number(value):
    return float(value) if value is not None else None


def write_excel(report: Report, path: Path) -> Path:
    wb = Workbook(write_only=True)  # rows streamed to the file: a year's tables stay fast
    _action_sheet(wb, report)
    ws = _sheet(wb, "活动量", report)
    people = report.people
    # column A (the chart's categories) is the label: 姓名, with 工号 where two people share it
    _table(ws, ["业务员", "工号", *(label for _, label in COUNTS + RATES), "状态"],
           [[p["label"], p["salesperson_id"] or "", *(p[c] for c, _ in COUNTS), *(p[c] for c, _ in RATES),
             "；".join(p.get("marks") or [])] for p in people],
           [None, None, *(["count"] * len(COUNTS)), "rate", "rate", None], team_rows=True)
    sellers = sum(1 for p in people if p["salesperson_id"] is not None)
    if sellers:
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
        chart.title, chart.y_axis.title = "各业务员联系方式", "次数"
        chart.add_data(Reference(ws, min_col=3, max_col=6, min_row=1, max_row=1 + sellers), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + sellers))
        chart.width, chart.height = 22, 10
        ws.add_chart(chart, f"A{len(people) + 4}")

    _change_sheet(wb, report)

    trend = _sheet(wb, "趋势", report)
    _table(trend, ["期间", "电话", "传真", "E-mail", "面访", "成单客户"],
           [[t["period"], t["calls"], t["faxes"], t["emails"], t["visits"], t["closed_customers"]] for t in report.trend],
           [None, "count", "count", "count", "count", "count"])
    if report.trend:
        line = LineChart()
        line.title = "全组趋势"
        line.add_data(Reference(trend, min_col=2, max_col=6, min_row=1, max_row=1 + len(report.trend)), titles_from_data=True)
        line.set_categories(Reference(trend, min_col=1, min_row=2, max_row=1 + len(report.trend)))
        line.width, line.height = 22, 10
        trend.add_chart(line, "H2")

    stages = _sheet(wb, "跟进阶段", report)
    _table(stages, ["阶段", "至少达到该阶段的客户数", "较上一阶段转化率"],
           [[f"{s['stage']}. {s['name']}", s["customers"], s["conversion"]] for s in report.funnel], [None, "count", "rate"])
    bar = BarChart()
    bar.type, bar.title = "bar", "跟进阶段漏斗"
    bar.add_data(Reference(stages, min_col=2, min_row=1, max_row=8), titles_from_data=True)
    bar.set_categories(Reference(stages, min_col=1, min_row=2, max_row=8))
    bar.y_axis.scaling.orientation = "minMax"
    bar.x_axis.scaling.orientation = "maxMin"
    stages.add_chart(bar, "E2")

    if report.kind == "daily":
        soon = _sheet(wb, "待回收", report)
        _table(soon, ["客户编码", "客户", "负责人", "未跟进天数", "距回收（天）", "状态"],
               [[c["customer_code"], c["name"], c["owner_label"], c["idle_days"], c["days_left"], c["status"]]
                for c in report.extra["recycle"]], [None, None, None, "count", "count", None])
    if report.kind == "weekly":
        moves = _sheet(wb, "阶段变化", report)
        _table(moves, ["跟单号", "客户", "业务员", "业务类型", "周初阶段", "周末阶段"],
               [[m["followup_no"], m["customer"], m["salesperson_label"], m["business_type"], m["stage_before"], m["stage_now"]]
                for m in report.extra["stage_moves"]], [None] * 4 + ["count", "count"])
    if report.kind == "monthly":
        _monthly_sheets(wb, report)

    if "reconciliation" in report.extra:
        _reconciliation_sheet(wb, report)
    quality = _sheet(wb, "数据质量", report)
    _table(quality, ["业务员", "不合格行数", "常见原因"],
           [[q["label"], q["rows"], "；".join(q["reasons"])] for q in report.quality["per_person"]], [None, "count", None])
    if "corrections" in report.quality:
        _lines(quality, [[], ["退回后的更正（按时：更正文件在次一工作日截止时间前交来）"]])
        _lines(quality, [["业务员", "工号", "退回行（含已更正）", "按时更正", "逾期更正", "未更正"],
                         *([c["label"], c["salesperson_id"], c["rejected_rows"], c["corrected_in_time"], c["corrected_late"],
                            c["open"]] for c in report.quality["corrections"])])
    _lines(quality, [[], ["无法读取的文件", "原因"], *([name, reason] for name, reason in report.quality["unreadable"]),
                     ["待确认的客户匹配（对）", report.quality["pending_reviews"]]])
    terms = _sheet(wb, "口径", report)
    _table(terms, ["项目", "说明"], [["数据截至", _as_of(report)],
                                     ["本报告的比较期", f"{report.comparison.label}{report.comparison.partial}"],
                                     *([name, text] for name, text in report.definitions)], [None, None])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _change_sheet(wb: Workbook, report: Report) -> None:
    """较上期变化: each person's change, coloured; when the compared period has no row at all, the sentence
    「上月（2026-10）没有数据，无法比较」 instead of a table of blanks (Report.no_previous, issue 15)."""
    change = _sheet(wb, "较上期变化", report)
    if report.no_previous:
        _lines(change, [[f"{report.comparison.label}{report.comparison.partial}"], [f"{report.no_previous}。"]])
        return
    columns = [c for c, _ in COUNTS + RATES]
    _table(change, ["业务员", *(label for _, label in COUNTS), "成单率（百分点）", "丢单率（百分点）"],
           [[p["label"], *(report.change(p, c) for c in columns)] for p in report.people],
           [None, *(["count"] * len(COUNTS)), "score", "score"],
           tones=[["", *(report.tone(p, c) for c in columns)] for p in report.people])
    _lines(change, [[], [f"{report.comparison.label}{report.comparison.partial}"],
                    ["绿色为向好，红色为变差（丢单客户量、丢单率增加为变差）"]])


def _signed_note(o: dict) -> str:
    """成单's 说明: 「订单 6,000.00 元」, 「未登记订单」 (签单核对's 日志签单但没有登记订单) or 「订单不在本期」."""
    if o["amount"] is not None:
        return f"订单 {float(o['amount']):,.2f} 元"
    return "未登记订单" if o["unlogged"] else "订单不在本期"


def _action_rows(report: Report) -> list[list]:
    """需要处理 as rows of one filterable table: 类别, 业务员, 客户, 日期, 说明 (the lists of data.actions)."""
    a = report.extra["actions"]
    out = [["未交日志", m["label"], None, None, "未交日志" if report.kind == "daily" else f"未交日志 {m['days']} 天"]
           for m in a["missing"]]
    for column, name in (("calls", "电话量"), ("visits", "面访量")):
        b = a["below"][column]
        out += [[f"{name}低于全组中位数", x["label"], None, None, f"{name} {x['value']}（中位数 {b['median']:g}，{b['of']} 人）"]
                for x in b["below"]]
    out += [["成单", o["label"], o["customer"] or o["customer_code"], o["day"],
             f"{_signed_note(o)}；结果分析：{o['analysis'] or '未填写'}"] for o in a["signed"]]
    out += [["丢单", o["label"], o["customer"] or o["customer_code"], o["day"], f"结果分析：{o['analysis'] or '未填写'}"]
            for o in a["lost"]]
    out += [["待回收", c["owner_label"], c["name"], None, c["status"]] for c in a["recycle"]]
    out += [["冲突客户待审批", c["owner_label"], c["customer"], None, f"建议归 {c['to_label']}"] for c in a["conflicts"]]
    out += [["不合格行", q["label"], None, None,
             f"{q['rows']} 行" + (f"，主要原因：{q['reason']}，{q['reason_rows']} 行" if q["reason"] else "")]
            for q in a["rejected"]]
    return out


def _action_sheet(wb: Workbook, report: Report) -> None:
    ws = _sheet(wb, "需要处理", report)
    found = _action_rows(report)
    _table(ws, ["类别", "业务员", "客户", "日期", "说明"], found or [["（没有需要处理的事项）", None, None, None, None]],
           [None, None, None, None, None])
    _lines(ws, [[], ["中位数按本期交了日志的在职业务员计算（未交日志的人不计入，偶数人时取中间两人的平均）；低于指严格小于中位数。"]])


def _reconciliation_sheet(wb: Workbook, report: Report) -> None:
    """签单核对: the period's log 签单 rows without an order and orders without a 签单 row (reports.data.reconciliation)."""
    ws = _sheet(wb, "签单核对", report)
    _table(ws, ["核对结果", "业务员", "工号", "客户编码", "客户", "日期", "业务类型", "跟单号", "来源文件", "来源行号"],
           [[x["issue"], x["name"], x["salesperson_id"], x["customer_code"], x["customer_name"], x["event_date"],
             x["business_type"], x["followup_no"], x["source_file"], x["source_row"]] for x in report.extra["reconciliation"]],
           [None] * 9 + ["count"])
    if not report.extra["reconciliation"]:
        _lines(ws, [["本期日志中的签单与登记的订单一致。"]])


def _as_of(report: Report) -> str:
    from reports.render import as_of

    return as_of(report.data_as_of)


def _monthly_sheets(wb: Workbook, report: Report) -> None:
    scores = _sheet(wb, "业绩评估", report)
    _table(scores, ["业务员", "工号", *(label for _, label in SCORE_COLUMNS), "综合排名", "缺少或按默认值计的项目"],
           [[s["label"], s["salesperson_id"] or "", *(s[c] for c, _ in SCORE_COLUMNS), s["composite_rank"],
             "、".join(s["own_missing"])] for s in report.extra["scores"]],
           [None, None, *(["score"] * len(SCORE_COLUMNS)), "count", None])
    if report.extra.get("scores_shared"):  # said once (the header row stays row 1: frozen, repeated on every page)
        _lines(scores, [[], [f"缺少或按默认值计的项目 — 全员：{'、'.join(report.extra['scores_shared'])}"]])
    sales = _sheet(wb, "目标完成", report)
    _table(sales, ["业务员", "工号", "销售收入（元）", "毛利（元）", "销售收入目标（元）", "完成率"],
           [[s["label"], s["salesperson_id"], _number(s["revenue"]), _number(s["gross_profit"]),
             _number(s["revenue_target"]), s["completion"]] for s in report.extra["sales"]],
           [None, None, "money", "money", "money", "rate"])
    overdue = _sheet(wb, "逾期应收", report)
    _table(overdue, ["客户编码", "客户", "业务员", "应收未收（元）", "逾期天数", "约定回款日期"],
           [[o["customer_code"], o["name"], o["label"], _number(o["amount_due"]), o["days_overdue"], o["due_date"]]
            for o in report.extra["overdue"]], [None, None, None, "money", "count", None])
    fair = _sheet(wb, "分配公平性", report)
    _table(fair, ["业务员", "工号", "本月分到的新客户", "本月分到的回收客户", f"近{report.extra['fairness_days']}天新客户",
                  f"近{report.extra['fairness_days']}天回收客户", "现有客户", "客户容量"],
           [[f["label"], f["salesperson_id"], f["month_leads"], f["month_recycled"], f["trailing_leads"],
             f["trailing_recycled"], f["owned"], f["capacity"]] for f in report.extra["fairness"]],
           [None, None, *["count"] * 6])
    months = sorted({g["month"] for g in report.extra["gantt"]})
    customers = {}
    for g in report.extra["gantt"]:
        customers.setdefault((g["customer_code"], g["customer"]), {})[g["month"]] = _number(g["amount"])
    tracking = _sheet(wb, "销售业绩跟踪", report)
    _table(tracking, ["客户编码", "客户", *(m.strftime("%Y-%m") for m in months)],
           [[code, name, *(by_month.get(m) for m in months)] for (code, name), by_month in customers.items()],
           [None, None, *(["money"] * len(months))])
