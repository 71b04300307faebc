"""People in the reports (issue 15): two salespeople with one 姓名 told apart by 工号 everywhere, 离职 marked,
未交日志 distinct from zero, and the 需要处理 section the mail body and the report open with."""
import datetime as dt
import email
import email.policy
import shutil

import openpyxl
import pytest

from conftest import LOG_HEADER, NAMESAKE_ROSTER
from reporting import Tables
from reports import make_report

MON, WED, THU, FRI = (dt.date(2026, 11, d) for d in (16, 18, 19, 20))
A, B, C, D = "天津甲有限公司", "天津乙有限公司", "天津丙有限公司", "天津丁有限公司"
PHONES = {A: "13700000001", B: "13700000002", C: "13700000003", D: "13700000004"}
HEADER = [*LOG_HEADER, "备注", "工号"]


def row(day, name, sid, customer, method="电话", stage="1", result="继续跟进", note=None):
    return [day, name, customer, "王经理", PHONES.get(customer, "13700000009"), "天津市南开区复康路12号", "B", method,
            stage, result, note, sid]


# The week of Monday 11-16 (workdays 16 … 20, no holiday):
#   张三 S001    Thu: 甲 phone ×3 (the third 签单, 备注 「价格合适，先做内训」), 甲 visit ×1     → calls 3, visits 1
#   李四 S002    Mon, Tue: one call each; no sheet Wed, Thu, Fri
#   王五 S003    left Wed 11-18 (in service to that day): Mon 丁 phone ×2 (丁 is his); Thu a sheet, rejected (not in
#                service) — on Thursday 丁 is due for recycling: its owner has left
#   赵六 S004    Thu: 丙 phone ×1; an order for 丙 on Thu, 备注 「老客户续约」                    → calls 1, visits 0
#   孙婷 S007    Thu: 乙 phone ×1 (丢单, 备注 「预算取消」), 乙 visit ×2                         → calls 1, visits 2
#   孙婷 S008    Thu: a sheet of two rows, both rejected (联系方式 飞鸽): handed in            → calls 0, visits 0
@pytest.fixture
def week(project):
    project.add_roster(NAMESAKE_ROSTER)
    project.add("李四_1116.xlsx", [HEADER, row(MON, "李四", "S002", "天津戊有限公司")])
    project.add("李四_1117.xlsx", [HEADER, row(MON + dt.timedelta(days=1), "李四", "S002", "天津戊有限公司")])
    project.add("王五_1116.xlsx", [HEADER, row(MON, "王五", "S003", D), row(MON, "王五", "S003", D)])
    project.add("王五_1119.xlsx", [HEADER, row(THU, "王五", "S003", D)])
    project.add("张三_1119.xlsx", [HEADER, row(THU, "张三", "S001", A), row(THU, "张三", "S001", A),
                                  row(THU, "张三", "S001", A, stage="7", result="签单", note="价格合适，先做内训"),
                                  row(THU, "张三", "S001", A, method="面访")])
    project.add("赵六_1119.xlsx", [HEADER, row(THU, "赵六", "S004", C)])
    project.add("孙婷S007_1119.xlsx", [HEADER, row(THU, "孙婷", "S007", B, stage="3", result="丢单", note="预算取消"),
                                     row(THU, "孙婷", "S007", B, method="面访"), row(THU, "孙婷", "S007", B, method="面访")])
    project.add("孙婷S008_1119.xlsx", [HEADER, row(THU, "孙婷", "S008", "天津己有限公司", method="飞鸽"),
                                     row(THU, "孙婷", "S008", "天津庚有限公司", method="飞鸽")])
    project.add("orders.xlsx", [["签单日期", "业务员", "工号", "客户名称", "业务类型", "合同金额", "备注"],
                                [THU, "赵六", "S004", C, "企业内训", 6000, "老客户续约"]])
    project.ingest(now=dt.datetime(2026, 11, 20, 18, 0))
    return project


def mail(path):
    message = email.message_from_bytes(path.with_suffix(".eml").read_bytes(), policy=email.policy.default)
    return message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content()


@pytest.fixture
def daily(week, tmp_path):
    (html_path, xlsx_path), _ = make_report(week.config, "daily", THU, ["html", "xlsx"], tmp_path, send=True)
    return html_path, xlsx_path


def test_namesakes_are_told_apart_by_their_number_everywhere(daily, week, tmp_path):
    html_path, xlsx_path = daily
    tables = Tables(html_path.read_text(encoding="utf-8")).tables
    names = [r[0] for r in tables["activity"][1:]]
    assert "孙婷（S007）" in names and "孙婷（S008）" in names
    # the change table needs a Wednesday with rows (Thursday's previous workday; the fixture has none):
    # 孙婷 S007 phones 乙 on Wednesday
    week.add("孙婷S007_1118.xlsx", [HEADER, row(WED, "孙婷", "S007", B)])
    week.ingest(now=dt.datetime(2026, 11, 20, 18, 0))
    (again, again_xlsx), _ = make_report(week.config, "daily", THU, ["html", "xlsx"], tmp_path / "again")
    change = [r[0] for r in Tables(again.read_text(encoding="utf-8")).tables["change"][1:]]
    # 张三, 赵六 and 李四 share their 姓名 with nobody: no 工号
    assert {"张三", "李四", "赵六", "孙婷（S007）", "孙婷（S008）"} <= set(change) and "孙婷" not in change
    assert [r[0] for r in tables["quality"][1:]] == ["孙婷（S008）", "王五"]  # 2 rejected rows, then 1
    assert ["2026-11-19", B, "孙婷（S007）", "预算取消"] in tables["action-lost"]
    body, text = mail(html_path)
    assert body.count("孙婷（S007）") >= 2 and body.count("孙婷（S008）") >= 2  # the table and 需要处理
    assert "\n孙婷（S007）：电话量 1，" in text and "\n孙婷（S008）：电话量 0，" in text
    wb = openpyxl.load_workbook(xlsx_path)
    ws = wb["活动量"]
    labels = [r[0] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]]
    assert {"孙婷（S007）", "孙婷（S008）"} <= set(labels)
    (chart,) = ws._charts  # the chart's categories are column A's labels
    cat = chart.series[0].cat
    ref = (cat.strRef or cat.numRef).f  # '活动量'!$A$2:$A$8
    cells = ws[ref.split("!")[1].replace("$", "")]
    categories = [c[0].value for c in cells]
    assert categories.count("孙婷（S007）") == 1 and categories.count("孙婷（S008）") == 1 and "孙婷" not in categories
    changes = openpyxl.load_workbook(again_xlsx)["较上期变化"]
    assert {"孙婷（S007）", "孙婷（S008）"} <= {r[0] for r in changes.iter_rows(min_row=2, values_only=True)}
    assert "孙婷（S008）" in {r[0] for r in wb["数据质量"].iter_rows(min_row=2, values_only=True)}


def test_no_sheet_is_not_zero_and_a_leaver_is_marked(daily, week, tmp_path):
    html_path, xlsx_path = daily
    tables = Tables(html_path.read_text(encoding="utf-8")).tables
    activity = {r[0]: r[1:] for r in tables["activity"][1:]}
    # Thursday: 李四 in service, no sheet → 未交日志; 孙婷 S008's sheet had only rejected rows: handed in, zeros
    assert activity["李四（S002）（未交日志）"][:4] == ["0", "0", "0", "0"]
    assert "孙婷（S008）" in activity and "孙婷（S008）（未交日志）" not in activity
    # 王五 left on Wednesday and still sent a sheet on Thursday (rejected): shown, marked, not 未交日志
    assert "王五（S003）（离职 11-18）" in activity
    assert tables["action-missing"][1:] == [["李四", "1"]]
    ws = openpyxl.load_workbook(xlsx_path)["活动量"]
    status = {r[0]: r[12] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    assert status["李四"] == "未交日志" and status["王五"] == "离职 11-18" and status["孙婷（S008）"] is None
    # the week (Friday: the week's last workday, whole week): workdays in service without a sheet —
    #   张三 16 17 18 20 → 4; 李四 18 19 20 → 3; 王五 (to 11-18) 17 18 → 2; 赵六, 孙婷 S007, 孙婷 S008 → 4 each;
    #   王五's rows of Monday still count: 2 calls
    (weekly,), _ = make_report(week.config, "weekly", FRI, ["html"], tmp_path / "w", send=True)
    tables = Tables(weekly.read_text(encoding="utf-8")).tables
    activity = {r[0]: r[1:] for r in tables["activity"][1:]}
    assert activity["王五（S003）（未交日志 2 天）（离职 11-18）"][0] == "2"
    assert activity["李四（S002）（未交日志 3 天）"][0] == "2"
    assert tables["action-missing"][1:] == [["张三", "4"], ["李四", "3"], ["王五", "2"], ["赵六", "4"],
                                            ["孙婷（S007）", "4"], ["孙婷（S008）", "4"]]
    _, text = mail(weekly)
    assert "未交日志：张三 4 天、李四 3 天、王五 2 天、赵六 4 天、孙婷（S007） 4 天、孙婷（S008） 4 天" in text
    assert "\n李四（未交日志 3 天）：电话量 2，" in text


def test_below_the_median_signed_and_lost_with_their_analysis(daily):
    html_path, _ = daily
    tables = Tables(html_path.read_text(encoding="utf-8")).tables
    # Thursday, in service with a sheet: 张三, 赵六, 孙婷 S007, 孙婷 S008 (李四 no sheet, 王五 left: not counted)
    #   calls 3, 1, 1, 0 → sorted 0 1 1 3, even count: median (1 + 1) / 2 = 1; below (strictly): 孙婷 S008 only
    #   visits 1, 0, 2, 0 → sorted 0 0 1 2: median (0 + 1) / 2 = 0.5; below: 赵六 0, 孙婷 S008 0
    assert tables["action-below"][1:] == [["电话量", "1", "4", "孙婷（S008） 0"],
                                          ["面访量", "0.5", "4", "赵六 0、孙婷（S008） 0"]]
    # signed: 张三's 签单 row for 甲 (its 备注; no order of his for 甲: 未登记订单), 赵六's order for 丙 (6000 元,
    # its 备注); lost: 孙婷 S007's 丢单 for 乙
    assert tables["action-signed"][1:] == [["2026-11-19", A, "张三", "未登记订单", "价格合适，先做内训"],
                                           ["2026-11-19", C, "赵六", "6,000.00", "老客户续约"]]
    assert tables["action-lost"][1:] == [["2026-11-19", B, "孙婷（S007）", "预算取消"]]
    # rejected rows per person: 孙婷 S008 2 (联系方式), 王五 1 (not in service)
    assert [r[:2] for r in tables["action-rejected"][1:]] == [["孙婷（S008）", "2"], ["王五", "1"]]
    body, text = mail(html_path)
    action = body[body.index('id="action"'):body.index("业务员活动量")]
    assert "电话量低于全组中位数</b>（中位数 1，4 人）：孙婷（S008） 0" in action
    assert "面访量低于全组中位数</b>（中位数 0.5，4 人）：赵六 0、孙婷（S008） 0" in action
    # 成单 2, of which 1 (赵六's) has an order
    assert "成单客户（2，其中 1 个已登记订单）" in action
    assert '11-19 天津甲有限公司 — 张三：<span style="color:#c62828;">未登记订单</span><br>' in action
    assert "结果分析：价格合适，先做内训" in action and "11-19 天津丙有限公司 — 赵六：订单 6,000 元<br>" in action
    assert "11-19 天津乙有限公司 — 孙婷（S007）<br>" in action and "结果分析：预算取消" in action
    assert "  11-19 天津丙有限公司 — 赵六：订单 6,000 元；结果分析：老客户续约" in text
    assert "  11-19 天津甲有限公司 — 张三：未登记订单；结果分析：价格合适，先做内训" in text
    assert text.index("【需要处理】") < text.index("【业务员活动量】")


def test_a_due_customer_of_a_leaver_is_in_the_daily(daily):
    # 丁 was created by 王五's Monday row (its owner); he left on 11-18: on Thursday it is due (it was 3 days idle,
    # far from the 30-day limit, so the old list of customers within 3 days of the limit left it out)
    html_path, xlsx_path = daily
    recycle = Tables(html_path.read_text(encoding="utf-8")).tables["recycle"]
    assert [r[1:3] + r[4:] for r in recycle[1:]] == [[D, "王五", "已到期（负责人已离职）"]]
    body, text = mail(html_path)
    assert "王五 已离职，其客户均已到期（1）</span>：<br>· 天津丁有限公司" in body  # one customer a line
    assert "王五 已离职，其客户均已到期（1）：\n    天津丁有限公司\n" in text
    rows = list(openpyxl.load_workbook(xlsx_path)["需要处理"].iter_rows(min_row=2, values_only=True))
    assert ("待回收", "王五", D, None, "已到期（负责人已离职）") in rows


def test_the_mail_bodies_read_on_a_phone_without_scrolling_sideways(week, tmp_path):
    from playwright.sync_api import sync_playwright

    bodies = {}
    for kind, day in (("daily", THU), ("weekly", FRI), ("monthly", FRI)):
        (html_path,), _ = make_report(week.config, kind, day, ["html"], tmp_path / kind, send=True)
        bodies[kind] = mail(html_path)[0]
    widths, headers = {}, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        try:
            for kind, body in bodies.items():
                page = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}).new_page()
                page.set_content(body)
                widths[kind] = page.evaluate("document.scrollingElement.scrollWidth")
                # no header cell broken one character a line: each is one line high
                headers[kind] = page.evaluate("""Array.from(document.querySelectorAll('th')).filter(
                    th => th.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(th).fontSize)
                          && th.rowSpan === 1).map(th => th.textContent)""")
        finally:
            browser.close()
    assert all(width <= 390 for width in widths.values()), widths
    assert headers == {"daily": [], "weekly": [], "monthly": []}
