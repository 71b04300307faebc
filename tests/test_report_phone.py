"""What a new user found reading the demo's reports on a phone (issue 15): 成单 lines with their order, long
lists cut in the mail, score reasons said once, comparisons with an empty period, wording."""
import datetime as dt
import email
import email.policy

import openpyxl
import pytest

from conftest import LOG_HEADER, NAMESAKE_ROSTER, log_row
from reporting import Tables
from reports import make_report
from reports.render import more

THU, FRI = dt.date(2026, 11, 19), dt.date(2026, 11, 20)
HEADER = [*LOG_HEADER, "备注", "工号"]
# twelve customers, each with its own telephone number (no two match as one customer)
TWELVE = [f"天津{c}科技有限公司" for c in "甲乙丙丁戊己庚辛壬癸子丑"]


def row(day, name, sid, customer, phone, result="继续跟进", note=None, stage="1"):
    return [day, name, customer, "王经理", phone, "天津市南开区复康路12号", "B", "电话", stage, result, note, sid]


def mail(html_path):
    message = email.message_from_bytes(html_path.with_suffix(".eml").read_bytes(), policy=email.policy.default)
    return message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content()


def test_more_says_how_many_entries_the_mail_leaves_out():
    # a list of 12 shows 10: 12 − 10 = 2 left out; a list of 10 leaves none out
    assert more(list(range(12))) == "……另有 2 个，见附件报告"
    assert more(list(range(10))) == "" and more([]) == ""


@pytest.fixture
def lost_twelve(project):
    """张三 S001 on Thursday 11-19: twelve customers, each one call with 结果 丢单 and no 备注."""
    project.add_roster(NAMESAKE_ROSTER)
    project.add("张三_1119.xlsx", [HEADER, *(row(THU, "张三", "S001", name, f"137000000{i:02d}", result="丢单")
                                            for i, name in enumerate(TWELVE))])
    project.ingest(now=dt.datetime(2026, 11, 19, 18, 0))
    return project


def test_the_mail_lists_ten_lost_customers_and_says_how_many_more(lost_twelve, tmp_path):
    (html_path,), _ = make_report(lost_twelve.config, "daily", THU, ["html"], tmp_path, send=True)
    body, text = mail(html_path)
    block = body[body.index('id="action-lost"'):]
    block = block[:block.index("</td>")]
    # 12 lost customers: the first 10 (by date, salesperson, code: the order of the rows, codes given in turn)
    # are named, 甲 … 癸; 子 and 丑 are the 2 left out
    assert "丢单客户（12）" in block
    assert all(name in block for name in TWELVE[:10]) and not any(name in block for name in TWELVE[10:])
    assert "……另有 2 个，见附件报告" in block
    # no line has a 结果分析: none repeated 「结果分析：未填写」 under each, one note instead
    assert block.count("结果分析") == 1 and "结果分析：日志的「备注」列，本期均未填写" in block
    lost = text[text.index("丢单客户（12）"):text.index("待回收客户")]
    assert lost.count("— 张三") == 10 and "  ……另有 2 个，见附件报告\n" in lost
    # the attached report keeps the full list: 12 rows under the header
    assert len(Tables(html_path.read_text(encoding="utf-8")).tables["action-lost"]) == 1 + 12


# The week of Monday 11-16 (NAMESAKE_ROSTER):
#   张三 S001  Thu: 甲 签单 (备注 「价格合适」), no order of his for 甲                 → 未登记订单
#   赵六 S004  Thu: 丙 签单; orders for 丙 on Thu 6000 and Fri 1500 (备注 「续约」)    → 6000 + 1500 = 7500 元
#   王五 S003  left 11-18; Thu a sheet of two rows: 丁 (only: not in service) and 戊 without a telephone
#             number (not in service, and 联系电话 missing): 2 rows handed in, 3 problems
@pytest.fixture
def week(project):
    project.add_roster(NAMESAKE_ROSTER)
    project.add("张三_1119.xlsx", [HEADER, row(THU, "张三", "S001", TWELVE[0], "13700000001", "签单", "价格合适", "7")])
    project.add("赵六_1119.xlsx", [HEADER, row(THU, "赵六", "S004", TWELVE[2], "13700000003", "签单", None, "7")])
    project.add("王五_1119.xlsx", [HEADER, row(THU, "王五", "S003", TWELVE[3], "13700000004"),
                                  row(THU, "王五", "S003", TWELVE[4], None)])
    project.add("orders.xlsx", [["签单日期", "业务员", "工号", "客户名称", "业务类型", "合同金额", "备注"],
                                [THU, "赵六", "S004", TWELVE[2], "企业内训", 6000, None],
                                [FRI, "赵六", "S004", TWELVE[2], "企业内训", 1500, "续约"]])
    project.ingest(now=dt.datetime(2026, 11, 20, 18, 0))
    return project


def test_each_closed_customer_shows_its_orders_or_that_none_was_registered(week, tmp_path):
    (html_path, xlsx_path), _ = make_report(week.config, "weekly", FRI, ["html", "xlsx"], tmp_path, send=True)
    # 成单 2 (张三 甲, 赵六 丙), of which 1 with an order: 赵六's two orders for 丙, 6000 + 1500 = 7500
    signed = Tables(html_path.read_text(encoding="utf-8")).tables["action-signed"]
    assert signed[1:] == [["2026-11-19", TWELVE[0], "张三", "未登记订单", "价格合适"],
                          ["2026-11-20", TWELVE[2], "赵六", "7,500.00", "续约"]]
    body, text = mail(html_path)
    assert "成单客户（2，其中 1 个已登记订单）" in body and "成单客户（2，其中 1 个已登记订单）" in text
    assert f'{TWELVE[0]} — 张三：<span style="color:#c62828;">未登记订单</span>' in body
    assert f"  11-20 {TWELVE[2]} — 赵六：订单 7,500 元；结果分析：续约\n" in text
    rows = list(openpyxl.load_workbook(xlsx_path)["需要处理"].iter_rows(min_row=2, values_only=True))
    assert ("成单", "张三", TWELVE[0]) in [r[:3] for r in rows]
    assert [r[4] for r in rows if r[0] == "成单"] == ["未登记订单；结果分析：价格合适", "订单 7,500.00 元；结果分析：续约"]


def test_a_row_of_a_leaver_is_listed_once_with_all_its_reasons(week, tmp_path):
    (html_path,), _ = make_report(week.config, "daily", THU, ["html"], tmp_path, send=True)
    leavers = Tables(html_path.read_text(encoding="utf-8")).tables["leavers"][1:]
    # 2 rows handed in (3 problems): one line each; 戊's row (row 3 of the file) carries its two reasons
    assert [(r[1], r[4]) for r in leavers] == [(TWELVE[3], "2"), (TWELVE[4], "3")]
    reasons = leavers[1][5].split("；")
    assert len(reasons) == 2 and reasons[0].startswith("业务员在该日期不是在职状态") and "联系电话" in reasons[1]
    body, text = mail(html_path)
    assert "离职业务员交来的日志（2 行" in body and "离职业务员交来的日志（2 行" in text
    assert text.count("王五_1119.xlsx 第 3 行") == 1


def test_rejected_rows_say_their_main_reason_without_nested_brackets(week, tmp_path):
    (html_path,), _ = make_report(week.config, "daily", THU, ["html"], tmp_path, send=True)
    body, text = mail(html_path)
    # 王五: 2 rows rejected; 不是在职状态 on both (2 rows), 联系电话 on one → the main reason, 2 rows
    assert "王五 2 行，主要原因：业务员在该日期不是在职状态，2 行" in body
    assert "  王五 2 行，主要原因：业务员在该日期不是在职状态，2 行\n" in text
    assert "最多：" not in body and "最多：" not in text


def test_zero_clauses_are_left_out(week, tmp_path):
    (html_path,), _ = make_report(week.config, "daily", THU, ["html"], tmp_path, send=True)
    body, text = mail(html_path)
    # nothing waits for a second approver, no approvers disagree: neither clause is said with 0
    for part in (body, text):
        assert "等待另一位审批人 0 行" not in part and "意见不一致 0 行" not in part
    assert "0 行已有一位审批人的决定" not in html_path.read_text(encoding="utf-8")


def test_a_previous_period_without_any_row_is_said_instead_of_dashes(week, tmp_path):
    # Thursday 11-19 compares with Wednesday 11-18, which has no row; the week compares with 11-09 ~ 11-15, none
    for kind, day, said in (("daily", THU, "11-18（周三）没有数据，无法比较"),
                            ("weekly", FRI, "上周（11-09 ~ 11-15）没有数据，无法比较")):
        (html_path, xlsx_path), _ = make_report(week.config, kind, day, ["html", "xlsx"], tmp_path / kind, send=True)
        html = html_path.read_text(encoding="utf-8")
        assert "change" not in Tables(html).tables and f'<p id="no-previous" class="muted">{said}。</p>' in html
        body, text = mail(html_path)
        assert f'id="team-change">{said}。</p>' in body and f"\n{said}。\n" in text
        cells = [c for r in openpyxl.load_workbook(xlsx_path)["较上期变化"].iter_rows(values_only=True) for c in r]
        assert f"{said}。" in cells


def test_the_scores_say_the_reasons_everyone_shares_once(week, tmp_path):
    # November is everyone's first month: the same seven reasons for each of the three salespeople with rows
    # (张三, 赵六, 王五) → said once as 全员; nobody has a reason of their own
    (html_path,), _ = make_report(week.config, "monthly", FRI, ["html"], tmp_path, send=True)
    body, _ = mail(html_path)
    assert body.count("活跃客户数：首月无上期排名，按 100 计") == 1
    assert 'id="scores-shared">缺少或按默认值计的项目 — 全员：销售收入：未设销售收入目标、' in body
    assert "缺少的项目" not in body and "<td colspan=\"5\" style=\"color:#555;\">缺少或按默认值计的项目" not in body


def test_the_gantt_title_says_how_many_customers_it_shows(week, tmp_path):
    # orders in the twelve months to November: only 赵六's for 丙 → 1 customer shown, not 「前 40 位」
    (html_path,), _ = make_report(week.config, "monthly", FRI, ["html"], tmp_path, send=True)
    html = html_path.read_text(encoding="utf-8")
    assert '<figure class="chart wide" id="chart-gantt"><figcaption>销售业绩跟踪（各客户每月签单金额，共 1 位，按金额排列）' in html
    assert "前 40 位" not in html and "前 40 位" not in mail(html_path)[0]


def test_the_name_column_stays_in_view_when_a_table_scrolls_sideways(week, tmp_path):
    import shutil

    from playwright.sync_api import sync_playwright

    (html_path,), _ = make_report(week.config, "weekly", FRI, ["html"], tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        try:
            page = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}).new_page()
            page.goto(html_path.as_uri())
            cells = page.locator("#activity tr").nth(1).locator("td")
            name, fourth = cells.first.bounding_box()["x"], cells.nth(3).bounding_box()["x"]
            scrolled = page.locator("#activity").locator("xpath=..").evaluate(
                "b => { b.scrollLeft = 200; return b.scrollLeft; }")  # (evaluate runs with the page's scripts off)
            name_after, fourth_after = cells.first.bounding_box()["x"], cells.nth(3).bounding_box()["x"]
        finally:
            browser.close()
    # the table is wider than 390 px: its box scrolled 200 px, the fourth cell moved 200 px left with it, the
    # name cell stayed (within its 1 px border)
    assert scrolled == 200 and fourth_after == pytest.approx(fourth - 200, abs=1)
    assert name_after == pytest.approx(name, abs=1)
