"""The marts against hand-computed cases (metrics.md). Every expected number is worked out in the
comments from the definitions, not read off the code."""
import datetime as dt
import re
from pathlib import Path

import pytest

from conftest import LOG_HEADER, edit_config, log_row

MON, TUE, WED = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)
ORDER_HEADER = ["签单日期", "业务员", "客户名称", "业务类型", "合同金额", "成本", "已回款", "约定回款日期"]
COLUMNS = ("calls, faxes, emails, visits, bc_customers, closed_customers, lost_customers, followed_customers, "
           "active_customers, new_customers, rejected_rows, win_rate, loss_rate")
A, B, C = "天津甲有限公司", "天津乙有限公司", "天津丙有限公司"


@pytest.fixture
def week(project):
    """张三 and 李四 in the week of 2026-11-23 (see each row)."""
    project.add_roster()
    project.add("张三_1123.xlsx", [LOG_HEADER,
        log_row(MON, "张三", A, cls="B", method="电话"),              # 甲 by phone …
        log_row(MON, "张三", A, cls="B", method="面访"),              # … and visited the same day
        log_row(MON, "张三", B, cls="C", method="E-mail", result="丢单"),
    ])
    project.add("李四_1123_first.xlsx", [LOG_HEADER,                 # superseded below: never counted
        log_row(MON, "李四", A, method="电话"), log_row(MON, "李四", B, method="电话"),
        log_row(MON, "李四", C, method="电话")])
    project.add("李四_1123_fixed.xlsx", [LOG_HEADER,
        log_row(MON, "李四", A, cls="B", method="电话", stage="7", result="签单")])
    project.add("张三_1124.xlsx", [LOG_HEADER,
        log_row(TUE, "张三", A, cls="B", method="电话"),
        log_row(TUE, "张三", C, cls="A", method="传真", stage="7", result="签单"),
        log_row(TUE, "张三", C, method="飞鸽"),                         # rejected: not counted, 1 rejected row
        log_row(TUE, "孙悟空", C, method="电话")])                      # rejected, no usable salesperson: team only
    project.add("orders.xlsx", [ORDER_HEADER, [WED, "张三", B, "内训", 10000, 4000, 0, "2026-12-10"]])
    project.ingest()
    return project


def counts(project, view, period_column, period, salesperson):
    where = "salesperson_id is null" if salesperson is None else "salesperson_id = ?"
    params = [period] + ([] if salesperson is None else [salesperson])
    rows = project.query(f"select {COLUMNS} from {view} where {period_column} = ? and {where}", params)
    assert len(rows) == 1, rows
    return rows[0]


def test_daily_counts_per_salesperson(week):
    # 张三 on Monday: calls 1, emails 1, visits 1; B/C customers 甲(B) 乙(C) = 2; no 签单; 乙 丢单 → lost 1;
    # followed = active = {甲, 乙} = 2; both codes created by his rows → new 2; win 0/2, loss 1/2
    assert counts(week, "mart_activity_daily", "activity_date", MON, "S001") == (1, 0, 1, 1, 2, 0, 1, 2, 2, 2, 0, 0.0, 0.5)
    # 李四 on Monday (only the corrected file counts): 甲 by phone, 签单 → closed 1 of 1 followed
    assert counts(week, "mart_activity_daily", "activity_date", MON, "S002") == (1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1.0, 0.0)
    # 张三 on Tuesday: 甲 phone (B), 丙 fax (A) 签单; one rejected row; 丙 new
    assert counts(week, "mart_activity_daily", "activity_date", TUE, "S001") == (1, 1, 0, 0, 1, 1, 0, 2, 2, 1, 1, 0.5, 0.0)


def test_daily_team_row_counts_customers_once_across_the_team(week):
    # Monday: calls 2 (张三 1 + 李四 1), emails 1, visits 1; bc {甲, 乙} = 2; closed {甲} = 1; lost {乙} = 1;
    # followed = active = {甲, 乙} = 2 (甲 worked by both counts once); new 2; win 1/2; loss 1/2
    assert counts(week, "mart_activity_daily", "activity_date", MON, None) == (2, 0, 1, 1, 2, 1, 1, 2, 2, 2, 0, 0.5, 0.5)
    # Tuesday: the row without a usable salesperson counts for the team: rejected 2
    assert counts(week, "mart_activity_daily", "activity_date", TUE, None)[10] == 2


def test_week_counts_come_from_rows_not_from_daily_sums(week):
    # 张三's week: calls 2, faxes 1, emails 1, visits 1; bc {甲, 乙} = 2; closed {丙 (log), 乙 (order)} = 2;
    # 乙 was 丢单 on Monday but signed (order) in the same week → not lost; followed {甲, 乙, 丙} = 3;
    # active (log rows only) {甲, 乙, 丙} = 3 although the daily actives add up to 4; new 3; rejected 1
    assert counts(week, "mart_activity_weekly", "week_start", MON, "S001") == (2, 1, 1, 1, 2, 2, 0, 3, 3, 3, 1, 2 / 3, 0.0)
    # team week: closed {甲 (李四), 乙, 丙} = 3; rejected 2
    assert counts(week, "mart_activity_weekly", "week_start", MON, None) == (3, 1, 1, 1, 2, 3, 0, 3, 3, 3, 2, 1.0, 0.0)


def test_rejected_rows_of_a_range_are_the_views_rows_dated_in_it(project):
    """rejected_rows(from_date, to_date), what the reports' counts read, keeps only the problems dated in the range
    before grouping them into rows: the same rows as stg_rejected_rows filtered on its row_date. Monday: a row with two
    problems (one row); Tuesday: 孙悟空's row; a row without a date counts on the day it was received (11-26)."""
    project.add_roster()
    project.add("张三_1123.xlsx", [LOG_HEADER,
        log_row(MON, "张三", A, method="飞鸽", phone="12"),                # 联系方式 and 联系电话: two problems, one row
        log_row(TUE, "孙悟空", B, method="电话"),
        log_row(None, "张三", C, method="电话")])                          # no date: received on 11-26
    project.ingest(now=dt.datetime(2026, 11, 26, 18, 0))
    problems = project.query("select row_number, count(*) from rejects group by all order by 1")
    assert [n for _, n in problems] == [2, 1, 1], problems
    days = [MON, TUE, WED, dt.date(2026, 11, 26)]
    for first, last in [*((d, d) for d in days), (MON, WED), (TUE, None), (None, MON)]:
        bounded = project.query("select * from rejected_rows(from_date := ?, to_date := ?) order by all", [first, last])
        filtered = project.query("select * from stg_rejected_rows where in_range(row_date, ?, ?) order by all",
                                 [first, last])
        assert bounded == filtered, (first, last)
    counted = project.query("select activity_date, rejected_rows from mart_activity_daily where salesperson_id is null "
                            "and rejected_rows > 0 order by 1")
    assert counted == [(MON, 1), (TUE, 1), (dt.date(2026, 11, 26), 1)]
    for day, rows in counted:
        assert project.query("select rejected_rows from activity_counts('day', from_date := ?, to_date := ?) "
                             "where salesperson_id is null", [day, day]) == [(rows,)]


def test_month_lists_every_selling_salesperson_in_service(week):
    people = week.query("select salesperson_id from mart_activity_monthly where month = '2026-11-01' order by 1")
    # 王五 (S003) left on 2026-11-15: in service during November, shown with zeros; not in the week of 11-23
    assert people == [("S001",), ("S002",), ("S003",), (None,)]
    assert counts(week, "mart_activity_monthly", "month", dt.date(2026, 11, 1), "S003")[:11] == (0,) * 11
    week_people = week.query("select salesperson_id from mart_activity_weekly where week_start = ? order by 1", [MON])
    assert ("S003",) not in week_people


def test_followup_frequency_is_log_rows_per_active_customer(week):
    # 张三's week: 5 accepted log rows (甲 ×3, 乙, 丙) over 3 active customers
    assert week.query("select followup_frequency from mart_activity_weekly where week_start = ? "
                      "and salesperson_id = 'S001'", [MON]) == [(5 / 3,)]


def test_smoothed_rates_pull_small_numbers_towards_the_team_rate(week):
    # trailing 90 days to 2026-11-25: 张三 followed {甲, 乙, 丙}, closed {乙, 丙}; 李四 followed {甲}, closed {甲}
    # team win rate = (2 + 1) / (3 + 1) = 0.75; k = 10
    # 张三: (2 + 10 × 0.75) / (3 + 10) = 9.5 / 13; 李四: (1 + 7.5) / 11 = 8.5 / 11
    rows = week.query("select salesperson_id, smoothed_win_rate, smoothed_loss_rate from smoothed_rates('2026-11-25') "
                      "order by 1")
    assert [(r[0], r[1]) for r in rows] == [("S001", pytest.approx(9.5 / 13)), ("S002", pytest.approx(8.5 / 11))]
    # no customer was lost (乙's 丢单 was followed by an order the same week) → loss rates 0
    assert [r[2] for r in rows] == [0.0, 0.0]


def test_rates_are_null_without_followed_customers(week):
    assert week.query("select win_rate, loss_rate from mart_activity_monthly where salesperson_id = 'S003'") == [
        (None, None)]


# ---------------------------------------------------------------- scores (第八章, 表17)

OCT, NOV = dt.date(2026, 10, 15), dt.date(2026, 11, 16)
D, E, F, G, H, K = "天津丁有限公司", "天津戊有限公司", "天津己有限公司", "天津庚有限公司", "天津辛有限公司", "天津壬有限公司"
SCORE_ROSTER = [
    ["S001", "张三", "CC", "在职", dt.date(2025, 1, 1), None, "", "a@example.com"],
    ["S002", "李四", "KAE", "在职", dt.date(2025, 1, 1), None, "", "b@example.com"],
    ["S003", "王五", "CC", "离职", dt.date(2025, 1, 1), dt.date(2026, 10, 20), "", "c@example.com"],
    ["S004", "赵六", "CC", "在职", dt.date(2026, 11, 1), None, "", "d@example.com"],
    ["S090", "周敏", "内勤", "在职", dt.date(2025, 1, 1), None, "", "e@example.com"],
]


def visits(day, person, customer, n):
    return [log_row(day, person, customer, method="面访") for _ in range(n)]


@pytest.fixture
def scored(project):
    project.add_roster(SCORE_ROSTER)
    project.add("log.xlsx", [LOG_HEADER,
        # October: 张三 4 visits to 甲 (active 1); 李四 phones 乙, 戊 (active 2, 0 visits); 王五 phones 己 庚 辛 (active 3)
        *visits(OCT, "张三", A, 4), log_row(OCT, "李四", B), log_row(OCT, "李四", E),
        log_row(OCT, "王五", F), log_row(OCT, "王五", G), log_row(OCT, "王五", H),
        # November: 张三 visits 甲 3×, 丙 2× (5 visits, active 2); 李四 visits 乙, 戊 (2, active 2); 赵六 visits 丁 (1, active 1)
        *visits(NOV, "张三", A, 3), *visits(NOV, "张三", C, 2), *visits(NOV, "李四", B, 1), *visits(NOV, "李四", E, 1),
        *visits(NOV, "赵六", D, 1), log_row(NOV, "周敏", K)])
    project.add("orders.xlsx", [ORDER_HEADER,
        [OCT, "张三", A, "咨询", 10000, 6000, None, None],   # gross profit 4000
        [OCT, "李四", B, "咨询", 20000, 15000, None, None],  # gross profit 5000
        [NOV, "张三", A, "咨询", 12000, 7000, None, None],   # 5000
        [NOV, "张三", C, "内训", 8000, 7000, None, None],    # 1000 → 张三: revenue 20000, gross profit 6000, 2 customers
        [NOV, "李四", B, "咨询", 10000, 12000, None, None],  # gross profit −2000
        [NOV, "赵六", D, "拓展", 5000, 3000, None, None]])
    project.add("targets.xlsx", [["月份", "业务员", "销售收入目标", "单户销量目标"],
        ["2026-11", "张三", 25000, 8000], ["2026-11", "李四", 20000, None]])
    project.add("inspections.xlsx", [["检查日期", "业务员", "总得分"],
        [OCT, "张三", 95], [OCT, "李四", 80], [NOV, "张三", 80], [dt.date(2026, 11, 20), "张三", 90], [NOV, "李四", 90]])
    project.add("quality.xlsx", [["月份", "业务员", "工作职责", "工作态度", "业务基本技能"],
        ["2026-11", "张三", 90, 80, 70], ["2026-11", "李四", 60, 70, 80]])
    project.ingest()
    return project


SCORE_COLUMNS = ("revenue_score, profit_score, visits_score, active_rank_score, service_rank_score, per_customer_score, "
                 "ability_score, quality_score, composite_score, composite_rank, missing")


def score(project, person, view="mart_scores_monthly", period_column="month", period=dt.date(2026, 11, 1)):
    (row,) = project.query(f"select {SCORE_COLUMNS} from {view} where {period_column} = ? and salesperson_id = ?",
                           [period, person])
    return row


def test_scores_of_a_salesperson_with_every_input(scored):
    # revenue 20000 / target 25000 → 80; gross profit 4000 → 6000: +50% → 150; visits 4 → 5: +25% → 125;
    # active rank October 3rd (王五 3, 李四 2, 张三 1) → November 1st, tied with 李四 (2 each; 赵六 1 → 3rd): +2 places → 140;
    # inspections: October 1st (95 vs 80) → November 2nd (85 vs 90): −1 place → 80;
    # per customer 20000 / 2 = 10000 vs target 8000 → 125
    # ability = .4×80 + .2×150 + .1×125 + .1×140 + .1×80 + .1×125 = 109; quality (90+80+70)/3 = 80
    # composite = .3×80 + .7×109 = 100.3
    row = score(scored, "S001")
    assert row[:9] == pytest.approx((80, 150, 125, 140, 80, 125, 109, 80, 100.3))
    assert row[9:] == (1, [])


def test_missing_inputs_renormalise_the_weights_and_are_listed(scored):
    # revenue 10000 / 20000 → 50; gross profit 5000 → −2000: −140% → −40, floored at 0; visits 0 → 2: zero base → null;
    # active rank 2nd → 1st (tied): +1 → 120; inspections 2nd → 1st: 120; no 单户销量目标 → null
    # ability = (.4×50 + .2×0 + .1×120 + .1×120) / (.4 + .2 + .1 + .1) = 44 / .8 = 55; quality 70
    # composite = .3×70 + .7×55 = 59.5
    row = score(scored, "S002")
    assert row[:9] == pytest.approx((50, 0, None, 120, 120, None, 55, 70, 59.5), nan_ok=False)
    assert row[9:] == (2, ["实际拜访数：上期面访量为 0，无法计算增长", "单户销量：未设单户销量目标"])


def test_new_salesperson_without_last_month(scored):
    # 赵六 joined in November: no target, no previous month, no inspections, no quality rating;
    # active rank 3rd with no rank in October → 100, flagged as a default; ability = 100; composite needs
    # quality → null, not ranked. Every missing or defaulted sub-score says why (issue 15)
    row = score(scored, "S004")
    assert row[:10] == (None, None, None, 100, None, None, 100, None, None, None)
    assert row[10] == ["销售收入：未设销售收入目标", "销售利润：首月无上期毛利", "实际拜访数：首月无上期面访量",
                       "活跃客户数：首月无上期排名，按 100 计", "销售执行：本月没有日常业务检查记录",
                       "单户销量：未设单户销量目标", "素质：本月没有评分"]


def test_team_total_row_applies_the_formulas_to_the_team_sums(scored):
    # revenue 20000 + 10000 + 5000 = 35000 vs targets 25000 + 20000 → 77.78; gross profit October 4000 + 5000 = 9000,
    # November 6000 − 2000 + 2000 = 6000 → −33.33% → 66.67; visits 4 → 8: +100% → 200; ranks: none for a team;
    # per customer 35000 / {甲, 丙, 乙, 丁} = 8750 vs mean target 8000 → 109.375
    # no ability, quality, composite or rank for a team (issue 15: a team 综合 means nothing); the rank
    # sub-scores say why they are blank
    (row,) = scored.query(f"select {SCORE_COLUMNS} from mart_scores_monthly where month = '2026-11-01' "
                          "and salesperson_id is null")
    numbers = [row[i] for i in (0, 1, 2, 5)]
    assert numbers == pytest.approx([3500 / 45, 200 / 3, 200, 109.375], rel=1e-4)
    assert row[3:5] + row[6:10] == (None,) * 6
    assert row[10] == ["活跃客户数：全组不排名", "销售执行：全组不排名"]


def test_departed_salesperson_is_kept_in_history_but_not_ranked_after_leaving(scored):
    months = scored.query("select month from mart_scores_monthly where salesperson_id = 'S003'")
    assert months == [(dt.date(2026, 10, 1),)]
    # non-selling roles are never scored
    assert scored.query("select count(*) from mart_scores_monthly where salesperson_id = 'S090'") == [(0,)]


def test_quarter_scores_follow_the_same_rules(scored):
    # Q4 so far, 张三: revenue 10000 + 20000 = 30000 vs the quarter's targets (November only) 25000 → 120;
    # no Q3 data → profit and visits growth null; active customers in Q4: 王五 3, 张三 2, 李四 2, 赵六 1 →
    # 张三 2nd (tied), with no rank in Q3 → 100
    row = score(scored, "S001", "mart_scores_quarterly", "quarter", dt.date(2026, 10, 1))
    assert row[0] == pytest.approx(120) and row[1] is None and row[2] is None and row[3] == 100


def test_cap_and_weights_come_from_the_configuration(scored):
    text = scored.config.root.joinpath("config", "salespipe.toml")
    changed = text.read_text(encoding="utf-8").replace("cap = 0 ", "cap = 130 ")
    for weight in ("profit", "visits", "active_rank", "service_rank", "per_customer"):
        changed = re.sub(rf"weight_{weight} = [0-9.]+", f"weight_{weight} = 0", changed)
    text.write_text(changed.replace("weight_revenue = 0.40", "weight_revenue = 1.0"), encoding="utf-8")
    from salespipe.config import load_config
    scored.config = load_config(text)
    scored.ingest()  # rebuilds the marts with the new settings
    row = score(scored, "S001")
    # profit 150 capped at 130, active 140 → 130; ability = revenue only = 80
    assert row[1] == 130 and row[3] == 130 and row[6] == pytest.approx(80)


LAST_NOV = dt.date(2025, 11, 14)


@pytest.fixture
def a_year_on(scored):
    """`scored` and November 2025: 张三 visits 甲 2× (active 1) and has an order of gross profit 2000; 李四 visits 乙
    and 戊 (active 2); 王五, in service, has no row (active 0). Ranks of November 2025: 李四 1st, 张三 2nd, 王五 3rd."""
    scored.add("log_2025.xlsx", [LOG_HEADER, *visits(LAST_NOV, "张三", A, 2), *visits(LAST_NOV, "李四", B, 1),
                                 *visits(LAST_NOV, "李四", E, 1)])
    scored.add("orders_2025.xlsx", [ORDER_HEADER, [LAST_NOV, "张三", A, "咨询", 5000, 3000, None, None]])
    scored.ingest()
    return scored


def bounded_score(project, person, period=dt.date(2026, 11, 1)):
    """The row of score_marts bounded to the one month `period`, as the monthly report reads it."""
    (row,) = project.query(f"select {SCORE_COLUMNS} from score_marts('month', from_period := ?, to_period := ?) "
                           "where salesperson_id = ?", [period, period, person])
    return row


def months_of_the_view(project) -> list[tuple]:
    return project.query("select * from mart_scores_monthly order by month, salesperson_id nulls last")


def months_one_by_one(project) -> list[tuple]:
    """mart_scores_monthly's rows again, each month read from score_marts bounded to that month."""
    months = [m for (m,) in project.query("select distinct month from mart_scores_monthly order by month")]
    return [row for m in months for row in project.query(
        "select period as month, * exclude (period) from score_marts('month', from_period := ?, to_period := ?) "
        "order by salesperson_id nulls last", [m, m])]


def test_scores_bounded_to_a_month_read_its_previous_month(a_year_on):
    # 环比: November 2026 against October 2026, as test_scores_of_a_salesperson_with_every_input works out — gross
    # profit 4000 → 6000: 150; visits 4 → 5: 125; active rank 3rd → 1st: 140; inspections 1st → 2nd: 80
    # (November 2025 changes nothing). Reading November alone would leave profit and visits empty, ranks at 100
    assert bounded_score(a_year_on, "S001")[:9] == pytest.approx((80, 150, 125, 140, 80, 125, 109, 80, 100.3))
    assert months_one_by_one(a_year_on) == months_of_the_view(a_year_on)


def test_scores_bounded_to_a_month_read_the_same_month_last_year_under_tongbi(a_year_on):
    edit_config(a_year_on, ('comparison = "环比"', 'comparison = "同比"'))
    a_year_on.ingest()
    # 同比: 张三's November 2026 against November 2025 — gross profit 2000 → 6000: +200% → 300; visits 2 → 5: +150% → 250;
    # active rank 2nd → 1st (tied with 李四): +1 place → 120; no inspection in November 2025: no previous rank → 100;
    # revenue 80 and per customer 125 as before. ability = .4×80 + .2×300 + .1×250 + .1×120 + .1×100 + .1×125 = 151.5;
    # composite = .3×80 + .7×151.5 = 130.05. Reading October 2026 as the previous month would give 环比's numbers
    row = bounded_score(a_year_on, "S001")
    assert row[:9] == pytest.approx((80, 300, 250, 120, 100, 125, 151.5, 80, 130.05))
    assert row[10] == ["销售执行：上期没有日常业务检查，无上期排名，按 100 计"]
    assert months_one_by_one(a_year_on) == months_of_the_view(a_year_on)


# ---------------------------------------------------------------- receivables and reconciliation


def test_overdue_receivables(project):
    project.add_roster()
    project.add("log.xlsx", [LOG_HEADER, log_row(MON, "张三", A), log_row(MON, "张三", B)])
    project.add("orders.xlsx", [ORDER_HEADER,
        [MON, "张三", A, "咨询", 10000, None, 4000, "2026-11-30"],   # 6000 due, 31 days late on 2026-12-31
        [MON, "张三", B, "咨询", 5000, None, 5000, "2026-11-30"],    # paid in full: not listed
        [MON, "张三", A, "内训", 3000, None, None, "2027-01-15"]])   # not yet due
    project.ingest()
    rows = project.query("select customer_code, name, salesperson_id, amount_due, days_overdue "
                         "from receivables_overdue('2026-12-31')")
    assert [(r[0], r[1], r[2], float(r[3]), r[4]) for r in rows] == [("KH000001", A, "S001", 6000.0, 31)]
    # the view's name column is that customer's name, and says so
    assert project.scalar("select comment from duckdb_columns() where table_name = 'mart_receivables_overdue' "
                          "and column_name = 'name'").startswith("客户名称")


def test_reconciliation_lists_signings_without_orders_and_orders_without_signings(project):
    project.add_roster()
    project.add("log.xlsx", [LOG_HEADER, log_row(MON, "张三", A, stage="7", result="签单"),
                             log_row(MON, "张三", B, stage="7", result="签单"), log_row(MON, "张三", C)])
    project.add("orders.xlsx", [ORDER_HEADER, [WED, "张三", A, "咨询", 1000, None, None, None],
                                [WED, "张三", C, "咨询", 1000, None, None, None]])
    project.ingest()
    rows = project.query("select salesperson_id, customer_name, issue from mart_order_reconciliation order by issue")
    assert rows == [("S001", B, "日志签单但没有登记订单"), ("S001", C, "登记了订单但日志中没有签单")]


def test_reconciliation_of_a_month_matches_rows_of_the_months_around_it(project):
    """order_reconciliation(from_date, to_date), what the reports read, lists the rows dated in the range but matches
    them against the rows within window_days (31) of them on either side: the rows of mart_order_reconciliation
    dated in the range. 甲: 签单 11-30, order 12-05 — matched across the months; 乙: 签单 11-02, no order; 丙: 签单
    11-25, order 12-20 (25 days) — matched; 丁: 签单 11-20, order 12-28 (38 days) — neither matched."""
    D = "天津丁有限公司"
    project.add_roster()
    project.add("log.xlsx", [LOG_HEADER, *(log_row(day, "张三", customer, stage="7", result="签单") for day, customer in (
        (dt.date(2026, 11, 30), A), (dt.date(2026, 11, 2), B), (dt.date(2026, 11, 25), C), (dt.date(2026, 11, 20), D)))])
    project.add("orders.xlsx", [ORDER_HEADER, *([day, "张三", customer, "咨询", 1000, None, None, None] for day, customer in (
        (dt.date(2026, 12, 5), A), (dt.date(2026, 12, 20), C), (dt.date(2026, 12, 28), D)))])
    project.ingest(now=dt.datetime(2026, 12, 31, 18, 0))

    def listed(first, last):
        return project.query("select customer_name, event_date, issue from order_reconciliation(from_date := ?, "
                             "to_date := ?) order by event_date", [first, last])

    november = [(B, dt.date(2026, 11, 2), "日志签单但没有登记订单"), (D, dt.date(2026, 11, 20), "日志签单但没有登记订单")]
    december = [(D, dt.date(2026, 12, 28), "登记了订单但日志中没有签单")]
    assert listed(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == november
    assert listed(dt.date(2026, 12, 1), dt.date(2026, 12, 31)) == december
    assert project.query("select customer_name, event_date, issue from mart_order_reconciliation order by event_date") \
        == november + december


def test_every_view_and_view_column_has_a_chinese_comment(week):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    views = week.query("select view_name, comment from duckdb_views() where not internal")
    assert {"mart_activity_daily", "mart_scores_monthly", "mart_receivables_overdue"} <= {v for v, _ in views}
    for view, comment in views:
        assert comment and cjk.search(comment), view
    for view, column, comment in week.query(
            "select table_name, column_name, comment from duckdb_columns() "
            "where table_name in (select view_name from duckdb_views() where not internal)"):
        assert comment and cjk.search(comment), f"{view}.{column}"


def test_every_macro_and_each_of_its_parameters_is_described(week):
    macros = week.query("select function_name, parameters, comment from duckdb_functions() "
                        "where not internal and function_type in ('macro', 'table_macro')")
    assert {"activity_counts", "scores", "receivables_overdue", "period_start", "in_service"} <= {m for m, _, _ in macros}
    for name, parameters, comment in macros:
        assert comment and re.search(r"[\u4e00-\u9fff]", comment.splitlines()[0]), name
        described = {line.partition("：")[0]: line.partition("：")[2] for line in comment.splitlines()[1:]}
        assert all(described.get(p) for p in parameters), (name, parameters, comment)


def test_only_views_with_a_team_total_row_say_they_have_one(week):
    # the week has team-total rows in the activity and score marts; stg_rejected_rows has a row without a
    # salesperson (孙悟空) that is not a team total; the other views name a salesperson on every row
    said = dict(week.query("select table_name, comment from duckdb_columns() where column_name = 'salesperson_id' "
                           "and table_name in (select view_name from duckdb_views() where not internal)"))
    team = set()
    for view in said:
        columns = {c for (c,) in week.query("select column_name from duckdb_columns() where table_name = ?", [view])}
        if "name" in columns and week.scalar(f"select count(*) from {view} where salesperson_id is null "
                                             "and name = '全组合计'"):
            team.add(view)
    assert {"mart_activity_daily", "mart_scores_monthly", "mart_scores_yearly"} <= team
    assert {view for view, comment in said.items() if "全组合计" in comment} == team


def test_a_name_column_says_whose_name_it_holds(week):
    customers = {n for (n,) in week.query("select name from customers")}
    people = {n for (n,) in week.query("select name from salespeople")} | {"全组合计"}
    checked = set()
    for view, comment in week.query("select table_name, comment from duckdb_columns() where column_name = 'name' "
                                    "and table_name in (select view_name from duckdb_views() where not internal)"):
        values = {n for (n,) in week.query(f"select distinct name from {view} where name is not null")}
        if not values:
            continue
        said = ("客户名称", "公司名称") if values <= customers else ("业务员姓名",) if values <= people else ()
        assert comment.startswith(said), (view, values, comment)
        checked.add(view)
    assert {"mart_customers", "mart_activity_daily", "mart_order_reconciliation", "core_salespeople"} <= checked


def test_same_period_last_year_comparison_from_the_configuration(scored):
    text = scored.config.root.joinpath("config", "salespipe.toml")
    text.write_text(text.read_text(encoding="utf-8").replace('comparison = "环比"', 'comparison = "同比"'),
                    encoding="utf-8")
    from salespipe.config import load_config
    scored.config = load_config(text)
    scored.ingest()
    # against November 2025 (no data): no growth base, no previous rank → profit and visits null, ranks 100
    row = score(scored, "S001")
    assert row[1] is None and row[2] is None and row[3] == 100 and row[4] == 100


# ---------------------------------------------------------------- business type on core_events

TYPED_LOG_HEADER = LOG_HEADER + ["推介业务", "客户需求"]
BC_HEADER = ["登记日期", "业务员", "客户名称", "联系人", "联系电话", "地址", "客户类别", "客户需求"]
D_, E_ = "天津丁有限公司", "天津戊有限公司"


def readme_query(marker: str) -> str:
    """The ```sql block of the README that starts with the comment line `marker`."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```sql\n(.*?)```", readme, re.S) if b.startswith(marker)]
    return block


@pytest.fixture
def typed(project):
    project.add_roster()
    project.add("log.xlsx", [TYPED_LOG_HEADER,
        [*log_row(dt.date(2026, 10, 20), "张三", C, stage="7", result="签单"), "拓展培训", ""],  # October: not counted
        [*log_row(dt.date(2026, 11, 2), "张三", A), "管理咨询", "认证"],      # 推介业务 wins over 客户需求
        [*log_row(dt.date(2026, 11, 3), "张三", B), "", "内训"],             # no 推介业务: 客户需求 企业内训
        [*log_row(dt.date(2026, 11, 4), "李四", A, stage="7", result="签单"), "咨询", ""],
        [*log_row(dt.date(2026, 11, 5), "张三", C, stage="3", result="丢单"), "企业内训", ""],
        [*log_row(dt.date(2026, 11, 7), "张三", E_), "", ""]])               # no type at all: left out
    project.add("bc.xlsx", [BC_HEADER, [dt.date(2026, 11, 6), "李四", D_, "钱经理", "13800000004", "天津市河西区友谊路5号",
                                        "C", "拓展培训"]])
    project.add("orders.xlsx", [ORDER_HEADER,
        [dt.date(2026, 11, 10), "张三", B, "内训", 10000, None, None, None],
        [dt.date(2026, 11, 12), "李四", A, "企业内训", 8000, None, None, None],
        [dt.date(2026, 12, 1), "张三", C, "拓展培训", 5000, None, None, None]])  # December: not counted
    project.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    return project


def test_core_events_carry_the_business_type_of_every_source(typed):
    # log: 推介业务 (咨询 → 管理咨询), else 客户需求 (内训 → 企业内训); BC: 客户需求; order: 业务类型; none: null
    rows = typed.query("select e.source, c.name, e.event_date, e.business_type from core_events e "
                       "join customers c using (customer_code) order by e.event_date, e.source")
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("log", C, "拓展培训"), ("log", A, "管理咨询"), ("log", B, "企业内训"), ("log", A, "管理咨询"),
        ("log", C, "企业内训"), ("bc", D_, "拓展培训"), ("log", E_, None), ("order", B, "企业内训"),
        ("order", A, "企业内训"), ("order", C, "拓展培训")]


def test_readme_win_rate_by_business_type_query(typed):
    # November, per type, customers counted once across the team (metrics.md: closed / followed):
    # 企业内训: followed {乙 (log 客户需求, order), 丙 (log, 丢单), 甲 (李四's order)} = 3, closed {乙, 甲} = 2 → 2/3
    # 拓展培训: followed {丁 (BC 客户需求)} = 1, closed 0 → 0 (丙's October 签单 and December order are outside)
    # 管理咨询: followed {甲 (张三's row, 李四's 签单 row)} = 1, closed {甲} = 1 → 1
    # 认证 is only 甲's 客户需求 next to a 推介业务, 戊 has no type: neither is a row
    rows = typed.query(readme_query("-- 成单率 by 业务类型"))
    assert rows == [("企业内训", 2, 3, pytest.approx(2 / 3)), ("拓展培训", 0, 1, 0.0), ("管理咨询", 1, 1, 1.0)]
