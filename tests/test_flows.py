"""The scheduled flows under one session-scoped prefect_test_harness, and the date logic behind them."""
import datetime as dt
import email
import json
import email.policy
import subprocess
import sys
import urllib.parse

import openpyxl
import pytest
from prefect.artifacts import Artifact

from flows.monthly import monthly
from flows.nightly import nightly
from flows.weekly import weekly
from salespipe.checks import DataCheckFailed
from salespipe.ingest import load as load_module
from salespipe.warehouse import connect
from salespipe.workdays import is_workday, last_workday_of_week, reports_due
from conftest import LOG_HEADER, log_row

THU, FRI = dt.date(2026, 11, 26), dt.date(2026, 11, 27)


def run_nightly(project, day=THU):
    return nightly(report_date=day.isoformat(), config_file=str(project.root / "config" / "salespipe.toml"))


def fill_inbox(project):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row(THU), log_row(THU, method="飞鸽")])
    project.add("日志表_李四_20261126.xlsx", [LOG_HEADER, log_row(THU, "李四", "天津乙有限公司", phone="13700000001")])


def subjects(inbox):
    return sorted(email.message_from_bytes(e.content, policy=email.policy.default)["Subject"] for e in inbox.envelopes)


def test_nightly_end_to_end(prefect_server, project, smtp):
    fill_inbox(project)
    result = run_nightly(project)
    assert result["rows_accepted"] == 3 + 2 and result["rows_rejected"] == 1 and result["daily"] is True
    assert project.scalar("select count(*) from activities") == 2
    assert list(project.inbox.iterdir()) == []
    assert len(list((project.root / "archive").rglob("*.xlsx"))) == 3
    assert (project.root / "reports_out" / "销售日报_2026-11-26.html").exists()
    assert subjects(smtp) == [
        "日志核对反馈 2026-11-26 张三：退回 1 行，请在 11月27日（周五）09:00 前更正",  # the 飞鸽 row; Thursday → Friday
        "日志核对反馈 2026-11-26 李四", "销售日报（2026-11-26）"]
    # the run's artifacts: the period's counts and a link to the report
    counts = Artifact.get(key="counts-daily-2026-11-26")
    table = {row["业务员"]: row for row in json.loads(counts.data)}
    assert counts.type == "table" and table["张三"]["电话量"] == 1 and table["全组合计"]["电话量"] == 2
    link = Artifact.get(key="report-daily-2026-11-26")
    assert link.type == "markdown" and "销售日报_2026-11-26.html" in urllib.parse.unquote(link.data)
    # the second run of the same day changes nothing and sends nothing again
    again = run_nightly(project)
    assert again["files"] == {} and project.scalar("select count(*) from activities") == 2
    assert len(smtp.envelopes) == 3


def test_the_nightly_writes_the_workbook_the_day_after_a_salesperson_left(prefect_server, project, smtp):
    # 王五 (S003) left on 11-15 (a Sunday); he owned 天津王五甲 from his log of Friday 11-13
    project.add_roster()
    project.add("日志表_王五_20261113.xlsx", [LOG_HEADER, log_row(dt.date(2026, 11, 13), "王五", "天津王五甲有限公司",
                                                               phone="13700000031")])
    project.add("日志表_张三_20261116.xlsx", [LOG_HEADER, log_row(dt.date(2026, 11, 16))])
    result = run_nightly(project, dt.date(2026, 11, 16))
    assert result["assignment"].endswith("分配建议_2026-11-16.xlsx")
    ws = openpyxl.load_workbook(result["assignment"])["客户回收"]
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert [(r["客户名称"], r["当前负责人"], r["回收原因"]) for r in rows] == [("天津王五甲有限公司", "S003", "负责人 王五 已离职")]
    assert rows[0]["建议业务员工号"] in ("S001", "S002")
    daily = (project.root / "reports_out" / "销售日报_2026-11-16.html").read_text(encoding="utf-8")
    assert "客户回收 1 条" in daily.split('<p id="waiting">分配建议表中待审批：')[1].split("</p>")[0]


def test_the_nightly_writes_no_workbook_when_nothing_waits(prefect_server, project, smtp):
    fill_inbox(project)
    assert run_nightly(project)["assignment"] is None
    assert not list((project.root / "reports_out").glob("分配建议_*.xlsx"))


def test_no_daily_report_on_a_national_holiday(prefect_server, project, smtp):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row(dt.date(2026, 10, 1))])
    result = run_nightly(project, dt.date(2026, 10, 1))  # 国庆
    assert result["daily"] is False and smtp.envelopes == []
    assert project.scalar("select count(*) from activities") == 1  # the sheet is still loaded


def test_a_workday_without_any_data_gets_no_empty_report_and_the_night_goes_on(prefect_server, project, smtp):
    # the inbox holds Thursday 11-26's sheets; the night of Wednesday 11-25 (files read today, not on 11-25) has
    # no row, no rejected row and no file for 11-25: no daily, said in the summary; the ingest still ran
    fill_inbox(project)
    result = run_nightly(project, dt.date(2026, 11, 25))
    assert result["rows_accepted"] == 3 + 2 and result["daily"] is False
    assert result["daily_skipped"].startswith("2026-11-25（周三）没有任何数据：")
    assert result["feedback"] == 0 and smtp.envelopes == []
    assert not list((project.root / "reports_out").glob("销售日报_*"))
    assert "没有任何数据" in Artifact.get(key="skipped-daily-2026-11-25").data
    config_file = str(project.root / "config" / "salespipe.toml")
    # Friday 11-20 closes a week (11-16 ~ 11-22) without data; 10-31 a month without data: skipped, not failed
    assert weekly(report_date="2026-11-20", config_file=config_file) is False
    assert monthly(report_date="2026-10-31", config_file=config_file) is False
    assert smtp.envelopes == [] and "这一周没有任何数据" in Artifact.get(key="skipped-weekly-2026-11-20").data
    assert "2026-10 这个月没有任何数据" in Artifact.get(key="skipped-monthly-2026-10-31").data
    assert (project.root / "reports_out" / "分配建议_2026-10-31.xlsx").exists()  # the month's workbook still written


def test_weekly_goes_out_on_the_weeks_last_workday_only(prefect_server, project, smtp):
    fill_inbox(project)
    run_nightly(project)
    config_file = str(project.root / "config" / "salespipe.toml")
    assert weekly(report_date=THU.isoformat(), config_file=config_file) is False
    assert weekly(report_date=FRI.isoformat(), config_file=config_file) is True
    assert "销售周报（2026-11-23 ~ 2026-11-29）" in subjects(smtp)
    assert monthly(report_date="2026-11-29", config_file=config_file) is False
    assert monthly(report_date="2026-11-30", config_file=config_file) is True
    assert "销售月报（2026-11-01 ~ 2026-11-30）" in subjects(smtp)


def test_a_failed_data_check_stops_the_sending(prefect_server, project, smtp):
    fill_inbox(project)
    run_nightly(project)
    sent = len(smtp.envelopes)
    con = connect(project.config.warehouse)  # a broken state: a log row whose salesperson is not in the roster
    con.execute("insert into activities (activity_date, salesperson_id, customer_code) values (?, 'S999', 'KH000001')",
                [FRI]).complete()
    con.close()
    with pytest.raises(DataCheckFailed, match="业务员都在名册中"):
        run_nightly(project, FRI)
    assert len(smtp.envelopes) == sent


def test_a_failure_in_the_middle_leaves_the_previous_warehouse(prefect_server, project, smtp, monkeypatch):
    fill_inbox(project)
    run_nightly(project)
    before = project.query("select * from activities order by all")
    project.add("日志表_张三_20261127.xlsx", [LOG_HEADER, log_row(FRI, customer="天津丙有限公司")])

    def fail(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(load_module, "refresh_followups", fail)
    sent = len(smtp.envelopes)
    with pytest.raises(Exception):
        run_nightly(project, FRI)
    assert project.query("select * from activities order by all") == before
    assert len(smtp.envelopes) == sent
    assert [p.name for p in project.inbox.iterdir()] == ["日志表_张三_20261127.xlsx"]


ANALYST = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute('select count(*) from activities').fetchall()[0][0], flush=True)
sys.stdin.readline()
"""


def test_a_run_while_an_analyst_has_the_warehouse_open(prefect_server, project, smtp):
    fill_inbox(project)
    run_nightly(project)
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(project.config.warehouse)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert analyst.stdout.readline().strip() == "2"
        project.add("日志表_张三_20261127.xlsx", [LOG_HEADER, log_row(FRI, customer="天津丙有限公司")])
        result = run_nightly(project, FRI)
    finally:
        analyst.kill()
        analyst.wait()
    assert result["rows_accepted"] == 1 and project.scalar("select count(*) from activities") == 3


# ---------------------------------------------------------------- the date logic


@pytest.mark.parametrize("day, workday", [
    (dt.date(2026, 11, 26), True), (dt.date(2026, 11, 28), False),      # an ordinary Thursday / Saturday
    (dt.date(2026, 10, 1), False), (dt.date(2026, 10, 7), False),       # 国庆
    (dt.date(2026, 10, 10), True), (dt.date(2026, 2, 14), True),        # 调休 Saturdays
    (dt.date(2026, 2, 17), False),                                      # 春节
    (dt.date(2028, 3, 1), True), (dt.date(2028, 3, 4), False),          # no data yet: Monday to Friday
])
def test_workdays_follow_the_official_calendar(day, workday):
    assert is_workday(day) is workday


def test_configured_overrides_win():
    config = {"calendar": {"workdays": ["2028-03-04"], "holidays": ["2026-11-26"]}}
    assert is_workday(dt.date(2028, 3, 4), config) and not is_workday(dt.date(2026, 11, 26), config)


@pytest.mark.parametrize("day, due", [
    (dt.date(2026, 11, 27), {"daily": True, "weekly": True, "monthly": False}),    # Friday
    (dt.date(2026, 11, 26), {"daily": True, "weekly": False, "monthly": False}),
    (dt.date(2026, 11, 30), {"daily": True, "weekly": False, "monthly": True}),    # Monday, last day of the month
    (dt.date(2026, 10, 10), {"daily": True, "weekly": True, "monthly": False}),    # 调休 Saturday ends that week
    (dt.date(2026, 10, 9), {"daily": True, "weekly": False, "monthly": False}),
    (dt.date(2026, 2, 28), {"daily": True, "weekly": True, "monthly": True}),      # February, a 调休 Saturday
    (dt.date(2028, 2, 29), {"daily": True, "weekly": False, "monthly": True}),     # leap year
    (dt.date(2028, 2, 28), {"daily": True, "weekly": False, "monthly": False}),
    (dt.date(2027, 2, 28), {"daily": False, "weekly": False, "monthly": True}),    # a Sunday: monthly only
])
def test_which_reports_are_due(day, due):
    assert reports_due(day) == due


def test_the_weekly_goes_out_before_a_holiday_week():
    # 2026-09-28 .. 10-04: 国庆 starts on Thursday 10-01, so Wednesday 09-30 is the week's last workday
    assert last_workday_of_week(dt.date(2026, 10, 1)) == dt.date(2026, 9, 30)
    assert reports_due(dt.date(2026, 9, 30))["weekly"] is True


def test_served_deployments_fire_every_evening_in_shanghai_one_at_a_time():
    from flows.serve import deployments

    served = {d.name: d for d in deployments()}
    assert set(served) == {"nightly", "weekly", "monthly"}
    crons = {name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone) for name, d in served.items()}
    assert crons == {"nightly": ("0 18 * * *", "Asia/Shanghai"), "weekly": ("30 18 * * *", "Asia/Shanghai"),
                     "monthly": ("0 19 L * *", "Asia/Shanghai")}
    assert all(d.concurrency_limit == 1 for d in served.values())
