"""Reports against hand-worked figures, in HTML and Excel, and inert input text."""
import datetime as dt
import re

import openpyxl
import pytest

from reports import make_report
from reports.feedback import make_feedback
from salespipe.customers.normalize import clean_name
from reporting import EARLIER, FORMULA, MON, SCRIPT, Tables, build

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


def change_table(html_path):
    html = html_path.read_text(encoding="utf-8")
    return {r[0]: r[1:] for r in Tables(html).tables["change"][1:]}, html


def test_monday_compares_with_the_friday_before(built, tmp_path):
    # Friday 11-20: 张三 phoned SCRIPT and FORMULA (both class B, both first seen), SCRIPT's order of 8000 (签单)
    #   → 张三 calls 2, BC 2, closed 1, lost 0, new 2, followed 2: 50.0%, 0.0%; 李四 in service, no rows
    # Monday − Friday: 张三 calls 1 − 2 = −1, e-mail +1, visits +1, BC 2 − 2 = 0, closed 0 − 1 = −1, lost +1, new 0,
    #   成单率 0 − 50 = −50.0 points, 丢单率 50 − 0 = +50.0; team calls 2 − 2 = 0, closed 1 − 1 = 0, 成单率 50 − 50 = 0.
    # (Sunday 11-22, the calendar day before, had 张三's one call to 丙: team calls would be +1.)
    (html_path,), _ = make_report(built.config, "daily", MON, ["html"], tmp_path)
    change, html = change_table(html_path)
    assert change["张三"] == ["-1", "0", "+1", "+1", "0", "-1", "+1", "0", "-50.0个百分点", "+50.0个百分点"]
    assert change["李四"] == ["+1", "0", "0", "0", "+1", "+1", "0", "0", "—", "—"]  # no rates on Friday: nothing followed
    assert change["全组合计"] == ["0", "0", "+1", "+1", "0", "0", "+1", "0", "0", "+50.0个百分点"]
    assert '<h2 id="change-label">较上期变化：较 11-20（周五）</h2>' in html


@pytest.mark.parametrize("kind, day, through, previous, label, partial", [
    # the demo month's (2026-11) last workday is Monday 11-30: its daily compares with Friday 11-27
    ("daily", "2026-11-30", "2026-11-30", ("2026-11-27", "2026-11-27"), "较 11-27（周五）", ""),
    # the first workday after 国庆 (10-01 … 10-07 off) compares with the last one before it
    ("daily", "2026-10-08", "2026-10-08", ("2026-09-30", "2026-09-30"), "较 09-30（周三）", ""),
    # the Monday after the 调休 Saturday 10-10 compares with that Saturday
    ("daily", "2026-10-12", "2026-10-12", ("2026-10-10", "2026-10-10"), "较 10-10（周六）", ""),
    # after 春节 (02-15 … 02-23 off) with the 调休 Saturday 02-14 before it
    ("daily", "2026-02-24", "2026-02-24", ("2026-02-14", "2026-02-14"), "较 02-14（周六）", ""),
    # the demo's weekly of Monday 11-30: a Monday-only week against the Monday before
    ("weekly", "2026-11-30", "2026-11-30", ("2026-11-23", "2026-11-23"), "较上周同期（11-23（周一））",
     "（本周截至周一，与上周同期比较：各 1 个工作日）"),
    # Friday is the week's last workday: the whole week against the whole week before
    ("weekly", "2026-11-27", "2026-11-29", ("2026-11-16", "2026-11-22"), "较上周（11-16 ~ 11-22）", ""),
    # 国庆 week 10-05 … 10-11: workdays Thu 10-08, Fri 10-09, Sat 10-10 (调休); on Friday two are done,
    # so the week before (workdays 09-28, 09-29, 09-30) is counted to its second workday, 09-29
    ("weekly", "2026-10-09", "2026-10-09", ("2026-09-28", "2026-09-29"), "较上周同期（09-28（周一） ~ 09-29（周二））",
     "（本周截至周五，与上周同期比较：各 2 个工作日）"),
    ("monthly", "2026-11-30", "2026-11-30", ("2026-10-01", "2026-10-31"), "较上月（2026-10）", ""),
    # November to Monday 11-23: 16 workdays (5 + 5 + 5 + 1); October's 16th (after 国庆 and the 调休 10-10) is 10-28
    ("monthly", "2026-11-23", "2026-11-23", ("2026-10-01", "2026-10-28"), "较上月同期（10-01（周四） ~ 10-28（周三））",
     "（本月截至11-23（周一），与上月同期比较：各 16 个工作日）"),
])
def test_each_report_compares_with_the_previous_period_of_the_work_calendar(kind, day, through, previous, label, partial):
    from reports.data import comparison

    found = comparison(kind, dt.date.fromisoformat(day))
    assert (found.through.isoformat(), (found.previous_start.isoformat(), found.previous_through.isoformat()),
            found.label, found.partial) == (through, previous, label, partial)


def test_a_partial_week_is_compared_with_as_many_workdays_of_the_week_before(project, tmp_path):
    # 张三: Monday 11-16 one call, Tuesday 11-17 two calls, Monday 11-23 three calls (all to one customer)
    from conftest import LOG_HEADER, log_row

    project.add_roster()
    project.add("张三_1116.xlsx", [LOG_HEADER, log_row(dt.date(2026, 11, 16), "张三")])
    project.add("张三_1117.xlsx", [LOG_HEADER, *[log_row(dt.date(2026, 11, 17), "张三")] * 2])
    project.add("张三_1123.xlsx", [LOG_HEADER, *[log_row(MON, "张三")] * 3])
    project.ingest()
    # the weekly of Monday 11-23 (week not over): 3 calls against Monday 11-16's 1 → +2 (the whole week before: 3 → 0)
    (html_path,), _ = make_report(project.config, "weekly", MON, ["html"], tmp_path / "mon")
    change, html = change_table(html_path)
    assert change["张三"][0] == "+2" and change["全组合计"][0] == "+2"
    assert "较上周同期（11-16（周一））（本周截至周一，与上周同期比较：各 1 个工作日）" in html
    assert "业务员活动量（本周截至周一" in html  # the counts themselves are marked partial too
    # the weekly of Friday 11-27 (the week's last workday): the whole week, 3 calls, against the whole week, 3
    (html_path,), _ = make_report(project.config, "weekly", dt.date(2026, 11, 27), ["html"], tmp_path / "fri")
    change, html = change_table(html_path)
    assert change["张三"][0] == "0" and "较上期变化：较上周（11-16 ~ 11-22）</h2>" in html and "本周截至" not in html


def test_a_holiday_week_compares_with_the_workdays_before_the_holiday(project, tmp_path):
    # 张三 calls: 09-28 one, 09-29 one, 09-30 one (then 国庆 10-01 … 10-07), 10-08 two, 10-09 two
    from conftest import LOG_HEADER, log_row

    project.add_roster()
    calls = {dt.date(2026, 9, 28): 1, dt.date(2026, 9, 29): 1, dt.date(2026, 9, 30): 1,
             dt.date(2026, 10, 8): 2, dt.date(2026, 10, 9): 2}
    for day, n in calls.items():
        project.add(f"张三_{day:%m%d}.xlsx", [LOG_HEADER, *[log_row(day, "张三")] * n])
    project.ingest()
    # the daily of Thursday 10-08 against Wednesday 09-30: 2 − 1 = +1
    (html_path,), _ = make_report(project.config, "daily", dt.date(2026, 10, 8), ["html"], tmp_path / "d")
    change, html = change_table(html_path)
    assert change["张三"][0] == "+1" and "较上期变化：较 09-30（周三）</h2>" in html
    # the weekly of Friday 10-09 (Saturday 10-10 is a 调休 workday: the week is not over): 10-08 + 10-09 = 4 calls
    # against the week before's first two workdays 09-28 + 09-29 = 2 → +2 (the whole week before, 3: +1)
    (html_path,), _ = make_report(project.config, "weekly", dt.date(2026, 10, 9), ["html"], tmp_path / "w")
    change, html = change_table(html_path)
    assert change["张三"][0] == "+2"
    assert "较上周同期（09-28（周一） ~ 09-29（周二））（本周截至周五，与上周同期比较：各 2 个工作日）" in html


def test_more_losses_are_coloured_as_bad_in_the_report_the_mail_and_excel(built, tmp_path):
    # Monday against Friday (see above): 张三 e-mail +1 (good), 成单客户量 −1 (bad), 丢单客户量 +1 (bad),
    # 丢单率 +50 points (bad); the team 丢单客户量 +1 (bad), 丢单率 +50 (bad), e-mail +1 (good)
    import email
    import email.policy

    (html_path, xlsx_path), _ = make_report(built.config, "daily", MON, ["html", "xlsx"], tmp_path, send=True)
    html = html_path.read_text(encoding="utf-8")
    table = html[html.index('<table id="change">'):]  # (需要处理 above names 张三 too)
    zhang = table[table.index('<td class="name">张三</td>'):table.index('<td class="name">李四</td>')]
    tones = dict(re.findall(r'<td class="(\w*)" data-col="(\w+)">', zhang)[i][::-1] for i in range(10))
    assert tones == {"calls": "bad", "faxes": "", "emails": "good", "visits": "good", "bc_customers": "", "closed_customers": "bad",
                     "lost_customers": "bad", "new_customers": "", "win_rate": "bad", "loss_rate": "bad"}
    assert ".bad { color: #c62828; }" in html
    message = email.message_from_bytes((tmp_path / "销售日报_2026-11-23.eml").read_bytes(), policy=email.policy.default)
    body = message.get_body(("html",)).get_content()
    line = body[body.index('id="team-change"'):body.index("</p>", body.index('id="team-change"'))]
    assert "全组较 11-20（周五）：" in line
    assert '丢单客户量 <span style="color:#c62828;">+1</span>' in line
    assert '丢单率 <span style="color:#c62828;">+50.0个百分点</span>' in line
    assert 'e-mail量 <span style="color:#1a7f37;">+1</span>' in line and "电话量 0，" in line
    ws = openpyxl.load_workbook(xlsx_path)["较上期变化"]
    header = [c.value for c in ws[1]]
    zhang_row = next(row for row in ws.iter_rows(min_row=2) if row[0].value == "张三")
    colours = {header[c.column - 1]: (c.value, c.font.color.rgb if c.font.color is not None and c.font.color.type == "rgb"
                                      else None) for c in zhang_row[1:]}
    assert colours["丢单客户量"] == (1, "00C62828") and colours["丢单率（百分点）"] == (50.0, "00C62828")
    assert colours["e-mail量"] == (1, "001A7F37") and colours["成单客户量"] == (-1, "00C62828")
    assert colours["传真量"] == (0, None)
    assert ws.cell(row=6, column=1).value == "较 11-20（周五）"


def test_daily_excel_has_the_same_figures_formats_and_a_native_chart(built, tmp_path):
    (_, xlsx_path), _ = make_report(built.config, "daily", MON, ["html", "xlsx"], tmp_path)
    ws = openpyxl.load_workbook(xlsx_path)["活动量"]
    values = {r[0]: list(r[2:12]) for r in ws.iter_rows(min_row=2, max_row=4, values_only=True)}  # (then 状态)
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


def test_stage_moves_find_the_stage_before_the_week_however_long_ago(project):
    """A follow-up last worked more than STAGE_LOOKBACK_DAYS before the week still has its stage before it (read from
    all history only for such follow-ups). Week of Monday 11-23: 甲 stage 2 on 10-01 (53 days before), 4 on 11-23:
    2 → 4; 乙 3 on 11-16 and again 3 on 11-24: not changed; 丙 first worked on 11-25: new at 1. Largest advance first."""
    from conftest import LOG_HEADER, log_row
    from reports.data import STAGE_LOOKBACK_DAYS, stage_moves
    from salespipe.warehouse import connect

    A, B, C = "天津甲有限公司", "天津乙有限公司", "天津丙有限公司"

    def row(day, customer, phone, stage):  # class B with a 推介业务: a follow-up (跟单号) of its own
        return [*log_row(day, "张三", customer, phone=phone, stage=stage), "管理咨询", None]

    project.add_roster()
    project.add("log.xlsx", [[*LOG_HEADER, "推介业务", "客户需求"],
        row(dt.date(2026, 10, 1), A, "13700000001", "2"), row(dt.date(2026, 11, 16), B, "13700000002", "3"),
        row(MON, A, "13700000001", "4"), row(dt.date(2026, 11, 24), B, "13700000002", "3"),
        row(dt.date(2026, 11, 25), C, "13700000003", "1")])
    project.ingest()
    assert (MON - dt.date(2026, 10, 1)).days > STAGE_LOOKBACK_DAYS
    con = connect(project.config.warehouse, read_only=True)
    try:
        moves = stage_moves(con, MON, MON + dt.timedelta(days=6))
    finally:
        con.close()
    assert [(m["customer"], m["stage_before"], m["stage_now"], m["changed"]) for m in moves] == [
        (A, 2, 4, True), (C, None, 1, True), (B, 3, 3, False)]


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


def test_every_excel_sheet_prints_landscape_one_page_wide_with_its_header_repeated(built, tmp_path):
    (xlsx_path,), _ = make_report(built.config, "monthly", MON, ["xlsx"], tmp_path)
    wb = openpyxl.load_workbook(xlsx_path)
    assert len(wb.sheetnames) >= 10
    for ws in wb.worksheets:
        setup = (ws.page_setup.orientation, ws.page_setup.paperSize, ws.sheet_properties.pageSetUpPr.fitToPage,
                 ws.page_setup.fitToWidth, ws.page_setup.fitToHeight, ws.print_title_rows)
        assert setup == ("landscape", 9, True, 1, 0, "$1:$1"), ws.title  # A4 is paper size 9; 0 = as many pages down
        assert ws.oddHeader.center.text == "销售月报（2026-11-01 ~ 2026-11-30）"


def test_the_monthly_files_are_named_by_their_month(built, tmp_path):
    paths, notes = make_report(built.config, "monthly", MON, ["html", "xlsx"], tmp_path, send=True)
    assert [p.name for p in paths] == ["销售月报_2026-11.html", "销售月报_2026-11.xlsx"]
    assert (tmp_path / "销售月报_2026-11.eml").exists() and not list(tmp_path.glob("*2026-11-01*"))
    # the daily and the weekly keep their day (the week's Monday)
    assert [p.name for p in make_report(built.config, "weekly", MON, ["xlsx"], tmp_path)[0]] == ["销售周报_2026-11-23.xlsx"]


def test_each_report_states_its_data_time_and_the_definitions_of_its_figures(built, tmp_path):
    import email
    import email.policy
    from zoneinfo import ZoneInfo

    from conftest import LOG_HEADER, log_row
    from reports.data import COUNTS, RATES

    # a second ingest run on Tuesday 09:30 (Shanghai): the warehouse the report reads holds its rows too
    built.add("李四_1124.xlsx", [LOG_HEADER, log_row(dt.date(2026, 11, 24), "李四")])
    built.ingest(now=dt.datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    (html_path, xlsx_path), _ = make_report(built.config, "daily", MON, ["html", "xlsx"], tmp_path, send=True)
    html = html_path.read_text(encoding="utf-8")
    assert '<p id="as-of" class="muted">数据截至 2026-11-24 09:30' in html
    terms = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html))
    assert terms["成单率"] == ("成单客户量 ÷ 跟进客户量；跟进客户量 = 期间内该业务员有任何已接受的行或订单的不同客户数；"
                            "跟进客户量为 0 时显示「—」")
    assert terms["丢单客户量"].startswith("期间内该业务员有结果为「丢单」的日志行、且期间内没有该业务员签单事件")
    shown = {part for name in terms for part in name.split(" / ")}
    assert {label for _, label in COUNTS + RATES} <= shown  # every figure of the table has its 口径
    message = email.message_from_bytes((tmp_path / "销售日报_2026-11-23.eml").read_bytes(), policy=email.policy.default)
    assert "数据截至 2026-11-24 09:30" in message.get_body(("plain",)).get_content()
    body = message.get_body(("html",)).get_content()
    assert "数据截至 2026-11-24 09:30" in body and "<b>成单率</b>：成单客户量 ÷ 跟进客户量；" in body
    sheet = {r[0]: r[1] for r in openpyxl.load_workbook(xlsx_path)["口径"].iter_rows(min_row=2, values_only=True)}
    assert sheet["数据截至"] == "2026-11-24 09:30" and sheet["本报告的比较期"] == "较 11-20（周五）"
    assert sheet["成单率"] == terms["成单率"]
    # the monthly adds money and the score's weights (the configuration's: 40% for 销售收入)
    (html_path,), _ = make_report(built.config, "monthly", MON, ["html"], tmp_path / "m")
    monthly = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html_path.read_text(encoding="utf-8")))
    assert monthly["完成率"] == "销售收入 ÷ 销售收入目标"
    assert monthly["业绩评估（第八章 表17）"].startswith("销售收入 40%：100 × 销售收入 ÷ 销售收入目标；销售利润 20%：")
    assert "综合 = 0.3 × 素质 + 0.7 × 能力" in monthly["能力 / 素质 / 综合"]


# ---------------------------------------------------------------- issue 15: static charts, funnel, drill-down

def test_the_funnels_last_step_is_the_teams_closed_customers(project):
    from reports import load_report

    build(project)
    # November: log rows (stage 1) for SCRIPT, FORMULA, 丙, 甲, 乙; 李四's 签单 row for 甲 (stage 7); SCRIPT's order of
    # 11-20 (no stage, but an order: signed, so stage 7). At least 1: 5; at least 2 … 7: 甲 and SCRIPT = 2, which is the
    # team's 成单客户量 (甲 by 李四's 签单 row, SCRIPT by 张三's order)
    report = load_report(project.config, "monthly", MON)
    assert [s["customers"] for s in report.funnel] == [5, 2, 2, 2, 2, 2, 2]
    assert report.team["closed_customers"] == 2


def test_the_funnel_counts_customers_who_reached_at_least_each_stage_and_the_conversion(project, tmp_path):
    from conftest import LOG_HEADER, log_row

    from reports import load_report

    project.add_roster()
    w, x, y, z = "天津子有限公司", "天津丑有限公司", "天津寅有限公司", "天津卯有限公司"
    project.add("张三_1120.xlsx", [LOG_HEADER, log_row(EARLIER, "张三", y, stage="4")])  # the week before: not counted
    project.add("张三_1123.xlsx", [LOG_HEADER, log_row(MON, "张三", w, stage="1"), log_row(MON, "张三", x, stage="1"),
                                  log_row(MON, "张三", z, stage="5")])
    project.add("李四_1124.xlsx", [LOG_HEADER, log_row(dt.date(2026, 11, 24), "李四", x, stage="3"),
                                  log_row(dt.date(2026, 11, 24), "李四", y, stage="2")])
    project.add("李四_1130.xlsx", [LOG_HEADER, log_row(dt.date(2026, 11, 30), "李四", x, stage="6")])  # next week
    project.ingest()
    # the week of 11-23: furthest stage in the week — 子 1, 丑 3 (1 then 3; its 6 is next week), 寅 2 (its 4 was the
    # week before), 卯 5. At least stage k: 1 → 4, 2 → 3 (丑 寅 卯), 3 → 2 (丑 卯), 4 → 1, 5 → 1, 6 → 0, 7 → 0;
    # conversion 3/4 = 75.0%, 2/3 = 66.7%, 1/2 = 50.0%, 1/1 = 100.0%, 0/1 = 0.0%, 0/0 → —
    report = load_report(project.config, "weekly", MON)
    assert [(s["stage"], s["customers"]) for s in report.funnel] == [(1, 4), (2, 3), (3, 2), (4, 1), (5, 1), (6, 0), (7, 0)]
    assert [None if s["conversion"] is None else round(s["conversion"] * 100, 1) for s in report.funnel] == [
        None, 75.0, 66.7, 50.0, 100.0, 0.0, None]
    (html_path, xlsx_path), _ = make_report(project.config, "weekly", MON, ["html", "xlsx"], tmp_path)
    html = html_path.read_text(encoding="utf-8")
    chart = html[html.index('id="chart-funnel"'):html.index("</figure>", html.index('id="chart-funnel"'))]
    assert "2. 详细沟通/面谈/制作方案或提纲：3 位客户，较上一阶段 75.0%" in chart
    assert "3. 已发方案或提纲：2 位客户，较上一阶段 66.7%" in chart and "7. 签订订单：0 位客户，较上一阶段 —" in chart
    sheet = list(openpyxl.load_workbook(xlsx_path)["跟进阶段"].iter_rows(min_row=2, max_row=8, values_only=True))
    assert [(r[1], r[2]) for r in sheet][:3] == [(4, None), (3, 0.75), (2, 2 / 3)]
    terms = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html))
    assert terms["跟进阶段漏斗"].startswith("第 k 阶段的客户数 = 期间内（按日志日期）至少达到第 k 阶段的不同客户数")


def drill_cells(html: str) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """(salesperson_id, column) -> (the figure shown, the <li> items under it) for every count cell that opens."""
    table = html[html.index('<table id="activity">'):html.index("</table>", html.index('<table id="activity">'))]
    cells = {}
    for sp, row in re.findall(r'data-salesperson="(S\d+)">(.*?)</tr>', table, re.S):
        for col, cell in re.findall(r'<td data-col="(\w+)">(.*?)</td>', row, re.S):
            summary = re.search(r"<summary>(\d+)</summary>", cell)
            if col.endswith("_rate"):
                continue
            cells[(sp, col)] = (int(summary.group(1)) if summary else int(cell),
                                re.findall(r"<li>(.*?)</li>", cell, re.S))
    return cells


def listed_rows(items: list[str]) -> int:
    return sum(len(numbers.split("、")) for item in items for numbers in re.findall(r"第 ([\d、]+) 行", item))


def test_every_count_cell_opens_to_exactly_the_customers_and_rows_it_counted(built, tmp_path):
    from reports.data import COUNTS, ROW_COUNTS

    (daily,), _ = make_report(built.config, "daily", MON, ["html"], tmp_path / "d")
    cells = drill_cells(daily.read_text(encoding="utf-8"))
    # Monday, 张三_1123.xlsx (Sheet1; row 1 the header): row 2 甲 电话 B, row 3 甲 面访 B, row 4 乙 E-mail C 丢单,
    # row 5 乙 飞鸽 (rejected); 李四_1123.xlsx row 2: 甲 电话 B 签单. 甲 is KH000004, 乙 KH000005 (see the feedback test)
    a, b = "天津甲有限公司（KH000004）：", "天津乙有限公司（KH000005）："
    assert cells[("S001", "calls")] == (1, [a + "张三_1123.xlsx／Sheet1 第 2 行"])
    assert cells[("S001", "visits")] == (1, [a + "张三_1123.xlsx／Sheet1 第 3 行"])
    assert cells[("S001", "emails")] == (1, [b + "张三_1123.xlsx／Sheet1 第 4 行"])
    assert cells[("S001", "bc_customers")] == (2, [a + "张三_1123.xlsx／Sheet1 第 2、3 行", b + "张三_1123.xlsx／Sheet1 第 4 行"])
    assert cells[("S001", "lost_customers")] == (1, [b + "张三_1123.xlsx／Sheet1 第 4 行"])
    # both codes were created by 张三's file that day, from its first accepted row of each (甲 row 2, 乙 row 4)
    assert cells[("S001", "new_customers")] == (2, [a + "张三_1123.xlsx／Sheet1 第 2 行", b + "张三_1123.xlsx／Sheet1 第 4 行"])
    assert cells[("S001", "closed_customers")] == (0, []) and cells[("S001", "faxes")] == (0, [])
    assert cells[("S002", "closed_customers")] == (1, [a + "李四_1123.xlsx／Sheet1 第 2 行"])
    assert cells[("S002", "new_customers")] == (0, [])
    # the month adds 张三's Friday rows and the order: 成单 is SCRIPT by orders.xlsx row 2 (the log's 签单 of 李四 is his)
    (monthly,), _ = make_report(built.config, "monthly", MON, ["html"], tmp_path / "m")
    month = drill_cells(monthly.read_text(encoding="utf-8"))
    assert month[("S001", "closed_customers")] == (
        1, ["&lt;script&gt;alert（1）&lt;/script&gt;科技有限公司（KH000001）：orders.xlsx／Sheet1 第 2 行"])
    # 电话量 of the month: 11-20 two rows, 11-22 one (丙), 11-23 one → 4 rows
    assert month[("S001", "calls")][0] == 4 and listed_rows(month[("S001", "calls")][1]) == 4
    for cells_of in (cells, month):
        assert {col for _, col in cells_of} == {col for col, _ in COUNTS}
        for (sp, col), (shown, items) in cells_of.items():
            assert shown == (listed_rows(items) if col in ROW_COUNTS else len(items)), (sp, col)


@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly"])
def test_the_report_has_no_script_and_draws_its_charts_as_inline_svg(built, tmp_path, kind):
    (html_path,), _ = make_report(built.config, kind, MON, ["html"], tmp_path)
    html = html_path.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    keys = re.findall(r'<figure class="chart[^"]*" id="chart-(\w+)"><figcaption>[^<]+</figcaption>\s*<svg', html)
    assert keys == ["methods", "trend", "funnel", *(["scores", "gantt"] if kind == "monthly" else [])]


def test_the_gantt_lists_customers_by_amount_under_chinese_month_labels(built):
    from reports import load_report
    from reports.charts import draw, gantt

    # orders besides SCRIPT's 8000 (11-20): 甲 3000 (10-15) + 2000 (11-02) = 5000, 乙 12000 (11-05).
    # By amount: 乙 12000, SCRIPT 8000, 甲 5000 (by code it would be SCRIPT KH000001, 甲 KH000004, 乙 KH000005)
    header = ["签单日期", "业务员", "客户名称", "业务类型", "合同金额", "已回款", "约定回款日期"]
    built.add("orders_2.xlsx", [header, [dt.date(2026, 10, 15), "张三", "天津甲有限公司", "咨询", 3000, 0, None],
                                [dt.date(2026, 11, 2), "张三", "天津甲有限公司", "咨询", 2000, 0, None],
                                [dt.date(2026, 11, 5), "李四", "天津乙有限公司", "咨询", 12000, 0, None]])
    built.ingest()
    report = load_report(built.config, "monthly", MON)
    ax = gantt(report).axes[0]
    # names longer than 10 characters keep their first 9 and "…": SCRIPT's cleaned name → "<script>a…"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["天津乙有限公司", "<script>a…", "天津甲有限公司"]
    # [report] gantt_months = 12: the twelve months to November 2026, 2025-12 … 2026-11 (it showed 13: 31-day steps
    # back from 11-01 reached 2025-11-25), the year written at the first month and at January
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2025年12月", "2026年1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月"]
    (chart,) = [c for c in draw(report) if c.key == "gantt"]
    assert "&lt;script&gt;a…" in chart.svg and "<script" not in chart.svg


# 签单核对 (window 31 days): 李四 wrote 签单 for 甲 on 11-23 and registered no order for 甲 → 日志签单但没有登记订单;
# 张三's order for the <script> customer of 11-20 has no 签单 row of his for it → 登记了订单但日志中没有签单.
# Neither row has a follow-up (no 推介业务 column) → 跟单号 "—". The week of 11-23 holds only 李四's row.
LI_SIGNED = ["日志签单但没有登记订单", "李四（S002）", "天津甲有限公司", "2026-11-23", "", "—", "李四_1123.xlsx 第 2 行"]
ZHANG_ORDER = ["登记了订单但日志中没有签单", "张三（S001）", clean_name(SCRIPT), "2026-11-20", "管理咨询", "—",
               "orders.xlsx 第 2 行"]


@pytest.mark.parametrize("kind, expected", [("weekly", [LI_SIGNED]), ("monthly", [LI_SIGNED, ZHANG_ORDER])])
def test_weekly_and_monthly_reconcile_signed_log_rows_against_orders(built, tmp_path, kind, expected):
    import email
    import email.policy

    (html_path, xlsx_path), _ = make_report(built.config, kind, MON, ["html", "xlsx"], tmp_path, send=True)
    html = html_path.read_text(encoding="utf-8")
    assert Tables(html).tables["reconciliation"][1:] == expected
    assert re.search(r'</table></div>\s*<h2>数据质量</h2>', html[html.index('id="reconciliation"'):])
    ws = openpyxl.load_workbook(xlsx_path)["签单核对"]
    sheet = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [[r[0], r[1], r[2], r[4], r[5].date().isoformat(), r[7], r[8], r[9]] for r in sheet] == [
        [e[0], e[1].split("（")[0], e[1][-5:-1], e[2], e[3], None, e[6].split(" ")[0], 2] for e in expected]
    (eml,) = tmp_path.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    body = message.get_body(("html",)).get_content()
    block = body[body.index('id="reconciliation"'):body.index("数据质量</h2>")]
    # grouped under its two headings, one entry a line (issue 15: not 「日志签单但没有登记订单：」 before each)
    assert "日志签单但没有登记订单（1 条）</span>：<br>· 李四（S002）天津甲有限公司 11-23" in block
    assert ("登记了订单但日志中没有签单（1 条）</span>：<br>· 张三（S001）" in block) == (kind == "monthly")
    text = message.get_body(("plain",)).get_content()
    assert "签单核对：\n  日志签单但没有登记订单（1 条）：\n    李四（S002）天津甲有限公司 2026-11-23\n" in text
    assert text.index("签单核对") < text.index("数据质量")


def test_the_daily_has_no_reconciliation(built, tmp_path):
    (html_path, xlsx_path), _ = make_report(built.config, "daily", MON, ["html", "xlsx"], tmp_path)
    assert "reconciliation" not in Tables(html_path.read_text(encoding="utf-8")).tables
    assert "签单核对" not in openpyxl.load_workbook(xlsx_path).sheetnames


def test_first_month_scores_say_why_each_is_missing_and_the_team_has_no_composite(built, tmp_path):
    # November is the first month with any data: no October row for anyone, no targets, no inspections, no ratings.
    # 张三: revenue and per-customer have no target, profit and visits no October base, his active-customer rank
    # has no October rank (→ 100, counted), no inspection this month, no quality rating
    reasons = ["销售收入：未设销售收入目标", "销售利润：首月无上期毛利", "实际拜访数：首月无上期面访量",
               "活跃客户数：首月无上期排名，按 100 计", "销售执行：本月没有日常业务检查记录", "单户销量：未设单户销量目标",
               "素质：本月没有评分"]
    (html_path, xlsx_path), _ = make_report(built.config, "monthly", MON, ["html", "xlsx"], tmp_path)
    html = html_path.read_text(encoding="utf-8")
    rows = {r[0]: r[1:] for r in Tables(html).tables["scores"][1:]}
    # the team row: 能力, 素质, 综合 and 排名 blank ("—"); the team has no target and no October either, and its
    # rank sub-scores say a team is not ranked (no 素质 reason: a team has no quality score)
    assert rows["全组合计"][6:10] == ["—", "—", "—", "—"]
    # 张三 and 李四 (the month's salespeople) both have all seven reasons: said once, as 全员, below the table;
    # the team's own are the two 全组不排名 (its other four are among 全员's)
    shared = "全员：" + "、".join(reasons)
    assert f'<li id="scores-shared">{shared}</li>' in html
    assert "<li>全组合计：活跃客户数：全组不排名、销售执行：全组不排名</li>" in html and "<li>张三：" not in html
    ws = openpyxl.load_workbook(xlsx_path)["业绩评估"]
    header = [c.value for c in ws[1]]
    sheet = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert [sheet["全组合计"][k] for k in ("能力", "素质", "综合", "综合排名")] == [None] * 4
    assert sheet["张三"]["缺少或按默认值计的项目"] is None and sheet["张三"]["能力"] == 100
    assert f"缺少或按默认值计的项目 — {shared}" in sheet


def test_a_drill_down_lists_twenty_customers_and_counts_the_others(project, tmp_path):
    from conftest import LOG_HEADER, log_row

    project.add_roster()
    # 张三 called 25 different customers on Monday: 电话量 25; the cell lists 20 of them (by code) and says 25 − 20 = 5
    project.add("张三_1123.xlsx", [LOG_HEADER, *[log_row(MON, "张三", f"天津第{n:02d}号有限公司", phone=f"1370000{n:04d}",
                                                          contact=f"联系人{n}") for n in range(1, 26)]])
    project.ingest()
    (html,), _ = make_report(project.config, "daily", MON, ["html"], tmp_path)
    cell = drill_cells(html.read_text(encoding="utf-8"))[("S001", "calls")]
    assert cell[0] == 25 and len(cell[1]) == 20
    page = html.read_text(encoding="utf-8")
    assert '<li class="more">……另有 5 个客户</li>' in page[page.index('data-salesperson="S001"'):]
