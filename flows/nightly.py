"""Every evening at 18:00 (after the 17:30 collection): ingest the inbox, check the data, write the
recommendations workbook when leads, conflicts or customers due for recycling wait (issue 16), and on
workdays send the daily report and each salesperson's feedback. A workday with no data at all gets no
daily report: the summary says why ("daily_skipped"); the other steps run as on any night."""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from prefect import flow, get_run_logger  # noqa: E402

from flows.tasks import (check_data, ingest_inbox, publish_artifacts, render_and_send, report_day,  # noqa: E402
                         require_delivered, send_feedback, settings, write_assignment_if_waiting)
from salespipe.workdays import reports_due  # noqa: E402


@flow(name="nightly")
def nightly(report_date: str | None = None, config_file: str | None = None, warehouse: str | None = None) -> dict:
    config = settings(config_file, warehouse)
    day = report_day(report_date, config)
    summary = ingest_inbox(config)
    check_data(config, day)
    workbook = write_assignment_if_waiting(config, day)
    summary = {**summary, "assignment": workbook}
    if not reports_due(day, config.raw)["daily"]:
        get_run_logger().info("%s 不是工作日，不发日报 / not a workday: no daily report", day)
        return {**summary, "daily": False}
    sent = render_and_send(config, "daily", day)
    feedback = send_feedback(config, day)
    if "skipped" in sent:  # a workday without any data: no empty report; the feedback step still ran
        require_delivered(feedback)
        return {**summary, "daily": False, "daily_skipped": sent["skipped"], "feedback": feedback["workbooks"]}
    publish_artifacts(config, "daily", day, sent["paths"])
    require_delivered(sent, feedback)
    return {**summary, "daily": True, "feedback": feedback["workbooks"]}
