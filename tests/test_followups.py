"""Issue 15: an order links to its follow-up (by 跟单号, or by customer and 业务类型) and the ledger shows 签单
until a later log row starts the next round — each night the same as a full recomputation (issue 19)."""
import datetime as dt

from conftest import log_row
from test_incremental import FULL, HEADER, full_refresh_of, incremental, night

D1, D2, D3 = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)
ORDERS = ["签单日期", "业务员", "客户名称", "业务类型", "合同金额", "成本", "已回款", "约定回款日期", "跟单号"]


def orders(project, name, rows, day):
    project.add(name, [ORDERS, *rows])
    return project.ingest(now=dt.datetime.combine(day, dt.time(18, 0)))


def ledger(project) -> dict:
    return {no: (result, stage) for no, result, stage in
            project.query("select followup_no, result, last_stage from followups order by 1")}


def test_an_order_signs_its_follow_up_by_customer_and_type_or_by_number(project, tmp_path):
    project.add_roster()
    # Monday: 格致 企业内训 (GD000001, stage 3) and 管理咨询 (GD000002, stage 2); an order for 内训 without a 跟单号
    night(project, "张三_1123.xlsx", [
        log_row(D1, customer=FULL, cls="B", stage="3") + ["企业内训"],
        log_row(D1, customer=FULL, cls="B", stage="2") + ["咨询"]], D1)
    orders(project, "业绩_1123.xlsx", [[D1, "张三", FULL, "内训", 10000, 6000, 0, None, None]], D1)
    assert project.query("select followup_no from orders") == [("GD000001",)]  # the (格致, 企业内训) pair's
    assert ledger(project) == {"GD000001": ("签单", 7), "GD000002": ("继续跟进", 2)}
    assert incremental(project) == full_refresh_of(project.config.warehouse, tmp_path)
    # Tuesday (a night later, no log rows): an order naming gd000002 (written in lower case) signs 管理咨询;
    # a wrong number for its customer and type, and a number that does not exist, are rejected with the reason
    orders(project, "业绩_1124.xlsx", [
        [D2, "张三", FULL, "咨询", 5000, 3000, 0, None, "gd000002"],
        [D2, "张三", FULL, "咨询", 3000, 1000, 0, None, "GD000001"],
        [D2, "张三", FULL, "咨询", 2000, 1000, 0, None, "GD000099"]], D2)
    assert project.query("select source_row, followup_no from orders where source_file = '业绩_1124.xlsx'") == [
        (2, "GD000002")]
    assert project.query("select row_number, column_name, value, reason from rejects order by row_number") == [
        (3, "跟单号", "GD000001", "跟单号与本行的客户或业务类型不符：GD000001 是客户 KH000001 的企业内训跟进"
                                   "（请核对跟单号，或不填，系统按客户和业务类型关联）"),
        (4, "跟单号", "GD000099", "跟单号不存在：GD000099（请按日志核对反馈表中的跟单号填写，或不填，系统按客户和业务类型关联）")]
    assert ledger(project) == {"GD000001": ("签单", 7), "GD000002": ("签单", 7)}
    assert incremental(project) == full_refresh_of(project.config.warehouse, tmp_path)


def test_a_later_log_row_starts_the_next_round_and_a_correction_undoes_it(project, tmp_path):
    project.add_roster()
    night(project, "张三_1123.xlsx", [
        log_row(D1, customer=FULL, cls="B", stage="3") + ["企业内训"],
        log_row(D1, customer=FULL, cls="B", stage="2") + ["咨询"]], D1)
    orders(project, "业绩_1124.xlsx", [[D1, "张三", FULL, "内训", 10000, 6000, 0, None, None],
                                      [D2, "张三", FULL, "咨询", 5000, 3000, 0, None, "GD000002"]], D2)
    assert ledger(project) == {"GD000001": ("签单", 7), "GD000002": ("签单", 7)}
    # Wednesday 11-25, after 管理咨询's order of 11-24: a new round (stage 1, 继续跟进) — its log row speaks again
    night(project, "张三_1125.xlsx", [log_row(D3, customer=FULL, cls="B", stage="1") + ["咨询"]], D3)
    assert ledger(project) == {"GD000001": ("签单", 7), "GD000002": ("继续跟进", 1)}
    assert incremental(project) == full_refresh_of(project.config.warehouse, tmp_path)
    # 张三 corrects Wednesday: the row was 企业内训 (stage 4). 管理咨询 has no row after its order any more → 签单;
    # 企业内训 now has a row after its order of 11-23 → its next round, stage 4
    night(project, "张三_1125_更正.xlsx", [log_row(D3, customer=FULL, cls="B", stage="4") + ["企业内训"]], D3)
    assert ledger(project) == {"GD000001": ("继续跟进", 4), "GD000002": ("签单", 7)}
    assert incremental(project) == full_refresh_of(project.config.warehouse, tmp_path)


def test_an_order_before_its_follow_up_exists_links_when_the_follow_up_is_created(project, tmp_path):
    project.add_roster()
    # 格致 is first a class C customer (no follow-up); its 内训 order is linked to nothing
    night(project, "张三_1123.xlsx", [log_row(D1, customer=FULL, cls="C") + ["企业内训"]], D1)
    orders(project, "业绩_1123.xlsx", [[D1, "张三", FULL, "内训", 10000, 6000, 0, None, None]], D1)
    assert project.query("select followup_no from orders") == [(None,)]
    # Tuesday 格致 is class B: GD000001 is created with that row (stage 2) — after the order of 11-23, so the
    # order links to it but the row of 11-24 is the next round: 继续跟进, stage 2
    night(project, "张三_1124.xlsx", [log_row(D2, customer=FULL, cls="B", stage="2") + ["企业内训"]], D2)
    assert project.query("select followup_no from orders") == [("GD000001",)]
    assert ledger(project) == {"GD000001": ("继续跟进", 2)}
    assert incremental(project) == full_refresh_of(project.config.warehouse, tmp_path)
