"""On the month's last day at 19:00: the monthly report (covering the whole month) and the assignment
recommendations workbook for the managers to approve.
A month without any data gets no report: the reason is logged and kept as an artifact (skipped-monthly-<date>)."""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from prefect import flow, get_run_logger  # noqa: E402

from flows.tasks import (check_data, publish_artifacts, render_and_send, report_day, require_delivered,  # noqa: E402
                         settings, write_assignment)
from salespipe.workdays import reports_due  # noqa: E402


@flow(name="monthly")
def monthly(report_date: str | None = None, config_file: str | None = None, warehouse: str | None = None) -> bool:
    config = settings(config_file, warehouse)
    day = report_day(report_date, config)
    if not reports_due(day, config.raw)["monthly"]:
        get_run_logger().info("%s 不是月末 / not the month's last day", day)
        return False
    check_data(config, day)
    sent = render_and_send(config, "monthly", day)
    write_assignment(config, day)
    if "skipped" in sent:  # a month without any data: no empty report (the reason is logged and an artifact)
        return False
    publish_artifacts(config, "monthly", day, sent["paths"])
    require_delivered(sent)
    return True
