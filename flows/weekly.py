"""Every evening at 18:30: on the week's last workday (Friday, or the day before a holiday), the weekly report.
A week without any data gets no report: the reason is logged and kept as an artifact (skipped-weekly-<date>)."""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from prefect import flow, get_run_logger  # noqa: E402

from flows.tasks import (check_data, publish_artifacts, render_and_send, report_day, require_delivered,  # noqa: E402
                         settings)
from salespipe.workdays import reports_due  # noqa: E402


@flow(name="weekly")
def weekly(report_date: str | None = None, config_file: str | None = None, warehouse: str | None = None) -> bool:
    config = settings(config_file, warehouse)
    day = report_day(report_date, config)
    if not reports_due(day, config.raw)["weekly"]:
        get_run_logger().info("%s 不是本周最后一个工作日 / not the week's last workday", day)
        return False
    check_data(config, day)
    sent = render_and_send(config, "weekly", day)
    if "skipped" in sent:  # a week without any data: no empty report (the reason is logged and an artifact)
        return False
    publish_artifacts(config, "weekly", day, sent["paths"])
    require_delivered(sent)
    return True
