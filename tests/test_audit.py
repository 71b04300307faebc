"""The audit trail of corrected 日志表 days (issue 17, "Audit"): every replaced row is kept in
`activities_superseded` whatever the chunking, and "newer" is the file's modification time, across runs too
(ties: the later run). Real workbooks, real ingests; the expected values are worked out by hand below."""
import datetime as dt
import hashlib
import shutil
from pathlib import Path

from conftest import LOG_HEADER, ROSTER, ROSTER_HEADER, Project, log_row, workbook

D = dt.date(2026, 11, 26)
T = 1_800_000_000  # a modification time (2027-01-15); the files below are saved relative to it
RUN_1 = dt.datetime(2026, 11, 26, 18, 0)
RUN_2 = dt.datetime(2026, 11, 27, 18, 0)
GEZHI, HENGTONG, DING = "天津市格致企业管理咨询有限公司", "天津恒通机械有限公司", "天津丁有限公司"

# the day as first handed in: 格致 by phone at stage 1, 恒通 visited at stage 2, and a row with a bad method
ORIGINAL = [LOG_HEADER,
            log_row(customer=GEZHI, method="电话", stage="1"),
            log_row(customer=HENGTONG, contact="刘工", method="面访", stage="2"),
            log_row(customer=GEZHI, method="飞鸽", stage="1")]
# the corrected day: 格致 was a visit at stage 3, 恒通 a call at stage 2; the bad row is gone
CORRECTION = [LOG_HEADER,
              log_row(customer=GEZHI, method="面访", stage="3"),
              log_row(customer=HENGTONG, contact="刘工", method="电话", stage="2")]
STALE_REASON = "比已读取的更正文件旧"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _drop(project: Project, source: Path) -> None:
    """Put the very same bytes (same SHA-256) with the same modification time into the project's inbox."""
    shutil.copy2(source, project.inbox / source.name)


def _live(project: Project) -> list[tuple]:
    return project.query("""select activity_date, salesperson_id, customer_code, customer_name, method, stage,
                                   source_file, source_row from activities order by source_file, source_row""")


def _trail(project: Project) -> list[tuple]:
    return project.query("""select customer_code, customer_name, method, stage, source_file, source_row,
                                   superseded_by, cast(superseded_at as timestamp)
                            from activities_superseded order by source_file, source_row""")


def _table(project: Project, table: str) -> list[tuple]:
    """Every column but run_id (two warehouses, two run ids), every row, in a fixed order."""
    return sorted(project.query(f"select * exclude (run_id) from {table}"), key=repr)


def _files(project: Project) -> list[tuple]:
    return project.query("select file_name, status, rows_accepted, rows_rejected, reason from ingested_files "
                         "order by file_name")


def test_a_correction_in_the_same_run_keeps_the_original_rows_whatever_the_chunk_size(tmp_path):
    source = tmp_path / "source"
    roster = workbook(source / "业务员名册.xlsx", [ROSTER_HEADER, *ROSTER], mtime=T - 100)
    original = workbook(source / "日志表_张三_20261126.xlsx", ORIGINAL, mtime=T)
    correction = workbook(source / "日志表_张三_20261126_更正.xlsx", CORRECTION, mtime=T + 3600)
    one, many = Project(tmp_path / "one"), Project(tmp_path / "many")
    many.config.raw["ingest"]["chunk_files"] = 1  # three chunks: the roster, the original, the correction
    for project in (one, many):
        for path in (roster, original, correction):
            _drop(project, path)
        summary = project.ingest(now=RUN_1)
        assert summary.rows_accepted == 3 + 2 and summary.rows_rejected == 1 and summary.superseded_rows == 2

    # codes in order of first appearance: 格致 KH000001, 恒通 KH000002 (the same with either chunk size)
    fixed = correction.name
    for project in (one, many):
        assert _live(project) == [(D, "S001", "KH000001", GEZHI, "面访", 3, fixed, 2),
                                  (D, "S001", "KH000002", HENGTONG, "电话", 2, fixed, 3)]
        assert _trail(project) == [
            ("KH000001", GEZHI, "电话", 1, original.name, 2, _sha(correction), RUN_1),
            ("KH000002", HENGTONG, "面访", 2, original.name, 3, _sha(correction), RUN_1)]
        assert project.query("select row_number, column_name, superseded_by, superseded_on from rejects") == [
            (4, "联系方式", _sha(correction), D)]
        assert _files(project) == [("业务员名册.xlsx", "ingested", 3, 0, None),
                                   (original.name, "superseded", 0, 1, None),
                                   (correction.name, "ingested", 2, 0, None)]
    for table in ("activities", "activities_superseded", "rejects"):
        assert _table(one, table) == _table(many, table), table
    customers = "select customer_code, name, contact, phone, last_contact from customers order by 1"
    assert one.query(customers) == many.query(customers)


def _mart_day(project: Project) -> list[tuple]:
    return project.query("""select salesperson_id, calls, visits, followed_customers, active_customers, new_customers
                            from mart_activity_daily where activity_date = ? and salesperson_id is not null
                              and (calls > 0 or visits > 0) order by salesperson_id""", [D])


def test_an_older_original_arriving_after_its_correction_is_kept_as_superseded(project, tmp_path):
    project.add_roster()
    correction = project.add("日志表_张三_20261126_更正.xlsx", CORRECTION, mtime=T + 3600)
    fixed = _sha(correction)  # (read before the run moves the file to the archive)
    project.ingest(now=RUN_1)
    live_before, mart_before = _live(project), _mart_day(project)
    # 张三: 格致 visited, 恒通 called: 1 call, 1 visit, 2 customers followed, both new that day
    assert mart_before == [("S001", 1, 1, 2, 2, 2)]

    # the original, saved an hour before the correction, turns up the next evening (with a customer only it names)
    original = project.add("日志表_张三_20261126.xlsx", ORIGINAL + [log_row(customer=DING, method="电话")], mtime=T)
    stale = _sha(original)
    summary = project.ingest(now=RUN_2)

    assert summary.rows_accepted == 0 and summary.rows_rejected == 1 and summary.superseded_rows == 3
    assert summary.new_customers == 0 and project.scalar("select count(*) from customers") == 2
    assert _live(project) == live_before == [(D, "S001", "KH000001", GEZHI, "面访", 3, correction.name, 2),
                                             (D, "S001", "KH000002", HENGTONG, "电话", 2, correction.name, 3)]
    assert _mart_day(project) == mart_before
    assert _trail(project) == [("KH000001", GEZHI, "电话", 1, original.name, 2, fixed, RUN_2),
                               ("KH000002", HENGTONG, "面访", 2, original.name, 3, fixed, RUN_2),
                               (None, DING, "电话", 1, original.name, 5, fixed, RUN_2)]
    # its bad row was settled by the correction, read on the 26th: it is not an open problem
    assert project.query("select row_number, superseded_by, superseded_on from rejects") == [(4, fixed, D)]
    (name, status, accepted, rejected, reason), = project.query(
        "select file_name, status, rows_accepted, rows_rejected, reason from ingested_files where sha256 = ?",
        [stale])
    assert (name, status, accepted, rejected) == (original.name, "superseded", 0, 1)
    assert STALE_REASON in reason and correction.name in reason and "2026-11-26" in reason


def test_a_stale_file_keeps_its_other_days(project):
    project.add_roster()
    fixed = _sha(project.add("日志表_张三_20261126_更正.xlsx", CORRECTION, mtime=T + 3600))
    project.ingest(now=RUN_1)
    two_days = project.add("日志表_张三_1125-1126.xlsx", [
        LOG_HEADER, log_row(day=D - dt.timedelta(days=1), customer=DING), log_row(customer=GEZHI, stage="1")], mtime=T)
    summary = project.ingest(now=RUN_2)
    assert summary.rows_accepted == 1 and summary.superseded_rows == 1
    assert [r[0] for r in _live(project)] == [D - dt.timedelta(days=1), D, D]
    assert _trail(project) == [("KH000001", GEZHI, "电话", 1, two_days.name, 3, fixed, RUN_2)]
    status, accepted, reason = project.query(
        "select status, rows_accepted, reason from ingested_files where file_name = ?", [two_days.name])[0]
    assert (status, accepted) == ("ingested", 1)
    assert STALE_REASON in reason and "2026-11-26" in reason and "2026-11-25" not in reason


def test_with_equal_modification_times_the_later_run_wins(project):
    project.add_roster()
    first = project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row(customer=GEZHI, stage="1")], mtime=T)
    project.ingest(now=RUN_1)
    # the next evening: a file saved at the same second as the first, and one saved a minute before both
    tie = project.add("日志表_张三_20261126_重交.xlsx", [LOG_HEADER, log_row(customer=GEZHI, stage="2")], mtime=T)
    older = project.add("日志表_张三_20261126_旧.xlsx", [LOG_HEADER, log_row(customer=GEZHI, stage="4")], mtime=T - 60)
    winner = _sha(tie)
    summary = project.ingest(now=RUN_2)
    assert summary.rows_accepted == 1 and summary.superseded_rows == 2
    assert _live(project) == [(D, "S001", "KH000001", GEZHI, "电话", 2, tie.name, 2)]
    assert _trail(project) == [("KH000001", GEZHI, "电话", 1, first.name, 2, winner, RUN_2),
                               ("KH000001", GEZHI, "电话", 4, older.name, 2, winner, RUN_2)]
    assert project.query("select file_name, status from ingested_files where file_name like '日志表%' "
                         "order by file_name") == [(first.name, "superseded"), (older.name, "superseded"),
                                                   (tie.name, "ingested")]
