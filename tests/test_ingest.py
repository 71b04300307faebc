"""Ingest against a real DuckDB file: idempotency, supersede, unreadable files, failed runs."""
import datetime as dt
import os
from pathlib import Path
from decimal import Decimal

from msoffcrypto.format.ooxml import OOXMLFile
import openpyxl
import pytest

from salespipe.errors import SalespipeError
from salespipe.ingest import ingest, load as load_module
from salespipe.ingest.rows import SKIP_EXAMPLE, SKIP_HINT
from conftest import LOG_HEADER, ROSTER, log_row, workbook, xls_workbook

D = dt.date(2026, 11, 26)


def test_rows_land_with_source_file_sheet_and_row(project):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row(), log_row(customer="天津恒通机械有限公司")],
                title=["销售日志表"], sheet="11月26日")
    summary = project.ingest()
    assert summary.rows_accepted == 3 + 2 and summary.rows_rejected == 0 and summary.new_customers == 2
    rows = project.query("select activity_date, salesperson_id, customer_code, source_file, source_sheet, source_row "
                         "from activities order by source_row")
    assert rows == [(D, "S001", "KH000001", "日志表_张三_20261126.xlsx", "11月26日", 3),
                    (D, "S001", "KH000002", "日志表_张三_20261126.xlsx", "11月26日", 4)]


def test_processed_files_move_to_the_archive_folder_of_the_run_date(project):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row()])
    project.ingest(now=dt.datetime(2026, 11, 26, 18, 5))
    archive = project.root / "archive" / "2026-11-26"
    assert sorted(p.name for p in archive.iterdir()) == ["a.xlsx", "业务员名册.xlsx"]
    assert list(project.inbox.iterdir()) == []


def test_the_same_file_twice_is_skipped(project):
    project.add_roster()
    path = project.add("a.xlsx", [LOG_HEADER, log_row()])
    content = path.read_bytes()
    project.ingest()
    (project.inbox / "a-copy.xlsx").write_bytes(content)
    summary = project.ingest()
    assert summary.files == {"skipped": 1}
    assert project.scalar("select count(*) from activities") == 1
    assert project.query("select file_name, status from ingested_files where file_name = 'a-copy.xlsx'") == [
        ("a-copy.xlsx", "skipped")]


def test_resubmitted_day_replaces_earlier_rows(project):
    project.add_roster()
    project.add("日志_张三_1126.xlsx", [LOG_HEADER, log_row(), log_row(customer="天津甲有限公司"),
                                       log_row(day=dt.date(2026, 11, 25), customer="天津乙有限公司")])
    project.ingest()
    project.add("日志_张三_1126_更正.xlsx", [LOG_HEADER, log_row(customer="天津丙有限公司")])
    summary = project.ingest()
    assert summary.superseded_rows == 2
    live = project.query("select activity_date, customer_name from activities order by activity_date")
    assert live == [(dt.date(2026, 11, 25), "天津乙有限公司"), (D, "天津丙有限公司")]
    assert project.scalar("select count(*) from activities_superseded") == 2
    # the older file still holds the 11-25 row, so it stays 'ingested'
    assert project.scalar("select status from ingested_files where file_name = '日志_张三_1126.xlsx'") == "ingested"


def test_fully_replaced_file_is_marked_superseded(project):
    project.add_roster()
    project.add("old.xlsx", [LOG_HEADER, log_row()])
    project.ingest()
    project.add("new.xlsx", [LOG_HEADER, log_row(customer="天津丙有限公司")])
    project.ingest()
    assert project.scalar("select status from ingested_files where file_name = 'old.xlsx'") == "superseded"


def test_within_one_run_the_newer_file_wins_whatever_the_listing_order(project):
    project.add("b_newer.xlsx", [LOG_HEADER, log_row(customer="天津新有限公司")], mtime=2_000_000_000)
    project.add("a_older.xlsx", [LOG_HEADER, log_row(customer="天津旧有限公司")], mtime=1_900_000_000)
    project.add_roster()  # the roster arrives last: it is still applied first
    project.ingest()
    assert project.query("select customer_name from activities") == [("天津新有限公司",)]
    assert project.scalar("select count(*) from customers") == 1


def test_superseded_rejects_do_not_count_any_more(project):
    project.add_roster()
    project.add("old.xlsx", [LOG_HEADER, log_row(method="飞鸽")])
    project.ingest()
    project.add("new.xlsx", [LOG_HEADER, log_row()])
    project.ingest()
    assert project.query("select reason, superseded_by is not null from rejects where kind = 'log'") == [
        ("联系方式填写不规范：飞鸽（可填：电话、传真、E-mail、面访）", True)]


def _encrypted_xlsx(path):
    """A real password-protected workbook, as Excel's 'Encrypt with password' writes it."""
    plain = workbook(path.parent.parent / "plain.xlsx", [LOG_HEADER, log_row()])
    with open(plain, "rb") as source, open(path, "wb") as out:
        OOXMLFile(source).encrypt("secret", out)


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b""), "空的"),
    (lambda p: p.write_text("客户名称,联系人\n某公司,张三\n", encoding="utf-8"), "不是 Excel 文件"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 200), "已损坏"),
    (_encrypted_xlsx, "密码"),
    (lambda p: workbook(p, []), "没有任何内容"),
])
def test_unreadable_files_go_to_rejected_with_a_reason_and_the_run_goes_on(project, make, reason):
    project.add_roster()
    bad = project.inbox / "坏文件.xlsx"
    make(bad)
    summary = project.ingest()
    assert summary.files == {"ingested": 1, "rejected": 1}
    assert project.scalar("select count(*) from salespeople") == 3
    moved = project.root / "rejected" / "坏文件.xlsx"
    assert moved.exists() and reason in (moved.parent / "坏文件.xlsx.reason.txt").read_text(encoding="utf-8")
    (file_reason,) = project.query("select reason from rejects where file = '坏文件.xlsx'")[0]
    assert reason in file_reason
    assert project.scalar("select status from ingested_files where file_name = '坏文件.xlsx'") == "rejected"


def test_a_truncated_real_workbook_is_rejected(project):
    path = workbook(project.root / "full.xlsx", [LOG_HEADER, log_row()])
    (project.inbox / "半截.xlsx").write_bytes(path.read_bytes()[:1500])
    project.ingest()
    assert project.scalar("select status from ingested_files") == "rejected"


def test_a_run_that_fails_half_way_leaves_the_warehouse_and_inbox_as_they_were(project, monkeypatch):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row()])
    project.ingest()
    before = {t: project.query(f"select * from {t} order by all") for t in
              ("activities", "customers", "customer_aliases", "rejects", "ingested_files", "salespeople")}
    project.add("b.xlsx", [LOG_HEADER, log_row(customer="天津新有限公司"), log_row(method="飞鸽")])
    project.add_roster([["S004", "赵六", "CC", "在职", dt.date(2025, 1, 1), None, "认证", "z@example.com"]])

    def fail(con):  # a failure after rows were inserted, before the commit
        raise OSError("disk full")
    monkeypatch.setattr(load_module, "_refresh_customers", fail)
    with pytest.raises(SalespipeError, match="数据仓库保持不变"):
        project.ingest()
    after = {t: project.query(f"select * from {t} order by all") for t in before}
    assert after == before
    assert sorted(p.name for p in project.inbox.iterdir()) == ["b.xlsx", "业务员名册.xlsx"]


# ---------------------------------------------------------------- validation against the roster


def test_unknown_salesperson_is_rejected(project):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row(person="孙悟空")])
    project.ingest()
    assert project.query("select column_name, value, reason from rejects") == [
        ("业务员", "孙悟空", "业务员不在业务员名册中：孙悟空")]


def test_ambiguous_name_without_staff_number_is_rejected(project):
    project.add_roster([*ROSTER, ["S010", "张三", "CC", "在职", dt.date(2025, 1, 1), None, "", "z3b@example.com"]])
    project.add("a.xlsx", [LOG_HEADER, log_row()])
    project.add("b.xlsx", [LOG_HEADER + ["工号"], log_row(customer="天津乙有限公司") + ["S010"]])
    project.ingest()
    assert project.query("select reason from rejects") == [("业务员重名，请填写工号",)]
    assert project.query("select salesperson_id, customer_name from activities") == [("S010", "天津乙有限公司")]


def test_staff_number_not_in_roster_is_rejected(project):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER + ["工号"], log_row() + ["S999"]])
    project.ingest()
    assert project.query("select reason from rejects") == [("工号不在业务员名册中：S999",)]


def test_salesperson_must_be_in_service_on_the_activity_date(project):
    project.add_roster()  # 王五 left on 2026-11-15
    project.add("a.xlsx", [LOG_HEADER, log_row(person="王五", day=dt.date(2026, 11, 15)),
                           log_row(person="王五", day=dt.date(2026, 11, 16), customer="天津乙有限公司"),
                           log_row(person="李四", day=dt.date(2025, 2, 1), customer="天津丙有限公司")])
    project.ingest()
    assert project.query("select activity_date from activities") == [(dt.date(2026, 11, 15),)]
    assert project.query("select row_date, salesperson_id, reason from rejects order by row_date") == [
        (dt.date(2025, 2, 1), "S002", "业务员在该日期不是在职状态：李四（S002），2025-02-01"),
        (dt.date(2026, 11, 16), "S003", "业务员在该日期不是在职状态：王五（S003），2026-11-16"),
    ]


def test_every_problem_of_a_row_is_recorded(project):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row(person="孙悟空", contact=None, phone="123", method="飞鸽", stage="9")])
    summary = project.ingest()
    assert summary.rows_rejected == 1
    columns = [r[0] for r in project.query("select column_name from rejects order by column_name")]
    assert sorted(columns) == sorted(["业务员", "联系人", "联系电话", "联系方式", "跟进状态"])
    assert project.scalar("select count(distinct (file, sheet, row_number)) from rejects") == 1


def test_missing_required_column_rejects_each_row_with_the_column_name(project):
    project.add_roster()
    header = [h for h in LOG_HEADER if h != "联系人"]
    row = log_row()
    del row[3]
    project.add("a.xlsx", [header, row])
    project.ingest()
    assert project.query("select column_name, reason from rejects") == [("联系人", "联系人没有填写（必填）")]


@pytest.mark.parametrize("changes, flags", [
    ({"result": "签单", "stage": "5"}, ["状态与结果不一致"]),
    ({"result": "继续跟进", "stage": "7"}, ["状态与结果不一致"]),
    ({"result": "签单", "stage": "7"}, []),
    ({"customer": "天津格致咨询"}, ["非全称"]),
    ({"address": "天津市南开区", "cls": "B"}, ["地址不完整"]),
    ({"address": "天津市南开区", "cls": "C"}, []),
])
def test_substandard_rows_are_accepted_and_flagged(project, changes, flags):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row(**changes)])
    project.ingest()
    assert project.query("select flags from activities") == [(flags,)]


def test_bc_sheet_accepts_only_b_b1_c(project):
    project.add_roster()
    header = ["登记日期", "业务员", "客户名称", "联系人", "联系电话", "地址", "客户类别"]
    project.add("bc.xlsx", [header, [D, "张三", "天津甲有限公司", "刘总", "13800138000", "天津市河西区", "C"],
                            [D, "张三", "天津乙有限公司", "刘总", "13800138001", "天津市河西区友谊路3号", "A"]])
    project.ingest()
    assert project.query("select customer_name, customer_class from bc_registrations") == [("天津甲有限公司", "C")]
    assert project.query("select reason from rejects") == [("BC类客户登记表只登记 B、B1、C 类客户",)]


def test_orders_store_money_exactly_and_need_a_known_customer(project):
    project.add_roster()
    project.add("log.xlsx", [LOG_HEADER, log_row()])
    header = ["签单日期", "业务员", "客户名称", "业务类型", "合同金额", "成本", "已回款", "约定回款日期"]
    project.add("orders.xlsx", [header,
                                [D, "张三", "天津市格致企业管理咨询有限公司", "内训", "1.28万元", "3,000.10", None, "2026-12-31"],
                                [D, "张三", "天津不存在有限公司", "咨询", 5000, None, None, None],
                                [D, "张三", "天津市格致企业管理咨询有限公司", "咨询", 0, None, None, None]])
    project.ingest()
    assert project.query("select customer_code, business_type, amount, cost, gross_profit, paid from orders") == [
        ("KH000001", "企业内训", Decimal("12800.00"), Decimal("3000.10"), Decimal("9799.90"), Decimal("0.00"))]
    assert project.scalar("select typeof(amount) from orders") == "DECIMAL(18,2)"
    reasons = [r[0] for r in project.query("select reason from rejects order by row_number")]
    assert reasons[0].startswith("客户不在客户库中") and reasons[1] == "合同金额应大于 0"


def test_customer_codes_follow_first_appearance_and_stay_on_reingest(project):
    project.add_roster()
    project.add("b.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 26), customer="天津乙有限公司"),
                           log_row(day=dt.date(2026, 11, 26), customer="天津甲有限公司")])
    project.add("a.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 25), customer="天津丙有限公司")])
    project.ingest()
    codes = project.query("select name, customer_code from customers order by customer_code")
    assert codes == [("天津丙有限公司", "KH000001"), ("天津乙有限公司", "KH000002"), ("天津甲有限公司", "KH000003")]
    project.add("c.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 27), customer="天津 甲 有限公司"),
                           log_row(day=dt.date(2026, 11, 27), customer="天津丁有限公司")])
    project.ingest()
    assert project.query("select customer_code from activities where customer_name = '天津甲有限公司'") == [
        ("KH000003",), ("KH000003",)]
    assert project.scalar("select customer_code from customers where name = '天津丁有限公司'") == "KH000004"


def test_targets_resubmitted_replace_the_earlier_value(project):
    project.add_roster()
    header = ["月份", "业务员", "销售收入目标"]
    project.add("t1.xlsx", [header, ["2026-11", "张三", "10万"]])
    project.ingest()
    project.add("t2.xlsx", [header, ["2026年11月", "张三", "12万"]])
    project.ingest()
    assert project.query("select month, salesperson_id, revenue_target from targets") == [
        (dt.date(2026, 11, 1), "S001", Decimal("120000.00"))]


def test_rejected_rows_keep_the_salesperson_for_feedback(project):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row(contact=None)])
    project.ingest()
    assert project.query("select salesperson_id, row_date, kind from rejects") == [("S001", D, "log")]


def test_roster_file_with_bad_rows_rejects_only_those_rows(project):
    project.add_roster([*ROSTER, ["S011", "钱七", "推销员", "在职", None, None, "", "bad-mail"]])
    summary = project.ingest()
    assert project.scalar("select count(*) from salespeople") == 3
    assert summary.rows_rejected == 1
    assert sorted(r[0] for r in project.query("select column_name from rejects")) == ["岗位", "邮箱"]


def test_a_run_loaded_one_file_at_a_time_counts_as_if_read_in_one_piece(project):
    """[ingest] chunk_files = 1: every file is read and loaded on its own, inside one transaction."""
    project.config.raw["ingest"]["chunk_files"] = 1
    project.add("a_older.xlsx", [LOG_HEADER, log_row(customer="天津旧有限公司"),
                                 log_row(day=D - dt.timedelta(days=1), customer="天津乙有限公司")], mtime=1_900_000_000)
    newer = project.add("b_newer.xlsx", [LOG_HEADER, log_row(customer="天津新有限公司")], mtime=2_000_000_000)
    copy = project.inbox / "c_copy.xlsx"
    copy.write_bytes(newer.read_bytes())
    os.utime(copy, (2_100_000_000, 2_100_000_000))
    project.add_roster()  # the newest file of all, but a roster by its name: read first
    summary = project.ingest()
    # 3 roster rows + 乙 (11-25) + 新 (11-26, replacing 旧 of the older file); the copy is skipped
    assert summary.rows_accepted == 3 + 2 and summary.rows_rejected == 0
    assert summary.superseded_rows == 1 and summary.files == {"ingested": 3, "skipped": 1}
    assert project.query("select customer_name from activities order by activity_date") == [
        ("天津乙有限公司",), ("天津新有限公司",)]
    assert project.query("select file_name, rows_accepted from ingested_files order by file_name") == [
        ("a_older.xlsx", 1), ("b_newer.xlsx", 1), ("c_copy.xlsx", 0), ("业务员名册.xlsx", 3)]
    # as on two evenings: the older file's customers got codes (乙 of 11-25 first) before 新 replaced 旧
    assert project.query("select name, customer_code from customers order by customer_code") == [
        ("天津乙有限公司", "KH000001"), ("天津旧有限公司", "KH000002"), ("天津新有限公司", "KH000003")]


def test_a_chunked_run_that_fails_late_leaves_the_warehouse_as_it_was(project, monkeypatch):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row()])
    project.ingest()
    before = project.config.warehouse.read_bytes()
    project.config.raw["ingest"]["chunk_files"] = 1
    project.add("b.xlsx", [LOG_HEADER, log_row(customer="天津乙有限公司")])
    project.add("c.xlsx", [LOG_HEADER, log_row(customer="天津丙有限公司")])

    def fail(con):
        raise RuntimeError("disk full")

    monkeypatch.setattr(load_module, "refresh_followups", fail)
    with pytest.raises(SalespipeError):
        project.ingest()
    assert project.config.warehouse.read_bytes() == before
    assert sorted(p.name for p in project.inbox.iterdir()) == ["b.xlsx", "c.xlsx"]


# ---------------------------------------------------------------- every row accounted for (issue 14)


def _non_empty_rows(path) -> dict[str, set[int]]:
    """{sheet: Excel row numbers with any non-blank cell}, read with openpyxl / xlrd (not salespipe's reader)."""
    if path.suffix == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path))
        return {s.name: {r + 1 for r in range(s.nrows) if any(str(v).strip() for v in s.row_values(r))}
                for s in book.sheets()}
    wb = openpyxl.load_workbook(path, read_only=True)
    found = {ws.title: {i for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
                        if any(v is not None and str(v).strip() for v in row)} for ws in wb.worksheets}
    wb.close()
    return found


def test_every_non_empty_row_of_every_sheet_is_accepted_rejected_or_skipped_with_a_reason(project):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [
        LOG_HEADER, log_row(), log_row(customer="天津市恒通机械有限公司", contact=""),  # row 4: no 联系人 → rejected
        ["合计", None, None, None, None, None, None, None, None, None],
        [], ["注：本表每天 18:00 前提交"],
    ], title=["销售日志表", "业务员：张三"], extra_sheets={
        "11月27日": [LOG_HEADER, log_row(day=dt.date(2026, 11, 27), customer="天津市德润贸易有限公司")],
        "通讯录": [["姓名", "手机", "部门"], ["刘一", "13900000001", "财务"]],
        "填写说明": [["日期写成 2026-11-26"], ["联系方式从下拉中选择"]],
    })
    book = openpyxl.load_workbook(project.inbox / "日志表_张三_20261126.xlsx")
    book["11月27日"].sheet_state = "hidden"
    book.save(project.inbox / "日志表_张三_20261126.xlsx")
    xls_workbook(project.inbox / "日志表_李四_20261126.xls", [
        LOG_HEADER,
        ["必填，格式2026-11-26", "必填", "必填，写全称", "必填", "必填", "", "下拉选择", "下拉选择", "填1-7", "下拉选择"],
        ["示例", "李四", "天津XX科技有限公司", "张经理", "13800000000", "天津市南开区XX路88号", "B", "电话", "1", "继续跟进"],
        log_row(person="李四", customer="天津市瑞丰化工有限公司", contact="赵总"),
    ])
    (project.inbox / "坏文件.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    summary = project.ingest()

    accepted = set(project.query("select source_file, source_sheet, source_row from activities"))
    rejected = set(project.query("select file, sheet, row_number from rejects where row_number is not null"))
    skipped = set(project.query("select file, sheet, row_number from skipped_rows where row_number is not null"))
    whole_sheets = set(project.query("select file, sheet from rejects where row_number is null and sheet is not null")
                       + project.query("select file, sheet from skipped_rows where row_number is null"))
    whole_files = {r[0] for r in project.query("select file from rejects where sheet is null")}
    roster_rows = project.scalar("select rows_accepted from ingested_files where file_name = '业务员名册.xlsx'")
    assert whole_files == {"坏文件.xlsx"}
    assert whole_sheets == {("日志表_张三_20261126.xlsx", "通讯录"), ("日志表_张三_20261126.xlsx", "填写说明")}
    for path in sorted(project.root.glob("archive/*/*")):
        for sheet, rows in _non_empty_rows(path).items():
            if (path.name, sheet) in whole_sheets:
                continue
            for row in rows:
                where = [s for s, found in (("accepted", accepted), ("rejected", rejected), ("skipped", skipped))
                         if (path.name, sheet, row) in found]
                if path.name == "业务员名册.xlsx" and not where:
                    where = ["accepted"]  # salespeople rows carry no source row: counted below
                assert len(where) == 1, (path.name, sheet, row, where)
    assert roster_rows == 3 and project.scalar(
        "select count(*) from skipped_rows where file = '业务员名册.xlsx'") == 1  # its header
    # by hand: the roster's 3, 张三's first row, the hidden sheet's row and 李四's real row; 张三's row without 联系人 rejected
    assert summary.rows_accepted == 3 + 1 + 1 + 1 and summary.rows_rejected == 1
    assert project.query("select reason from skipped_rows where file like '日志表_李四%' and row_number in (2, 3) "
                         "order by row_number") == [(SKIP_HINT,), (SKIP_EXAMPLE,)]
    assert project.query("select sheet from rejects where row_number is null and sheet is not null") == [("通讯录",)]
    assert [s[1] for s in summary.sheets_not_read] == ["通讯录"]
    assert project.scalar("select count(*) from customers where name like '%XX%'") == 0


def test_a_symbolic_link_in_the_inbox_is_rejected_and_the_file_it_points_to_stays_untouched(project, tmp_path):
    project.add_roster()
    elsewhere = workbook(tmp_path / "elsewhere" / "日志表_张三_20261126.xlsx", [LOG_HEADER, log_row()])
    before = elsewhere.read_bytes()
    (project.inbox / "日志表_张三_20261126.xlsx").symlink_to(elsewhere)
    (project.inbox / "坏链接.xlsx").symlink_to(tmp_path / "nowhere.xlsx")  # a dangling link
    summary = project.ingest()
    assert summary.files == {"ingested": 1, "rejected": 2} and summary.rows_accepted == 3
    assert elsewhere.read_bytes() == before and not elsewhere.is_symlink()
    moved = project.root / "rejected" / "日志表_张三_20261126.xlsx"
    assert moved.is_symlink() and moved.resolve() == elsewhere.resolve()
    assert (project.root / "rejected" / "坏链接.xlsx").is_symlink()
    reasons = [r[0] for r in project.query("select reason from rejects where sheet is null order by file")]
    assert len(reasons) == 2 and all("链接" in r for r in reasons)
    assert project.scalar("select count(*) from activities") == 0


def _rezip(path, replace: dict[str, bytes]) -> None:
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts.update(replace)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_files_that_would_exhaust_memory_are_rejected_and_the_good_ones_load(project):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row()])
    # a stray cell at XFD1048576: calamine would allocate 1,048,576 × 16,384 cells and abort the process
    sparse = project.add("日志表_李四_20261126.xlsx", [LOG_HEADER, log_row(person="李四")])
    book = openpyxl.load_workbook(sparse)
    book.active["XFD1048576"] = "x"
    book.save(sparse)
    strings = project.add("日志表_李四_20261125.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 25), person="李四")])
    book = openpyxl.load_workbook(strings)
    book.save(strings)
    _rezip(strings, {"xl/sharedStrings.xml": b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>'})
    bomb = project.add("日志表_李四_20261124.xlsx", [LOG_HEADER, log_row(day=dt.date(2026, 11, 24), person="李四")])
    _rezip(bomb, {"xl/media/padding.bin": bytes(300 << 20)})  # 300 MB of zeros, a few hundred KB zipped
    summary = project.ingest()
    assert summary.files == {"ingested": 2, "rejected": 3} and summary.rows_accepted == 3 + 1
    reasons = dict(project.query("select file, reason from rejects where sheet is null"))
    assert "1,048,576 行 × 16,384 列" in reasons["日志表_李四_20261126.xlsx"]
    assert "4,000,000,000 个文字" in reasons["日志表_李四_20261125.xlsx"]
    assert "解压后过大" in reasons["日志表_李四_20261124.xlsx"]


def test_a_rejected_file_read_again_is_skipped_not_rejected_twice(project):
    project.add_roster()
    bad = project.inbox / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    project.ingest()
    # a run killed between the publish and the moves leaves the file in the inbox: the next run sees it again
    (project.inbox / "坏文件.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    summary = project.ingest(now=dt.datetime(2026, 11, 27, 18, 0))
    assert summary.files == {"skipped": 1} and summary.unreadable == []
    assert project.scalar("select count(*) from rejects where file = '坏文件.xlsx'") == 1
    assert project.query("select status from ingested_files where file_name = '坏文件.xlsx' order by ingested_at") == [
        ("rejected",), ("skipped",)]


def test_long_names_fit_the_file_system_when_the_archive_already_holds_one(project):
    project.add_roster()
    name = "日志表_张三_20261126_" + "很长的说明" * 14 + "abcde.xlsx"  # 246 bytes in UTF-8
    assert len(name.encode()) == 246
    project.add(name, [LOG_HEADER, log_row()])
    project.ingest()
    project.add(name, [LOG_HEADER, log_row(contact="刘明")])  # the same name again, other content
    summary = project.ingest(now=dt.datetime(2026, 11, 26, 19, 0))
    archived = sorted(p.name for p in (project.root / "archive" / "2026-11-26").iterdir())
    assert len(archived) == 3 and all(len(n.encode()) <= 255 - len(".reason.txt") for n in archived)
    assert summary.moves_failed == [] and not any(project.inbox.iterdir())


def test_a_move_that_fails_after_the_publish_is_reported_not_raised(project):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row()])
    (project.root / "archive").mkdir()
    (project.root / "archive" / "2026-11-26").write_text("not a folder")  # the archive cannot take the files
    summary = project.ingest()
    assert summary.rows_accepted == 3 + 1 and len(summary.moves_failed) == 2
    again = project.ingest(now=dt.datetime(2026, 11, 26, 19, 0))  # the files are still in the inbox
    # the second run tries the first run's moves again (still failing), and counts and records nothing again
    assert again.files == {"moved": 2} and again.rows_accepted == 0 and len(again.moves_failed) == 2
    (project.root / "archive" / "2026-11-26").unlink()  # the archive is mended
    third = project.ingest(now=dt.datetime(2026, 11, 27, 18, 0))
    assert third.files == {"moved": 2} and third.moves_failed == [] and not any(project.inbox.iterdir())
    assert sorted(p.name for p in (project.root / "archive" / "2026-11-26").iterdir()) == [
        "业务员名册.xlsx", "日志表_张三_20261126.xlsx"]  # where the first run meant them to go
    assert project.scalar("select count(*) from activities") == 1
    assert project.scalar("select count(*) from ingested_files") == 2  # one row per file: the run that read it


def test_ingesting_the_archive_again_renames_nothing_and_counts_nothing(project):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row()])
    (project.inbox / "坏文件.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    project.ingest()
    before = sorted(p.relative_to(project.root) for p in (project.root / "archive").rglob("*")) + \
        sorted(p.relative_to(project.root) for p in (project.root / "rejected").rglob("*"))
    archived_to = project.query("select archived_to from ingested_files order by file_name")
    summary = ingest([project.root / "archive", project.root / "rejected"], project.config,
                     now=dt.datetime(2026, 11, 27, 18, 0))
    after = sorted(p.relative_to(project.root) for p in (project.root / "archive").rglob("*")) + \
        sorted(p.relative_to(project.root) for p in (project.root / "rejected").rglob("*"))
    assert after == before and summary.files == {"skipped": 3} and summary.rows_accepted == 0
    assert project.scalar("select count(*) from rejects where file = '坏文件.xlsx'") == 1
    assert all(Path(p).exists() for (p,) in archived_to)
