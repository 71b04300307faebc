"""Issue 19: a night refreshes only the customers and follow-ups its rows touched — the same result as
recomputing everything over all history, without reading the rest."""
import datetime as dt
import shutil

import duckdb
import openpyxl

from salespipe.cli import main
from salespipe.ingest.load import finish_load
from conftest import LOG_HEADER, log_row

D1, D2, D3 = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)
FULL = "天津市格致企业管理咨询有限公司"
HUATAI = "天津华泰机械有限公司"
HEADER = LOG_HEADER + ["推介业务"]
LEDGER = {
    "customers": "select customer_code, contact, phone, address, industry, customer_class, last_contact from customers",
    "followups": "select followup_no, customer_code, business_type, merged_into, developed_on, last_followup_on, "
                 "last_stage, result, salesperson_id, customer_class, note, headcount from followups",
    "activities": "select source_file, source_row, customer_code, followup_no from activities",
    "orders": "select source_file, source_row, customer_code, followup_no from orders",
}


def state(con) -> dict:
    return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in LEDGER.items()}


def full_refresh_of(path, tmp_path) -> dict:
    """The ledger after recomputing every customer and follow-up over all history (on a copy)."""
    copy = tmp_path / "full.duckdb"
    shutil.copyfile(path, copy)
    con = duckdb.connect(str(copy))
    try:
        finish_load(con)  # no run: every customer
        return state(con)
    finally:
        con.close()


def incremental(project) -> dict:
    con = duckdb.connect(str(project.config.warehouse), read_only=True)
    try:
        return state(con)
    finally:
        con.close()


def night(project, name, rows, day):
    project.add(name, [HEADER, *rows])
    return project.ingest(now=dt.datetime.combine(day, dt.time(18, 0)))


def decide_same(project, tmp_path, day):
    """The review workbook of the uncertain pair, answered 是, back through the inbox."""
    assert main(["review", "--out", str(tmp_path / "review"), "--config", str(project.root / "config" / "salespipe.toml")]) == 0
    (path,) = (tmp_path / "review").glob("客户匹配待确认_*.xlsx")
    wb = openpyxl.load_workbook(path)
    header = [c.value for c in wb.active[2]]
    wb.active.cell(3, header.index("是否同一客户") + 1, "是")
    wb.save(project.inbox / path.name)
    project.ingest(now=dt.datetime.combine(day, dt.time(18, 30)))


def test_each_night_equals_a_full_recomputation(project, tmp_path):
    project.add_roster()
    night(project, "张三_1123.xlsx", [
        log_row(D1, customer=FULL, cls="B", stage="1") + ["企业内训"],
        log_row(D1, customer=HUATAI, phone="13700000000", contact="周工", cls="B", stage="2") + ["咨询"]], D1)
    assert incremental(project) == full_refresh_of(project.config.warehouse, tmp_path)
    # an uncertain spelling (a second code, a second 企业内训 跟单号), and 华泰 with a new phone
    night(project, "张三_1124.xlsx", [
        log_row(D2, customer="天津格致咨询", phone="13900000000", cls="B", stage="3") + ["企业内训"],
        log_row(D2, customer=HUATAI, phone="13700000001", contact="周工", cls="B1", stage="4") + ["咨询"]], D2)
    assert incremental(project) == full_refresh_of(project.config.warehouse, tmp_path)
    # the pair decided 是: KH000002 folds into KH000001, its 企业内训 跟单号 into the older one, whose fields
    # now come from both codes' rows (a night that refreshed only the rows' own codes would miss it)
    decide_same(project, tmp_path, D3)
    merged = incremental(project)
    assert merged == full_refresh_of(project.config.warehouse, tmp_path)
    assert ("GD000001", "KH000001", "企业内训", None, D1, D2, 3, "继续跟进", "S001", "B", None, None) in merged["followups"]
    # a late sheet: 李四's Monday row for 华泰 arrives on Wednesday, older than 华泰's last contact (Tuesday)
    night(project, "李四_1123.xlsx", [
        log_row(D1, person="李四", customer=HUATAI, phone="13700000002", contact="周工", cls="B", stage="2") + ["咨询"]], D3)
    late = incremental(project)
    assert late == full_refresh_of(project.config.warehouse, tmp_path)
    assert [c[2] for c in late["customers"] if c[0] == "KH000002"] == ["13700000001"]  # Tuesday's phone stays
    night(project, "张三_1123_更正.xlsx", [
        log_row(D1, customer=FULL, cls="A", stage="5", result="签单") + ["企业内训"]], D3)
    after = incremental(project)
    assert after == full_refresh_of(project.config.warehouse, tmp_path)
    # by hand: the correction replaced Monday's row (stage 5 now), Tuesday's row is still the latest
    assert [f[:3] + f[4:] for f in after["followups"] if f[0] == "GD000001"] == [
        ("GD000001", "KH000001", "企业内训", D1, D2, 3, "继续跟进", "S001", "B", None, None)]
    assert project.query("select stage from activities where source_file = '张三_1123_更正.xlsx'") == [(5,)]


def test_a_night_leaves_customers_it_did_not_touch_alone(project, tmp_path):
    project.add_roster()
    night(project, "张三_1123.xlsx", [
        log_row(D1, customer=FULL, cls="B") + ["企业内训"],
        log_row(D1, customer=HUATAI, phone="13700000000", contact="周工", cls="C") + ["咨询"]], D1)
    con = duckdb.connect(str(project.config.warehouse))
    con.execute("update customers set phone = 'untouched' where customer_code = 'KH000002'").complete()  # 华泰
    con.close()
    night(project, "张三_1124.xlsx", [log_row(D2, customer=FULL, phone="13900000009", cls="B") + ["企业内训"]], D2)
    assert project.query("select customer_code, phone, last_contact from customers order by 1") == [
        ("KH000001", "13900000009", D2),       # touched tonight: its latest details
        ("KH000002", "untouched", D1)]          # not read, not rewritten
    # a full recomputation would have rewritten it: the mark shows what the night did not visit
    full = full_refresh_of(project.config.warehouse, tmp_path)["customers"]
    assert [c[2] for c in full if c[0] == "KH000002"] == ["13700000000"]
