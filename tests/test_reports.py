"""Reports against hand-worked figures, in HTML and Excel, and inert input text."""
import datetime as dt

import openpyxl
import pytest

from reports import make_report
from reports.feedback import make_feedback
from salespipe.customers.normalize import clean_name
from reporting import FORMULA, MON, SCRIPT, Tables, build

# 张三 on Monday 11-23: 甲 by phone and visit (B), 乙 by e-mail (C, 丢单), one row rejected (飞鸽)
#   → calls 1, faxes 0, emails 1, visits 1, BC 2, closed 0, lost 1, new 2 (甲 乙 first seen that day); 0.0%, 50.0%
# 李四: 甲 by phone, 签单 → calls 1, BC 1, closed 1, lost 0, new 0; 100.0%, 0.0%
# team: calls 2, emails 1, visits 1, BC {甲, 乙} 2, closed {甲} 1, lost {乙} 1, new 2; 50.0%, 50.0%
ZHANG = ["1", "0", "1", "1", "2", "0", "1", "2", "0.0%", "50.0%"]
LI = ["1", "0", "0", "0", "1", "1", "0", "0", "100.0%", "0.0%"]
TEAM = ["2", "0", "1", "1", "2", "1", "1", "2", "50.0%", "50.0%"]


@pytest.fixture
def built(project):
    return build(project)


def test_daily_html_shows_the_hand_worked_figures(built, tmp_path):
    (html_path, _), _ = make_report(built.config, "daily", MON, ["html", "xlsx"], tmp_path)
    table = Tables(html_path.read_text(encoding="utf-8")).tables["activity"]
    rows = {r[0]: r[1:] for r in table[1:]}
    assert rows["张三（S001）"] == ZHANG and rows["李四（S002）"] == LI and rows["全组合计"] == TEAM
    # 王五 left on 11-15: not in the daily report of 11-23
    assert not any(name.startswith("王五") for name in rows)


def test_change_against_the_previous_day(built, tmp_path):
    # Sunday 11-22: 张三 phoned 丙 (calls 1, followed 1, new 1) → Monday team calls 2 − 1 = +1, new 2 − 1 = +1
    (html_path,), _ = make_report(built.config, "daily", MON, ["html"], tmp_path)
    change = {r[0]: r[1:] for r in Tables(html_path.read_text(encoding="utf-8")).tables["change"][1:]}
    assert change["全组合计"][0] == "+1" and change["张三"][0] == "0" and change["全组合计"][7] == "+1"
    assert change["李四"][0] == "+1"  # 李四 was in service on Sunday with no rows: 0 → 1


def test_daily_excel_has_the_same_figures_formats_and_a_native_chart(built, tmp_path):
    (_, xlsx_path), _ = make_report(built.config, "daily", MON, ["html", "xlsx"], tmp_path)
    ws = openpyxl.load_workbook(xlsx_path)["活动量"]
    values = {r[0]: list(r[2:]) for r in ws.iter_rows(min_row=2, max_row=4, values_only=True)}
    assert values["张三"] == [1, 0, 1, 1, 2, 0, 1, 2, 0.0, 0.5]
    assert values["全组合计"] == [2, 0, 1, 1, 2, 1, 1, 2, 0.5, 0.5]
    assert ws["K2"].number_format == "0.0%" and ws.freeze_panes == "B2"
    (chart,) = ws._charts
    assert chart.grouping == "stacked" and len(chart.series) == 4
    assert ws.column_dimensions["F"].width >= len("BC类客户量") + 2


def test_monthly_report_has_scores_targets_overdue_and_sales_tracking(built, tmp_path):
    (html_path, xlsx_path), _ = make_report(built.config, "monthly", MON, ["html", "xlsx"], tmp_path)
    wb = openpyxl.load_workbook(xlsx_path)
    assert {"业绩评估", "目标完成", "逾期应收", "销售业绩跟踪"} <= set(wb.sheetnames)
    overdue = list(wb["逾期应收"].iter_rows(min_row=2, values_only=True))
    # 8000 signed on 11-20, 3000 paid, due 11-21 → 5000 overdue, 9 days at the month's end (11-30)
    assert [(r[1], r[3], r[4]) for r in overdue] == [(clean_name(SCRIPT), 5000, 9)]
    tables = Tables(html_path.read_text(encoding="utf-8")).tables
    assert tables["overdue"][1][3] == "5,000.00" and "scores" in tables and "sales" in tables


def test_weekly_report_lists_stage_moves(built, tmp_path):
    (html_path,), _ = make_report(built.config, "weekly", MON, ["html"], tmp_path)
    assert "stage-moves" in Tables(html_path.read_text(encoding="utf-8")).tables


def test_script_and_formula_text_from_sheets_is_inert(built, tmp_path):
    (html_path, xlsx_path), _ = make_report(built.config, "monthly", MON, ["html", "xlsx"], tmp_path)
    html = html_path.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert（1）&lt;/script&gt;" in html
    paths, _ = make_feedback(built.config, dt.date(2026, 11, 20), tmp_path / "fb")
    (path,) = paths
    cells = [c for row in openpyxl.load_workbook(path)["已接受"].iter_rows() for c in row]
    formula = next(c for c in cells if c.value == clean_name(FORMULA))
    assert formula.data_type == "s"
    monthly = openpyxl.load_workbook(xlsx_path)["逾期应收"]
    assert monthly["B2"].value == clean_name(SCRIPT) and monthly["B2"].data_type == "s"


def test_feedback_lists_accepted_rows_with_codes_and_every_rejected_reason(built, tmp_path):
    paths, _ = make_feedback(built.config, MON, tmp_path)
    assert sorted(p.name for p in paths) == ["反馈_张三_S001_2026-11-23.xlsx", "反馈_李四_S002_2026-11-23.xlsx"]
    wb = openpyxl.load_workbook(tmp_path / "反馈_张三_S001_2026-11-23.xlsx")
    accepted = list(wb["已接受"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in accepted] == [("天津甲有限公司", "KH000004"), ("天津甲有限公司", "KH000004"),
                                               ("天津乙有限公司", "KH000005")]
    rejected = list(wb["退回（请更正后重交）"].iter_rows(min_row=2, values_only=True))
    assert [(r[3], r[5]) for r in rejected] == [("联系方式", "联系方式填写不规范：飞鸽（可填：电话、传真、E-mail、面访）")]


def test_feedback_lists_a_sheet_that_was_not_read_for_the_owner_named_in_the_file(project, tmp_path):
    from conftest import LOG_HEADER, log_row

    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row()],
                extra_sheets={"通讯录": [["姓名", "手机", "部门"], ["刘一", "13900000001", "财务"]]})
    project.ingest()
    paths, _ = make_feedback(project.config, dt.date(2026, 11, 26), tmp_path)
    assert [p.name for p in paths] == ["反馈_张三_S001_2026-11-26.xlsx"]
    workbook = openpyxl.load_workbook(paths[0])
    assert workbook.sheetnames[0] == "退回（请更正后重交）"
    header, *rejected = workbook["退回（请更正后重交）"].iter_rows(values_only=True)
    assert header == ("日期", "客户名称", "联系人", "列", "填写的值", "原因", "改法", "文件", "工作表", "行号")
    assert [(r[7], r[8], r[9], r[3]) for r in rejected] == [("日志表_张三_20261126.xlsx", "通讯录", None, "(表头)")]
    assert "通讯录" in rejected[0][5] and "未读取" in rejected[0][5]
