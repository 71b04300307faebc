"""The tasks the flows sequence: each one calls a plain function of salespipe/ or reports/."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from reports import make_report
from reports.data import COUNTS, KINDS
from reports.feedback import make_feedback
from salespipe.checks import require_checks
from salespipe.config import Config, load_config
from salespipe.errors import NoDataForPeriod, SalespipeError
from salespipe.ingest import ingest
from salespipe.mail import DeliveryFailed
from salespipe.summary import decisions_line


def report_day(report_date: str | None, config: Config) -> dt.date:
    """The given date, else the scheduled start of this run in Asia/Shanghai (now when run by hand)."""
    if report_date:
        return dt.date.fromisoformat(report_date)
    from prefect.runtime import flow_run

    scheduled = flow_run.scheduled_start_time or dt.datetime.now(dt.timezone.utc)
    return scheduled.astimezone(ZoneInfo(config.timezone)).date()


def settings(config_file: str | None, warehouse: str | None) -> Config:
    return load_config(config_file, warehouse)


@task(name="ingest_inbox")
def ingest_inbox(config: Config) -> dict:
    summary = ingest(None, config)
    logger = get_run_logger()
    logger.info("文件 files %s，接受行 rows accepted %d，退回行 rows rejected %d，跳过的非数据行 rows skipped %d，"
                "新客户 new customers %d", dict(summary.files), summary.rows_accepted, summary.rows_rejected,
                summary.rows_skipped, summary.new_customers)
    if summary.decisions:
        logger.info(decisions_line(summary.decisions))
    for name, sheet, reason in summary.sheets_not_read:
        logger.warning("未读取的工作表 sheet not read: %s / %s：%s", name, sheet, reason)
    return {"files": dict(summary.files), "rows_accepted": summary.rows_accepted,
            "rows_rejected": summary.rows_rejected, "rows_skipped": summary.rows_skipped,
            "sheets_not_read": [list(s) for s in summary.sheets_not_read],
            "new_customers": summary.new_customers, "new_reviews": summary.new_reviews,
            "decisions": dict(summary.decisions), "customers_from_leads": summary.customers_from_leads}


@task(name="check_data")
def check_data(config: Config, day: dt.date) -> None:
    require_checks(config.warehouse, day)


def out_dir(config: Config) -> Path:
    return config.root / config.raw.get("paths", {}).get("reports", "out/reports")


@task(name="render_and_send")
def render_and_send(config: Config, kind: str, day: dt.date) -> dict:
    """Render and send; managers who already have this period's report are not sent it again (the
    deliveries ledger), so a second run or a retried flow sends only what is missing. Sending is retried
    inside (`[mail] retries`), not by Prefect: {"paths": [...], "undelivered": ["address（reply）", ...]}.
    A period without any data (NoDataForPeriod: a Sunday or holiday run by hand, a future date) is not an error
    of the night: nothing is written or sent, the reason is logged and kept as an artifact, and the result says
    {"paths": [], "undelivered": [], "skipped": reason} so that the flow's other steps go on."""
    try:
        paths, notes, missing = _delivered(lambda: make_report(config, kind, day, ["html", "xlsx"], out_dir(config),
                                                               send=True))
    except NoDataForPeriod as exc:
        get_run_logger().warning("未生成报告 no report: %s / %s", exc.zh, exc.en)
        create_markdown_artifact(markdown=f"**{KINDS[kind][2]}未生成**：{exc.zh}", key=f"skipped-{kind}-{day.isoformat()}",
                                 description=exc.en)
        return {"paths": [], "undelivered": [], "skipped": exc.zh}
    return {"paths": [str(p) for p in paths], "undelivered": missing}


@task(name="send_feedback")
def send_feedback(config: Config, day: dt.date) -> dict:
    """Each salesperson's workbook to that salesperson, once: {"workbooks": n, "undelivered": [...]}."""
    paths, notes, missing = _delivered(lambda: make_feedback(config, day, out_dir(config) / "feedback", send=True))
    return {"workbooks": len(paths), "undelivered": missing}


def _delivered(make) -> tuple[list[Path], list[str], list[str]]:
    """Run a make_* with send; log every line; a partial delivery is returned, not raised, so that the
    flow does its other steps first and fails at its end (see `require_delivered`)."""
    logger = get_run_logger()
    try:
        paths, notes = make()
        missing = []
    except DeliveryFailed as exc:
        paths, notes = exc.paths, exc.notes
        missing = [f"{o.recipient}（{o.reply}）" for o in exc.missing]
    for line in [*map(str, paths), *notes]:
        logger.info(line)
    for who in missing:
        logger.error("未送达 not delivered: %s", who)
    return paths, notes, missing


def require_delivered(*results: dict) -> None:
    """The flow's last step: fail, naming them, when any recipient did not get their message."""
    missing = [who for result in results for who in result.get("undelivered", [])]
    if missing:
        raise SalespipeError(f"以下收件人没有收到邮件：{'；'.join(missing)}。其余步骤已完成；重新运行只补发给他们",
                             f"not delivered to {len(missing)} recipient(s); re-running sends only the missing ones")


@task(name="write_assignment")
def write_assignment(config: Config, day: dt.date) -> str:
    from salespipe.assign import make_assignment

    path, recs = make_assignment(config, day, out_dir(config))
    get_run_logger().info("分配建议 %s：新客户 %d，冲突 %d，回收 %d", path, len(recs.new), len(recs.conflicts),
                          len(recs.recycle))
    create_link_artifact(link=path.resolve().as_uri(), link_text=path.name, key=f"assignment-{day.isoformat()}")
    return str(path)


@task(name="write_assignment_if_waiting")
def write_assignment_if_waiting(config: Config, day: dt.date) -> str | None:
    """Every night: the recommendations workbook when something waits for the managers (assign.py)."""
    from salespipe.assign import assignment_if_waiting

    path, recs = assignment_if_waiting(config, day, out_dir(config))
    waiting = recs.waiting
    logger = get_run_logger()
    if path is None:
        logger.info("没有待审批的分配建议 / nothing waits for assignment")
        return None
    logger.info("分配建议 %s：新客户 %d，冲突 %d，回收 %d", path, waiting["new"], waiting["conflicts"], waiting["recycle"])
    create_link_artifact(link=path.resolve().as_uri(), link_text=path.name, key=f"assignment-{day.isoformat()}")
    return str(path)


@task(name="publish_artifacts")
def publish_artifacts(config: Config, kind: str, day: dt.date, paths: list[str]) -> None:
    from reports import load_report

    report = load_report(config, kind, day)
    table = [{"业务员": p["label"], **{label: p[col] for col, label in COUNTS},  # label: 工号 where two share a 姓名
              "成单率": None if p["win_rate"] is None else round(p["win_rate"] * 100, 1),
              "状态": "；".join(p["marks"])} for p in report.people]  # 未交日志 / 离职
    key = f"{kind}-{report.start.isoformat()}"
    create_table_artifact(table=table, key=f"counts-{key}", description=f"{report.title} 各业务员计数")
    for path in paths:
        if path.endswith(".html"):
            create_link_artifact(link=Path(path).resolve().as_uri(), link_text=report.title, key=f"report-{key}",
                                 description=f"{KINDS[kind][2]} HTML")
