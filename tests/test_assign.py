"""Assignment recommendations and their approval loop (assignment.md)."""
import datetime as dt
from zoneinfo import ZoneInfo
from pathlib import Path

import openpyxl
import pytest

from salespipe.assign import Candidate, Item, assign_batch, make_assignment
from salespipe.config import load_config
from conftest import LOG_HEADER, ROSTER, log_row

WEIGHTS = load_config().raw["assignment"]
D = dt.date(2026, 11, 30)


def person(sp, specialties=(), win=0.2, capacity=60, load=0):
    return Candidate(sp, sp, list(specialties), win, 0.1, 1, 0, 5, 2.0, 3, 3, capacity, load)


def owners(items, people):
    return [pick[0].salesperson_id if pick else None for pick in assign_batch(items, people, WEIGHTS)]


def test_the_specialist_gets_the_lead():
    items = [Item("天津甲有限公司", "企业内训")]
    assert owners(items, [person("S001", ["管理咨询"]), person("S002", ["企业内训"])]) == ["S002"]


def test_never_over_capacity_counting_this_batch():
    # S001 is better (higher win rate) but has one free slot: 59 of 60 customers already
    items = [Item(f"天津{i}有限公司", None) for i in range(3)]
    picks = owners(items, [person("S001", win=0.9, load=59), person("S002", win=0.1)])
    assert picks.count("S001") == 1 and picks.count("S002") == 2


def test_a_large_batch_is_balanced():
    items = [Item(f"天津{i}有限公司", None) for i in range(10)]
    picks = owners(items, [person("S001"), person("S002")])
    assert picks.count("S001") == 5 and picks.count("S002") == 5


def test_nobody_with_room_means_no_recommendation():
    assert owners([Item("天津甲有限公司", None)], [person("S001", capacity=10, load=10)]) == [None]


def counts(items, people, settings=WEIGHTS):
    picks = [pick.candidate.salesperson_id for pick in assign_batch(items, people, settings)]
    return {c.salesperson_id: picks.count(c.salesperson_id) for c in people}


# Hand computation (default weights): every score part is equal but 特长 (3.0 × 1 for 认证) and 成单率 (2.0 × win):
# A scores S + 1.6 (win 0.9 vs 0.1), B = C = S, D (no 认证) = S − 3. Fair share e = (4 leads + 0 recent) / 4 = 1,
# slot k costs 2.0 × k / e = 2k, plus 2.0 × k / t for the type (t = 4 认证 leads / 3 specialists: +1.5k). The
# four cheapest slots: A0 −S−1.6, B0 −S, C0 −S, A1 −S−1.6+2+1.5 = −S+1.9 (next: D0 −S+3, B1/C1 −S+3.5).
# Old rule (k ÷ 60): A took all four while B and C, specialists too, got none.
CERTIFICATION = [Item(f"天津认证{i}有限公司", "认证") for i in range(4)]


def tied_team(recent_a=0):
    a = person("A", ["认证"], win=0.9)
    a.recent = recent_a
    return [a, person("B", ["认证"], win=0.1), person("C", ["认证"], win=0.1), person("D", ["拓展培训"], win=0.1)]


def test_leads_spread_among_the_specialists_with_ties():
    assert counts(CERTIFICATION, tied_team()) == {"A": 2, "B": 1, "C": 1, "D": 0}


def test_leads_received_in_the_trailing_days_count_against_a_salesperson():
    # A got 3 in the last 30 days: e = (4 + 3) / 4 = 1.75; the type's share t = 4 认证 leads / 3 specialists = 4/3,
    # slot k of a type costs 2.0 × k / t = 1.5k more. A0 costs −S−1.6 + 2×3/1.75 = −S+1.83, A1 −S−1.6 + 2×4/1.75
    # + 1.5 = −S+4.47; B0 = C0 = −S, B1 = C1 = −S + 2/1.75 + 1.5 = −S+2.64; D0 −S+3. The four cheapest: B0, C0, A0
    # and one of B1 / C1 (a tie) → A 1 instead of 2 without the trailing leads (test above)
    got = counts(CERTIFICATION, tied_team(recent_a=3))
    assert got["A"] == 1 and sorted((got["B"], got["C"])) == [1, 2] and got["D"] == 0


def test_nobody_gets_more_than_twice_the_mean_while_others_have_room():
    # load term off: the cap alone. 6 leads, 3 people: mean 2, cap 4. The specialist (S + 3) takes 4, the rest go
    # to the better of the other two (win 0.3 vs 0.1)
    people = [person("A", ["认证"]), person("B", win=0.3), person("C", win=0.1)]
    items = [Item(f"天津认证{i}有限公司", "认证") for i in range(6)]
    assert counts(items, people, {**WEIGHTS, "weight_balance": 0}) == {"A": 4, "B": 2, "C": 0}


def test_each_pick_names_the_runner_up_and_the_score_gap():
    picks = assign_batch(CERTIFICATION, tied_team(), WEIGHTS)
    to_a = next(p for p in picks if p.candidate.salesperson_id == "A")
    to_b = next(p for p in picks if p.candidate.salesperson_id == "B")
    assert (to_a.runner_up.salesperson_id, round(to_a.gap, 2)) == ("B", 1.6)  # B and C tie: the first by 工号
    assert (to_b.runner_up.salesperson_id, round(to_b.gap, 2)) == ("A", -1.6)


def test_the_same_inputs_give_the_same_recommendations():
    items = [Item(f"天津{i}有限公司", ["企业内训", "管理咨询", None][i % 3]) for i in range(12)]
    people = [person("S001", ["企业内训"]), person("S002", ["管理咨询"], win=0.3), person("S003")]
    assert owners(items, people) == owners(items, people)


# ---------------------------------------------------------------- from the warehouse

ROSTER_WITH_ROLES = [*ROSTER, ["S090", "周敏", "内勤", "在职", dt.date(2025, 1, 1), None, "", "zm@example.com"],
                     ["S091", "吴经理", "行政经理", "在职", dt.date(2023, 1, 1), None, "", "admin@example.com"],
                     ["S092", "郑总", "总经理", "在职", dt.date(2022, 1, 1), None, "", "gm@example.com"]]
ADMIN, GM = "吴经理（S091）", "郑总（S092）"  # as the 审批人 drop-down lists them
LEAD_HEADER = ["客户名称", "联系人", "联系电话", "客户需求", "客户来源", "获取日期"]


@pytest.fixture
def team(project):
    project.add_roster(ROSTER_WITH_ROLES)
    project.add("leads.xlsx", [LEAD_HEADER, ["天津新甲科技有限公司", "孙总", "13900000001", "企业内训", "网络", D],
                               ["天津新乙机械有限公司", "钱总", "13900000002", "拓展", "购买", D],
                               ["天津新丙商贸有限公司", "周总", "13900000003", "咨询", "关系", D]])
    project.add("log.xlsx", [LOG_HEADER,
        # 甲 worked by both in the last 30 days: 李四 reached stage 5, 张三 stage 3
        log_row(dt.date(2026, 11, 10), "张三", "天津甲有限公司", stage="3"),
        log_row(dt.date(2026, 11, 12), "李四", "天津甲有限公司", stage="5"),
        # 乙 owned by 张三, last touched 31 days before 11-30: recycled; 丙 28 days before: a warning only
        log_row(dt.date(2026, 10, 30), "张三", "天津乙有限公司", phone="13700000002", contact="乙总"),
        log_row(dt.date(2026, 11, 2), "张三", "天津丙有限公司", phone="13700000003", contact="丙总")])
    project.ingest(now=dt.datetime(2026, 11, 30, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")))  # files read on D
    return project


def recommendations(project, tmp_path):
    return make_assignment(project.config, D, tmp_path / "assign")


def test_only_selling_salespeople_in_service_are_candidates(team, tmp_path):
    _, recs = recommendations(team, tmp_path)
    assert [c.salesperson_id for c in recs.candidates] == ["S001", "S002"]  # not 王五 (left), not 周敏 (内勤)


def test_conflict_goes_to_the_furthest_stage(team, tmp_path):
    _, recs = recommendations(team, tmp_path)
    (conflict,) = recs.conflicts
    assert conflict["name"] == "天津甲有限公司" and conflict["to"].salesperson_id == "S002"
    assert "最远阶段 5" in conflict["reason"] and "最远阶段 3" in conflict["reason"]


def test_recycling_after_30_days_and_a_warning_before(team, tmp_path):
    _, recs = recommendations(team, tmp_path)
    assert [(r["name"], r["to"].salesperson_id) for r in recs.recycle] == [("天津乙有限公司", "S002")]
    assert "已 31 天未跟进" in recs.recycle[0]["why"]
    assert [(r["name"], r["days_left"]) for r in recs.recycle_soon] == [("天津丙有限公司", 2)]


def test_the_workbook_has_three_sheets_with_reasons_and_drop_downs(team, tmp_path):
    path, recs = recommendations(team, tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["新客户分配", "冲突客户转移", "客户回收"]
    ws = wb["新客户分配"]
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert [r["客户名称"] for r in rows] == ["天津新甲科技有限公司", "天津新乙机械有限公司", "天津新丙商贸有限公司"]
    assert all(r["建议业务员工号"] in ("S001", "S002") and "得分" in r["理由"] for r in rows)
    first = next(r for r in rows if r["客户名称"] == "天津新甲科技有限公司")
    assert first["建议业务员工号"] == "S001" and "特长匹配（需求：企业内训" in first["理由"]  # 张三: 管理咨询、企业内训
    assert {dv.formula1 for dv in ws.data_validations.dataValidation} >= {'"批准,改派,驳回"'}


def decide(path, decisions: dict[str, tuple]):
    """Fill 审批结果 / 改派业务员 / 审批人 / 审批日期 for the rows named by 客户名称."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets[:3]:
        header = [c.value for c in ws[2]]
        for r in range(3, ws.max_row + 1):
            name = ws.cell(r, header.index("客户名称") + 1).value
            if name in decisions:
                for column, value in zip(("审批结果", "改派业务员", "审批人", "审批日期"), decisions[name]):
                    ws.cell(r, header.index(column) + 1, value)
    return wb


def approve(team, path, approver, decisions: dict[str, tuple], name: str, now: dt.datetime):
    """One manager's copy of the workbook: the same decision for each named row, signed by `approver`; ingested."""
    wb = decide(path, {customer: (*decision, approver, dt.date(2026, 12, 1)) for customer, decision in decisions.items()})
    wb.save(team.inbox / name)
    return team.ingest(now=now)


DECISIONS = {"天津新甲科技有限公司": ("批准", None), "天津新乙机械有限公司": ("改派", "李四（S002）"),
             "天津新丙商贸有限公司": ("驳回", None), "天津乙有限公司": ("批准", None)}


def test_one_approver_changes_nothing_and_the_row_waits_for_the_second(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    summary = approve(team, path, ADMIN, DECISIONS, "分配建议_行政经理.xlsx", dt.datetime(2026, 12, 1, 18, 0))
    assert team.scalar("select count(*) from assignment_decisions") == 0
    assert team.scalar("select count(*) from customers where name like '天津新%'") == 0
    assert team.scalar("select owner_id from customers where name = '天津乙有限公司'") == "S001"
    # 4 rows decided by the 行政经理 wait; the 2 conflict rows and the other lead were left empty (新乙/丙 are 3 leads,
    # 甲 the conflict, 乙 the recycling: 3 + 1 + 1 = 5 rows, 4 decided)
    assert dict(summary.decisions) == {"待第二审批人": 4, "未填": 1}
    from salespipe.summary import decisions_line
    assert decisions_line(summary.decisions) == ("分配审批 approval rows: 批准 0 / 改派 0 / 驳回 0 / 未填 1 / "
                                                 "待第二审批人 4 / 意见不一致 0 / 重复（已记录） 0 / 退回 0")
    from reports import make_report
    from reporting import Tables
    (daily,), _ = make_report(team.config, "daily", dt.date(2026, 12, 1), ["html"], tmp_path / "r")
    waiting = Tables(daily.read_text(encoding="utf-8")).tables["waiting-approvals"]
    assert sorted((row[0], row[2], row[3], row[5]) for row in waiting[1:]) == sorted(
        (name, decision, ADMIN, "总经理") for name, (decision, _) in DECISIONS.items())


def test_both_approvers_apply_the_decision_once(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    approve(team, path, ADMIN, DECISIONS, "分配建议_行政经理.xlsx", dt.datetime(2026, 12, 1, 18, 0))
    summary = approve(team, path, GM, DECISIONS, "分配建议_总经理.xlsx", dt.datetime(2026, 12, 2, 18, 0))
    decisions = team.query("select customer_code, from_salesperson_id, to_salesperson_id, decision, action, approver "
                           "from assignment_decisions")
    new_a = team.scalar("select customer_code from customers where name = '天津新甲科技有限公司'")
    new_b = team.scalar("select customer_code from customers where name = '天津新乙机械有限公司'")
    recycled = team.scalar("select customer_code from customers where name = '天津乙有限公司'")
    both = f"{ADMIN}、{GM}"
    assert sorted(decisions, key=str) == sorted([
        (new_a, None, "S001", "批准", "新客户分配", both), (new_b, None, "S002", "改派", "新客户分配", both),
        (None, None, None, "驳回", "新客户分配", both), (recycled, "S001", "S002", "批准", "客户回收", both)], key=str)
    assert team.scalar("select owner_id from customers where customer_code = ?", [new_a]) == "S001"
    assert team.scalar("select owner_id from customers where customer_code = ?", [new_b]) == "S002"
    assert team.scalar("select owner_id from customers where customer_code = ?", [recycled]) == "S002"
    assert team.scalar("select count(*) from customers where name = '天津新丙商贸有限公司'") == 0
    assert dict(summary.decisions) == {"批准": 2, "改派": 1, "驳回": 1, "未填": 1}
    assert (summary.new_customers, summary.customers_from_leads) == (2, 2)
    # the leads know what they became
    assert team.query("select customer_name, customer_code from leads order by lead_id") == [
        ("天津新甲科技有限公司", new_a), ("天津新乙机械有限公司", new_b), ("天津新丙商贸有限公司", None)]
    # an 改派's reasons are the chosen salesperson's: 李四 (拓展培训) for a 拓展 lead, not the recommendation's
    reason = team.scalar("select reason from assignment_decisions where decision = '改派'")
    assert reason.startswith("改派给 李四（S002）：特长匹配（需求：拓展培训；特长：拓展培训）")
    # the same decisions in more copies of the workbook change nothing
    again = approve(team, path, GM, DECISIONS, "分配建议_再次.xlsx", dt.datetime(2026, 12, 2, 19, 0))
    assert team.scalar("select count(*) from assignment_decisions") == 4
    assert team.scalar("select count(*) from customers where name like '天津新%'") == 2
    assert again.decisions.get("待第二审批人", 0) == 0 and again.new_customers == 0


def test_approvers_who_disagree_change_nothing(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    approve(team, path, ADMIN, {"天津乙有限公司": ("批准", None)}, "a.xlsx", dt.datetime(2026, 12, 1, 18, 0))
    summary = approve(team, path, GM, {"天津乙有限公司": ("驳回", None)}, "b.xlsx", dt.datetime(2026, 12, 1, 19, 0))
    assert team.scalar("select count(*) from assignment_decisions") == 0
    assert dict(summary.decisions) == {"意见不一致": 1, "未填": 4}  # both decided, differently: not "waiting"
    # the 行政经理 changes their mind: both say 驳回 now
    approve(team, path, ADMIN, {"天津乙有限公司": ("驳回", None)}, "c.xlsx", dt.datetime(2026, 12, 1, 20, 0))
    assert team.query("select decision, to_salesperson_id from assignment_decisions") == [("驳回", None)]
    assert team.scalar("select owner_id from customers where name = '天津乙有限公司'") == "S001"


def test_a_typed_name_that_is_not_an_approver_is_rejected_with_the_reason(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    wb = decide(path, {"天津新甲科技有限公司": ("批准", None, "张三", "2026-12-01"),
                       "天津新乙机械有限公司": ("批准", None, None, "2026-12-01")})
    wb.save(team.inbox / path.name)
    summary = team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    assert summary.decisions["退回"] == 2 and team.scalar("select count(*) from assignment_approvals "
                                                          "where decision is not null") == 0
    rule = "审批人须为名册中岗位为行政经理、总经理的在职人员：吴经理（S091）、郑总（S092）"
    assert sorted(team.query("select customer_name, column_name, value, reason from rejects where kind = 'approvals'")) == [
        ("天津新乙机械有限公司", "审批人", "", f"缺少审批人：请从下拉列表选择（{rule}）"),
        ("天津新甲科技有限公司", "审批人", "张三", f"不是审批人：张三（{rule}）")]
    from reports import make_report
    from reporting import Tables
    (daily,), _ = make_report(team.config, "daily", dt.date(2026, 12, 1), ["html"], tmp_path / "r")
    shown = Tables(daily.read_text(encoding="utf-8")).tables["rejected-approvals"]
    assert sorted((row[0], row[1], row[4]) for row in shown[1:]) == [
        ("天津新乙机械有限公司", "", f"缺少审批人：请从下拉列表选择（{rule}）"),
        ("天津新甲科技有限公司", "张三", f"不是审批人：张三（{rule}）")]


def test_a_rejected_row_goes_back_to_the_approver_who_filled_it(team, tmp_path):
    from reports.feedback import feedback_rows
    from salespipe.warehouse import connect

    path, _ = recommendations(team, tmp_path)
    decide(path, {"天津新甲科技有限公司": ("同意吧", None, ADMIN, "2026-12-01")}).save(team.inbox / path.name)
    team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    con = connect(team.config.warehouse, read_only=True)
    try:
        mine = feedback_rows(con, dt.date(2026, 12, 1))["S091"]["rejected"]
    finally:
        con.close()
    assert [(p["customer_name"], p["column_name"], p["value"]) for p in mine] == [("天津新甲科技有限公司", "审批结果", "同意吧")]


def test_bad_decisions_are_rejected_whole(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    for approver, name in ((ADMIN, "a.xlsx"), (GM, "b.xlsx")):
        decide(path, {"天津新甲科技有限公司": ("同意吧", None, approver, "2026-12-01"),
                      "天津新乙机械有限公司": ("改派", "王五", approver, "2026-12-01"),
                      "天津乙有限公司": ("改派", "孙悟空", approver, "2026-12-01")}).save(team.inbox / name)
    team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    assert team.scalar("select count(*) from assignment_decisions") == 0
    assert team.scalar("select owner_id from customers where name = '天津乙有限公司'") == "S001"
    reasons = sorted({r[0] for r in team.query("select reason from rejects where kind = 'approvals'")})
    assert reasons == ["业务员不在职或不是销售岗位：王五", "业务员不存在或重名：孙悟空",
                       "审批结果填写不规范：同意吧（可填：批准、驳回、改派）"]


def test_a_rejected_lead_is_not_recommended_again_unless_it_comes_again_later(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    for approver, name in ((ADMIN, "a.xlsx"), (GM, "b.xlsx")):
        approve(team, path, approver, {"天津新丙商贸有限公司": ("驳回", None)}, name, dt.datetime(2026, 12, 1, 18, 0))
    _, later = make_assignment(team.config, dt.date(2026, 12, 2), tmp_path / "next")
    assert [e["lead"]["customer_name"] for e in later.new] == ["天津新甲科技有限公司", "天津新乙机械有限公司"]
    # the same lead sheet again (acquired 11-30, before the 驳回): still not; a lead acquired after it: new information
    team.add("leads2.xlsx", [LEAD_HEADER, ["天津新丙商贸有限公司", "周总", "13900000003", "咨询", "关系", D],
                             ["天津新丁商贸有限公司", "吴总", "13900000004", "咨询", "关系", D]])
    team.ingest(now=dt.datetime(2026, 12, 2, 18, 0))
    _, later = make_assignment(team.config, dt.date(2026, 12, 3), tmp_path / "next")
    assert [e["lead"]["customer_name"] for e in later.new][2:] == ["天津新丁商贸有限公司"]
    team.add("leads3.xlsx", [LEAD_HEADER, ["天津新丙商贸有限公司", "周总", "13900000009", "咨询", "关系",
                                           dt.date(2026, 12, 3)]])
    team.ingest(now=dt.datetime(2026, 12, 3, 18, 0))
    _, later = make_assignment(team.config, dt.date(2026, 12, 3), tmp_path / "next")
    assert "天津新丙商贸有限公司" in [e["lead"]["customer_name"] for e in later.new]


def test_the_workbook_validates_the_approval_columns(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["新客户分配"]
    header = [c.value for c in ws[2]]
    letter = {name: openpyxl.utils.get_column_letter(i + 1) for i, name in enumerate(header)}
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    for column in ("审批结果", "改派业务员", "审批人", "审批日期"):
        rule = rules[f"{letter[column]}3:{letter[column]}5"]
        assert rule.showErrorMessage and rule.error, column
    assert rules[f"{letter['审批人']}3:{letter['审批人']}5"].formula1 == "'_选项'!$B$1:$B$2"
    assert rules[f"{letter['审批日期']}3:{letter['审批日期']}5"].type == "date"
    assert [wb["_选项"].cell(i, 2).value for i in (1, 2)] == [ADMIN, GM]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert [r["线索编号"] for r in rows] == ["XS000001", "XS000002", "XS000003"]
    assert all(r["次选业务员"] in ("张三（S001）", "李四（S002）") and isinstance(r["得分差"], float) for r in rows)


def test_daily_report_warns_of_recycling_and_monthly_shows_the_fairness_ledger(team, tmp_path):
    from reports import make_report
    from reporting import Tables

    (daily,), _ = make_report(team.config, "daily", D, ["html"], tmp_path / "r")
    soon = Tables(daily.read_text(encoding="utf-8")).tables["recycle"]
    # 乙 idle 31 days (limit 30): due 1 day ago; 丙 idle 28 days: 2 days left (the warning starts 3 days before)
    assert [(r[1], r[2], r[4]) for r in soon[1:]] == [("天津乙有限公司", "张三", "已到期 1 天"), ("天津丙有限公司", "张三", "还剩 2 天")]
    path, _ = recommendations(team, tmp_path)
    for approver, name in ((ADMIN, "a.xlsx"), (GM, "b.xlsx")):
        decide(path, {"天津新甲科技有限公司": ("批准", None, approver, "2026-11-30"),
                      "天津新乙机械有限公司": ("改派", "S002", approver, "2026-11-30"),
                      "天津乙有限公司": ("批准", None, approver, "2026-11-30")}).save(team.inbox / name)
    team.ingest(now=dt.datetime(2026, 11, 30, 19, 0))
    (monthly,), _ = make_report(team.config, "monthly", D, ["html"], tmp_path / "r")
    ledger = Tables(monthly.read_text(encoding="utf-8")).tables["fairness"]
    # 张三: lead 新甲 (批准); 李四: lead 新乙 (改派) and the recycled 乙. Owned now: 张三 甲 (first seen by him; the
    # conflict was not decided), 丙, 新甲 = 3; 李四 乙, 新乙 = 2
    assert [r[:7] for r in ledger[1:]] == [["张三（S001）", "1", "0", "1", "0", "3", "60"],
                                           ["李四（S002）", "1", "1", "1", "1", "2", "60"]]


def test_a_roster_name_that_looks_like_a_formula_stays_text_in_the_hidden_options(project, tmp_path):
    project.add_roster([*ROSTER, ["S004", "=1+1", "CC", "在职", dt.date(2025, 1, 1), None, "认证", "x@example.com"]])
    project.ingest(now=dt.datetime(2026, 11, 30, 18, 0))
    path, _ = recommendations(project, tmp_path)
    options = openpyxl.load_workbook(path)["_选项"]
    cells = {cell.value: cell.data_type for (cell,) in options.iter_rows(max_col=1)}
    (label,) = [value for value in cells if value.startswith("=")]
    assert label.startswith("=1+1") and cells[label] == "s"  # text, not a live formula ('f')



# ---------------------------------------------------------------- the demo month

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo month of `salespipe demo` (seed 2026, 2026-11, 12 salespeople) ingested into a fresh project."""
    from conftest import Project
    from salespipe.demo import generate

    root = tmp_path_factory.mktemp("demo")
    project = Project(root / "project")
    generate(project.inbox, seed=2026, month="2026-11", salespeople=12)
    project.ingest(now=dt.datetime(2026, 11, 30, 18, 0))
    return project


def test_on_the_demo_month_no_specialist_idles_while_another_gets_twice_the_mean(demo, tmp_path):
    _, recs = make_assignment(demo.config, D, tmp_path)
    picks = [e for e in recs.new + recs.recycle if e.get("to")]
    got = {c.salesperson_id: sum(e["to"] is c for e in picks) for c in recs.candidates}
    mean = len(picks) / len(recs.candidates)
    needs = {e["item"].need_type for e in picks}
    idle_specialists = [sp for sp, n in got.items() if n == 0 and set(next(
        c for c in recs.candidates if c.salesperson_id == sp).specialties) & needs]
    assert len(picks) == 52 and len(recs.candidates) == 11  # 30 leads and 22 customers of the one who left
    assert idle_specialists == [] and max(got.values()) <= 2 * mean, got
    # and within each business type: its specialists share its leads (the 9 认证 leads of the demo among its 7
    # specialists: nobody idle while another has more than twice the type's mean)
    for need in {e["item"].need_type for e in recs.new if e.get("to")}:
        specialists = [c.salesperson_id for c in recs.candidates if need in c.specialties]
        leads = [e["to"].salesperson_id for e in recs.new if e.get("to") and e["item"].need_type == need]
        by = {sp: leads.count(sp) for sp in specialists}
        type_mean = len(leads) / max(1, len(specialists))
        assert not (0 in by.values() and max(by.values(), default=0) > 2 * type_mean), (need, by)


def fill_rows(path, decisions: dict[int, tuple], approver: str, out: Path) -> dict[int, dict]:
    """A manager's copy: decisions by row number (序号) of 新客户分配; returns those rows as they were written."""
    wb = openpyxl.load_workbook(path)
    ws = wb["新客户分配"]
    header = [c.value for c in ws[2]]
    written = {}
    for r in range(3, ws.max_row + 1):
        number = ws.cell(r, 1).value
        if number in decisions:
            written[number] = {h: ws.cell(r, i + 1).value for i, h in enumerate(header)}
            for column, value in zip(APPROVAL, (*decisions[number], approver, dt.date(2026, 12, 1))):
                ws.cell(r, header.index(column) + 1, value)
    wb.save(out)
    return written


APPROVAL = ("审批结果", "改派业务员", "审批人", "审批日期")


def test_the_demo_after_one_approval_round_answers_what_came_of_the_leads(demo, tmp_path):
    path, recs = make_assignment(demo.config, D, tmp_path / "round1")
    decisions = {1: ("批准", None), 2: ("批准", None), 3: ("改派", "杨旭（S101）"), 4: ("驳回", None)}
    for approver, name in (("吴经理（S091）", "分配建议_行政经理.xlsx"), ("郑总（S092）", "分配建议_总经理.xlsx")):
        rows = fill_rows(path, decisions, approver, demo.inbox / name)
    summary = demo.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    # every row of the two copies counted once: 4 matters × 2 approvers settled, the other 48 rows of each blank
    assert dict(summary.decisions) == {"批准": 4, "改派": 2, "驳回": 2, "未填": 2 * (52 - 4)}
    assert summary.customers_from_leads == 3
    # 12-02: the salesperson of lead 1 calls it, reaches stage 3; an order of 12 800 on 12-03
    first = rows[1]
    demo.add("日志表_lead1.xlsx", [[*LOG_HEADER, "工号"], [*log_row(dt.date(2026, 12, 2), first["建议业务员"],
        first["客户名称"], phone=first["联系电话"], contact=first["联系人"], stage="3"), first["建议业务员工号"]]])
    demo.add("订单_lead1.xlsx", [["签单日期", "业务员", "工号", "客户名称", "业务类型", "合同金额"],
                                 [dt.date(2026, 12, 3), None, first["建议业务员工号"], first["客户名称"], "认证", 12800]])
    demo.ingest(now=dt.datetime(2026, 12, 3, 18, 0))
    outcomes = {r[0]: r[1:] for r in demo.query(
        "select lead_id, outcome, decision, decided_on, assigned_salesperson_id, customer_code is not null, "
        "contacts_since, furthest_stage, revenue from mart_lead_outcomes")}
    day = dt.date(2026, 12, 1)
    assert outcomes[rows[1]["线索编号"]] == ("已分配", "批准", day, rows[1]["建议业务员工号"], True, 1, 3, 12800)
    assert outcomes[rows[2]["线索编号"]] == ("已分配", "批准", day, rows[2]["建议业务员工号"], True, 0, None, 0)
    assert outcomes[rows[3]["线索编号"]] == ("已分配", "改派", day, "S101", True, 0, None, 0)
    assert outcomes[rows[4]["线索编号"]] == ("已驳回", "驳回", day, None, False, 0, None, 0)
    assert sum(o[0] == "待审批" for o in outcomes.values()) == 30 - 4
    # the next workbook: the decided leads are gone, the 驳回 one included
    _, later = make_assignment(demo.config, dt.date(2026, 12, 4), tmp_path / "round2")
    next_leads = {e["lead"]["lead_id"] for e in later.new}
    assert len(next_leads) == 26 and not next_leads & {rows[n]["线索编号"] for n in decisions}


# ---------------------------------------------------------------- what a first user found (issue 16 review)

def rows_of(path, sheet="新客户分配") -> dict[str, dict]:
    """The rows of a sheet of the workbook by 客户名称."""
    ws = openpyxl.load_workbook(path)[sheet]
    header = [c.value for c in ws[2]]
    return {r[header.index("客户名称")]: dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)}


def signed(path, approver, decisions: dict[str, tuple], day: dt.date, out: Path) -> None:
    """One manager's copy: (审批结果, 改派业务员) per 客户名称, signed by `approver`, dated `day`."""
    decide(path, {name: (*decision, approver, day) for name, decision in decisions.items()}).save(out)


def due_for_recycling(project, day: dt.date) -> list[dict]:
    from salespipe.assign import recycle_candidates
    from salespipe.warehouse import connect

    con = connect(project.config.warehouse, read_only=True)
    try:
        return recycle_candidates(con, day, project.config.raw["assignment"])
    finally:
        con.close()


@pytest.fixture
def recycling(project):
    """张三 owns 乙 (last activity 10-30: 31 days on 11-30) and 丁 (10-28: 33 days); 赵六 is a third salesperson."""
    project.add_roster([*ROSTER_WITH_ROLES, ["S004", "赵六", "CC", "在职", dt.date(2025, 1, 1), None, "认证", "zl@example.com"]])
    project.add("log.xlsx", [LOG_HEADER,
        log_row(dt.date(2026, 10, 30), "张三", "天津乙有限公司", phone="13700000002", contact="乙总"),
        log_row(dt.date(2026, 10, 28), "张三", "天津丁有限公司", phone="13700000004", contact="丁总")])
    project.ingest(now=dt.datetime(2026, 11, 30, 18, 0))
    return project


def test_a_transferred_customer_is_the_new_owners_for_a_full_recycling_period(recycling, tmp_path):
    path, recs = make_assignment(recycling.config, D, tmp_path / "a")
    assert sorted(r["name"] for r in recs.recycle) == ["天津丁有限公司", "天津乙有限公司"]
    to_b = rows_of(path, "客户回收")["天津乙有限公司"]["建议业务员工号"]
    decisions = {"天津乙有限公司": ("批准", None), "天津丁有限公司": ("改派", "赵六（S004）")}
    for approver, name in ((ADMIN, "a.xlsx"), (GM, "b.xlsx")):
        signed(path, approver, decisions, D, recycling.inbox / name)
    recycling.ingest(now=dt.datetime(2026, 11, 30, 19, 0))
    assert recycling.query("select name, owner_id from customers order by name") == [
        ("天津丁有限公司", "S004"), ("天津乙有限公司", to_b)]
    # the clock restarts at the transfer (11-30): not due, not even warned, two days later
    assert due_for_recycling(recycling, dt.date(2026, 12, 2)) == []
    _, later = make_assignment(recycling.config, dt.date(2026, 12, 2), tmp_path / "b")
    assert later.recycle == [] and later.recycle_soon == []
    # 30 days after the transfer: 12-27 is 3 days before (a warning), 12-30 is due, counted from 11-30
    assert [(r["name"], r["days_left"]) for r in due_for_recycling(recycling, dt.date(2026, 12, 27))] == [
        ("天津丁有限公司", 3), ("天津乙有限公司", 3)]
    due = {r["name"]: r["why"] for r in due_for_recycling(recycling, dt.date(2026, 12, 30))}
    names = {"S001": "张三", "S002": "李四", "S004": "赵六"}
    assert due == {"天津丁有限公司": "负责人 赵六 自 2026-11-30 接手后已 30 天未跟进（上限 30 天）",
                   "天津乙有限公司": f"负责人 {names[to_b]} 自 2026-11-30 接手后已 30 天未跟进（上限 30 天）"}


def test_an_idle_customer_counts_from_its_owners_last_row_under_any_of_its_codes(project):
    """recycle_candidates reads all history only for customers whose owner has no row in the last recycle_days +
    recycle_warning_days (33): 张三's last row with 己 (10-20, 41 days before 11-30) was written under another name
    whose code was later merged into 己's; it is his last activity with 己, not the 10-01 row under 己's own code."""
    from salespipe.customers.master import merge
    from salespipe.warehouse import connect

    project.add_roster(ROSTER_WITH_ROLES)
    project.add("log.xlsx", [LOG_HEADER,
        log_row(dt.date(2026, 10, 1), "张三", "天津己有限公司", phone="13700000011", contact="己总"),
        log_row(dt.date(2026, 10, 20), "张三", "天津庚申贸易有限公司", phone="13700000012", contact="庚总")])
    project.ingest(now=dt.datetime(2026, 10, 20, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    con = connect(project.config.warehouse)
    try:
        assert merge(con, "KH000001", "KH000002") == "KH000001"  # a person decided they are one customer
    finally:
        con.close()
    due = due_for_recycling(project, D)
    assert [(r["customer_code"], r["owner_id"], r["idle_days"], r["days_left"]) for r in due] == [
        ("KH000001", "S001", 41, -11)]
    assert due[0]["why"] == "负责人 张三 已 41 天未跟进（上限 30 天）"


def test_a_half_approved_lead_keeps_its_salesperson_until_the_second_approver_decides(team, tmp_path):
    first, _ = recommendations(team, tmp_path)
    assert rows_of(first)["天津新乙机械有限公司"]["建议业务员工号"] == "S002"  # 李四, the 拓展培训 specialist
    signed(first, ADMIN, {"天津新甲科技有限公司": ("批准", None), "天津新乙机械有限公司": ("改派", "张三（S001）")},
           dt.date(2026, 12, 1), team.inbox / "a.xlsx")
    team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    # the next workbook asks the 总经理 about the same thing: 张三 for both, and says who decided what
    second, _ = make_assignment(team.config, dt.date(2026, 12, 1), tmp_path / "next")
    shown = rows_of(second)
    assert [(shown[n]["建议业务员工号"], shown[n]["已审批"]) for n in ("天津新甲科技有限公司", "天津新乙机械有限公司")] == [
        ("S001", "吴经理（S091）批准 → 张三（S001）"), ("S001", "吴经理（S091）改派 → 张三（S001）")]
    assert shown["天津新乙机械有限公司"]["理由"].startswith("保持已审批的业务员（吴经理（S091）改派 → 张三（S001））")
    assert shown["天津新丙商贸有限公司"]["已审批"] is None  # nobody decided it
    signed(second, GM, {"天津新甲科技有限公司": ("批准", None), "天津新乙机械有限公司": ("批准", None)},
           dt.date(2026, 12, 2), team.inbox / "b.xlsx")
    summary = team.ingest(now=dt.datetime(2026, 12, 2, 18, 0))
    # 5 rows (3 leads, 1 conflict, 1 recycling): 2 settled, 3 left blank
    assert dict(summary.decisions) == {"批准": 1, "改派": 1, "未填": 3}
    assert sorted(team.query("select lead_id, to_salesperson_id, decision, decided_on from assignment_decisions")) == [
        ("XS000001", "S001", "批准", dt.date(2026, 12, 2)), ("XS000002", "S001", "改派", dt.date(2026, 12, 2))]
    assert team.query("select name, owner_id from customers where name like '天津新%' order by name") == [
        ("天津新乙机械有限公司", "S001"), ("天津新甲科技有限公司", "S001")]
    assert team.query("select lead_id, outcome from mart_lead_outcomes order by lead_id") == [
        ("XS000001", "已分配"), ("XS000002", "已分配"), ("XS000003", "待审批")]


def test_the_approval_date_is_checked_before_the_people(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    decide(path, {"天津新甲科技有限公司": ("批准", None, GM, dt.date(2020, 1, 1)),
                  "天津新乙机械有限公司": ("批准", None, GM, dt.date(2026, 12, 5)),
                  "天津新丙商贸有限公司": ("驳回", None, GM, None),
                  "天津乙有限公司": ("批准", None, GM, D)}).save(team.inbox / "b.xlsx")
    summary = team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    assert dict(summary.decisions) == {"退回": 3, "待第二审批人": 1, "未填": 1}
    # only the date: 郑总 and 张三 are in service on the ingest day (neither was hired on 2020-01-01)
    assert sorted(team.query("select customer_name, column_name, value, reason, salesperson_id from rejects "
                             "where kind = 'approvals'")) == [
        ("天津新丙商贸有限公司", "审批日期", "", "缺少审批日期：请填写审批的日期，例如 2026-12-01", "S092"),
        ("天津新乙机械有限公司", "审批日期", "2026-12-05", "审批日期晚于今天：2026-12-05 晚于 2026-12-01", "S092"),
        ("天津新甲科技有限公司", "审批日期", "2020-01-01", "审批日期早于建议表日期：2020-01-01 早于 2026-11-30", "S092")]
    assert team.query("select customer_name, approved_on from assignment_approvals where decision is not null") == [
        ("天津乙有限公司", D)]


def test_approvers_who_disagree_are_reported_as_a_disagreement(team, tmp_path):
    from reports import make_report
    from reporting import Tables

    path, _ = recommendations(team, tmp_path)
    signed(path, ADMIN, {"天津新乙机械有限公司": ("改派", "李四（S002）")}, dt.date(2026, 12, 1), team.inbox / "a.xlsx")
    first = team.ingest(now=dt.datetime(2026, 12, 1, 17, 0))
    signed(path, GM, {"天津新乙机械有限公司": ("驳回", None)}, dt.date(2026, 12, 1), team.inbox / "b.xlsx")
    second = team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    assert (dict(first.decisions), dict(second.decisions)) == ({"待第二审批人": 1, "未填": 4}, {"意见不一致": 1, "未填": 4})
    (daily,), _ = make_report(team.config, "daily", dt.date(2026, 12, 1), ["html"], tmp_path / "r")
    html = Tables(daily.read_text(encoding="utf-8"))
    both = "意见不一致：吴经理（S091）改派 → 李四（S002）；郑总（S092）驳回"
    assert [(row[0], row[2], row[3], row[5]) for row in html.tables["waiting-approvals"][1:]] == [
        ("天津新乙机械有限公司", "改派", ADMIN, both), ("天津新乙机械有限公司", "驳回", GM, both)]
    waiting = daily.read_text(encoding="utf-8").split('<p id="waiting">')[1].split("</p>")[0]
    # 2 rows disagree; 0 wait for another approver: that clause is left out (issue 15)
    assert "；2 行两位审批人意见不一致（请一方改为与另一方相同的决定）。" in waiting and "等待另一位审批人" not in waiting


def test_every_row_is_counted_once_when_an_approver_repeats_a_decision(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    signed(path, ADMIN, {"天津新甲科技有限公司": ("批准", None)}, dt.date(2026, 12, 1), team.inbox / "a.xlsx")
    team.ingest(now=dt.datetime(2026, 12, 1, 17, 0))
    # the same decision again, in the next day's workbook (another file: the same bytes would be skipped as read)
    second, _ = make_assignment(team.config, dt.date(2026, 12, 1), tmp_path / "next")
    signed(second, ADMIN, {"天津新甲科技有限公司": ("批准", None)}, dt.date(2026, 12, 1), team.inbox / "a2.xlsx")
    again = team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    assert dict(again.decisions) == {"重复（已记录）": 1, "未填": 4}  # 5 rows, 5 counted
    # the 总经理 settles it; a third copy of the same decision is a repeat of a settled one: it does not wait
    signed(path, GM, {"天津新甲科技有限公司": ("批准", None)}, dt.date(2026, 12, 1), team.inbox / "b.xlsx")
    assert dict(team.ingest(now=dt.datetime(2026, 12, 2, 18, 0)).decisions) == {"批准": 1, "未填": 4}
    signed(second, GM, {"天津新甲科技有限公司": ("批准", None)}, dt.date(2026, 12, 1), team.inbox / "b2.xlsx")
    assert dict(team.ingest(now=dt.datetime(2026, 12, 2, 19, 0)).decisions) == {"重复（已记录）": 1, "未填": 4}
    assert team.scalar("select count(*) from assignment_approvals where decision is not null and settled_at is null") == 0
    assert team.scalar("select count(*) from assignment_decisions") == 1


def test_a_rejected_recycling_is_not_recommended_again_for_the_configured_days(team, tmp_path):
    # 王五 (left 11-15) owns 戊 from his row of 11-10
    team.add("log_wangwu.xlsx", [LOG_HEADER, log_row(dt.date(2026, 11, 10), "王五", "天津戊有限公司",
                                                      phone="13700000005", contact="戊总")])
    team.ingest(now=dt.datetime(2026, 11, 30, 18, 30))
    path, recs = recommendations(team, tmp_path)
    assert [(r["name"], r["why"]) for r in recs.recycle] == [("天津乙有限公司", "负责人 张三 已 31 天未跟进（上限 30 天）"),
                                                            ("天津戊有限公司", "负责人 王五 已离职")]
    for approver, name in ((ADMIN, "a.xlsx"), (GM, "b.xlsx")):
        signed(path, approver, {"天津戊有限公司": ("驳回", None)}, D, team.inbox / name)
    team.ingest(now=dt.datetime(2026, 11, 30, 19, 0))
    assert team.query("select decision, from_salesperson_id from assignment_decisions") == [("驳回", "S003")]
    _, later = make_assignment(team.config, dt.date(2026, 12, 1), tmp_path / "b")
    assert [r["name"] for r in later.recycle] == ["天津乙有限公司"]  # 戊: not again for 30 days (config)
    # 11-30 + 30 days = 12-30: warned from 12-27 (3 days left), due again on 12-30
    soon = {r["name"]: (r["days_left"], r["why"]) for r in due_for_recycling(team, dt.date(2026, 12, 27))}
    assert soon["天津戊有限公司"] == (3, "负责人 王五 已离职；2026-11-30 审批人驳回回收，2026-12-30 前不再建议")
    due = {r["name"]: r["due"] for r in due_for_recycling(team, dt.date(2026, 12, 30))}
    assert due["天津戊有限公司"] is True


def test_approvers_rejected_rows_are_not_in_the_salespeoples_data_quality(team, tmp_path):
    from reports import make_report
    from reporting import Tables

    path, _ = recommendations(team, tmp_path)
    decide(path, {"天津新甲科技有限公司": ("同意吧", None, ADMIN, dt.date(2026, 12, 1)),
                  "天津新乙机械有限公司": ("改派", "孙悟空", ADMIN, dt.date(2026, 12, 1)),
                  "天津乙有限公司": ("批准", None, GM, dt.date(2026, 12, 1))}).save(team.inbox / "a.xlsx")
    team.add("log_bad.xlsx", [LOG_HEADER, log_row(dt.date(2026, 12, 1), "张三", "天津丙有限公司", phone="13700000003",
                                                  contact="丙总", method="飞鸽")])
    team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    (daily,), _ = make_report(team.config, "daily", dt.date(2026, 12, 1), ["html"], tmp_path / "r")
    html = Tables(daily.read_text(encoding="utf-8"))
    assert [row[:2] for row in html.tables["quality"][1:]] == [["张三", "1"]]  # his log row only, not 吴经理's 2
    assert sorted((row[0], row[1]) for row in html.tables["rejected-approvals"][1:]) == [
        ("天津新乙机械有限公司", ADMIN), ("天津新甲科技有限公司", ADMIN)]
    assert team.query("select salesperson_id, rejected_rows from mart_activity_daily where activity_date = ? "
                      "and rejected_rows > 0 order by salesperson_id nulls last", [dt.date(2026, 12, 1)]) == [
        ("S001", 1), (None, 1)]


def test_a_tied_conflict_goes_to_who_developed_the_customer_first_under_any_of_its_codes(project, tmp_path):
    """assignment.md: furthest stage first, then the earliest 开发日期. 张三's first row (09-01) was written under
    another name whose code was later merged into the customer's: it still counts as 张三's 开发日期."""
    from salespipe.customers.master import merge
    from salespipe.warehouse import connect

    project.add_roster(ROSTER_WITH_ROLES)
    project.add("log.xlsx", [LOG_HEADER,  # 己 worked by both in the last 30 days, both at stage 3
        log_row(dt.date(2026, 11, 10), "李四", "天津己有限公司", phone="13700000011", contact="己总", stage="3"),
        log_row(dt.date(2026, 11, 12), "张三", "天津己有限公司", phone="13700000011", contact="己总", stage="3")])
    project.ingest(now=dt.datetime(2026, 11, 12, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    project.add("old.xlsx", [LOG_HEADER,
        log_row(dt.date(2026, 9, 1), "张三", "天津庚申贸易有限公司", phone="13700000012", contact="庚总", stage="1")])
    project.ingest(now=dt.datetime(2026, 11, 13, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert project.query("select customer_code, name from customers order by 1") == [
        ("KH000001", "天津己有限公司"), ("KH000002", "天津庚申贸易有限公司")]
    con = connect(project.config.warehouse)
    try:
        assert merge(con, "KH000001", "KH000002") == "KH000001"  # a person decided they are one customer
    finally:
        con.close()
    _, recs = recommendations(project, tmp_path)
    (conflict,) = recs.conflicts
    assert conflict["customer_code"] == "KH000001" and conflict["to"].salesperson_id == "S001"
    assert "开发日期 2026-09-01" in conflict["reason"] and "开发日期 2026-11-10" in conflict["reason"]
