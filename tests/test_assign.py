"""Assignment recommendations and their approval loop (assignment.md)."""
import datetime as dt

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


def test_the_same_inputs_give_the_same_recommendations():
    items = [Item(f"天津{i}有限公司", ["企业内训", "管理咨询", None][i % 3]) for i in range(12)]
    people = [person("S001", ["企业内训"]), person("S002", ["管理咨询"], win=0.3), person("S003")]
    assert owners(items, people) == owners(items, people)


# ---------------------------------------------------------------- from the warehouse

ROSTER_WITH_ROLES = [*ROSTER, ["S090", "周敏", "内勤", "在职", dt.date(2025, 1, 1), None, "", "zm@example.com"]]
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
    project.ingest(now=dt.datetime(2026, 11, 30, 18, 0))
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


def test_approval_round_trip(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    wb = decide(path, {"天津新甲科技有限公司": ("批准", None, "总经理", "2026-12-01"),
                       "天津新乙机械有限公司": ("改派", "李四（S002）", "总经理", "2026-12-01"),
                       "天津新丙商贸有限公司": ("驳回", None, "总经理", "2026-12-01"),
                       "天津乙有限公司": ("批准", None, "行政经理", "2026-12-01")})
    wb.save(team.inbox / path.name)
    team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    decisions = team.query("select customer_code, from_salesperson_id, to_salesperson_id, decision, action "
                           "from assignment_decisions order by source_row, action")
    new_a = team.scalar("select customer_code from customers where name = '天津新甲科技有限公司'")
    new_b = team.scalar("select customer_code from customers where name = '天津新乙机械有限公司'")
    recycled = team.scalar("select customer_code from customers where name = '天津乙有限公司'")
    assert sorted(decisions, key=str) == sorted([
        (new_a, None, "S001", "批准", "新客户分配"), (new_b, None, "S002", "改派", "新客户分配"),
        (None, None, None, "驳回", "新客户分配"), (recycled, "S001", "S002", "批准", "客户回收")], key=str)
    assert team.scalar("select owner_id from customers where customer_code = ?", [new_a]) == "S001"
    assert team.scalar("select owner_id from customers where customer_code = ?", [new_b]) == "S002"
    assert team.scalar("select owner_id from customers where customer_code = ?", [recycled]) == "S002"
    assert team.scalar("select count(*) from customers where name = '天津新丙商贸有限公司'") == 0
    # the same decisions in another copy of the workbook change nothing
    wb.properties.title = "再次提交"
    wb.save(team.inbox / "分配建议_再次.xlsx")
    team.ingest(now=dt.datetime(2026, 12, 1, 19, 0))
    assert team.scalar("select count(*) from assignment_decisions") == 4
    assert team.scalar("select count(*) from customers where name like '天津新%'") == 2


def test_bad_decisions_are_rejected_whole(team, tmp_path):
    path, _ = recommendations(team, tmp_path)
    wb = decide(path, {"天津新甲科技有限公司": ("同意吧", None, "总经理", "2026-12-01"),
                       "天津新乙机械有限公司": ("改派", "王五", "总经理", "2026-12-01"),
                       "天津乙有限公司": ("改派", "孙悟空", "总经理", "2026-12-01")})
    wb.save(team.inbox / path.name)
    team.ingest(now=dt.datetime(2026, 12, 1, 18, 0))
    assert team.scalar("select count(*) from assignment_decisions") == 0
    assert team.scalar("select owner_id from customers where name = '天津乙有限公司'") == "S001"
    reasons = sorted(r[0] for r in team.query("select reason from rejects where kind = 'approvals'"))
    assert reasons == ["业务员不在职或不是销售岗位：王五", "业务员不存在或重名：孙悟空",
                       "审批结果填写不规范：同意吧（可填：批准、驳回、改派）"]


def test_daily_report_warns_of_recycling_and_monthly_shows_the_fairness_ledger(team, tmp_path):
    from reports import make_report
    from reporting import Tables

    (daily,), _ = make_report(team.config, "daily", D, ["html"], tmp_path / "r")
    soon = Tables(daily.read_text(encoding="utf-8")).tables["recycle-soon"]
    assert [(r[1], r[2], r[4]) for r in soon[1:]] == [("天津丙有限公司", "张三", "2")]
    path, _ = recommendations(team, tmp_path)
    decide(path, {"天津新甲科技有限公司": ("批准", None, "总经理", "2026-11-30"),
                  "天津新乙机械有限公司": ("改派", "S002", "总经理", "2026-11-30")}).save(team.inbox / path.name)
    team.ingest(now=dt.datetime(2026, 11, 30, 19, 0))
    (monthly,), _ = make_report(team.config, "monthly", D, ["html"], tmp_path / "r")
    ledger = Tables(monthly.read_text(encoding="utf-8")).tables["fairness"]
    assert [r[:2] for r in ledger[1:]] == [["张三（S001）", "1"], ["李四（S002）", "1"]]


def test_a_roster_name_that_looks_like_a_formula_stays_text_in_the_hidden_options(project, tmp_path):
    project.add_roster([*ROSTER, ["S004", "=1+1", "CC", "在职", dt.date(2025, 1, 1), None, "认证", "x@example.com"]])
    project.ingest(now=dt.datetime(2026, 11, 30, 18, 0))
    path, _ = recommendations(project, tmp_path)
    options = openpyxl.load_workbook(path)["_选项"]
    cells = {cell.value: cell.data_type for (cell,) in options.iter_rows(max_col=1)}
    (label,) = [value for value in cells if value.startswith("=")]
    assert label.startswith("=1+1") and cells[label] == "s"  # text, not a live formula ('f')
