"""The tasks the flows sequence: each one calls a plain function of salespipe/ or reports/."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact, create_table_artifact

from reports import make_report
from reports.data import COUNTS, KINDS
from reports.feedback import make_feedback
from salespipe.checks import require_checks
from salespipe.config import Config, load_config
from salespipe.ingest import ingest


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
    for name, sheet, reason in summary.sheets_not_read:
        logger.warning("未读取的工作表 sheet not read: %s / %s：%s", name, sheet, reason)
    return {"files": dict(summary.files), "rows_accepted": summary.rows_accepted,
            "rows_rejected": summary.rows_rejected, "rows_skipped": summary.rows_skipped,
            "sheets_not_read": [list(s) for s in summary.sheets_not_read],
            "new_customers": summary.new_customers, "new_reviews": summary.new_reviews}


@task(name="check_data")
def check_data(config: Config, day: dt.date) -> None:
    require_checks(config.warehouse, day)


def out_dir(config: Config) -> Path:
    return config.root / config.raw.get("paths", {}).get("reports", "out/reports")


@task(name="render_and_send", retries=2, retry_delay_seconds=30)
def render_and_send(config: Config, kind: str, day: dt.date) -> list[str]:
    """Render; send unless this period's report was already sent (a second run changes nothing)."""
    folder = out_dir(config)
    sent_marker = folder / "sent" / f"{kind}_{day.isoformat()}"
    paths, notes = make_report(config, kind, day, ["html", "xlsx"], folder, send=not sent_marker.exists())
    if notes:
        sent_marker.parent.mkdir(parents=True, exist_ok=True)
        sent_marker.write_text("\n".join(notes), encoding="utf-8")
    logger = get_run_logger()
    for line in [*map(str, paths), *notes]:
        logger.info(line)
    return [str(p) for p in paths]


@task(name="send_feedback", retries=2, retry_delay_seconds=30)
def send_feedback(config: Config, day: dt.date) -> int:
    folder = out_dir(config) / "feedback"
    sent_marker = folder / "sent" / day.isoformat()
    paths, notes = make_feedback(config, day, folder, send=not sent_marker.exists())
    if notes:
        sent_marker.parent.mkdir(parents=True, exist_ok=True)
        sent_marker.write_text("\n".join(notes), encoding="utf-8")
    return len(paths)


@task(name="write_assignment")
def write_assignment(config: Config, day: dt.date) -> str:
    from salespipe.assign import make_assignment

    path, recs = make_assignment(config, day, out_dir(config))
    get_run_logger().info("分配建议 %s：新客户 %d，冲突 %d，回收 %d", path, len(recs.new), len(recs.conflicts),
                          len(recs.recycle))
    create_link_artifact(link=path.resolve().as_uri(), link_text=path.name, key=f"assignment-{day.isoformat()}")
    return str(path)


@task(name="publish_artifacts")
def publish_artifacts(config: Config, kind: str, day: dt.date, paths: list[str]) -> None:
    from reports import load_report

    report = load_report(config, kind, day)
    table = [{"业务员": p["name"], **{label: p[col] for col, label in COUNTS},
              "成单率": None if p["win_rate"] is None else round(p["win_rate"] * 100, 1)} for p in report.people]
    key = f"{kind}-{report.start.isoformat()}"
    create_table_artifact(table=table, key=f"counts-{key}", description=f"{report.title} 各业务员计数")
    for path in paths:
        if path.endswith(".html"):
            create_link_artifact(link=Path(path).resolve().as_uri(), link_text=report.title, key=f"report-{key}",
                                 description=f"{KINDS[kind][2]} HTML")
