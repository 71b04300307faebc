"""The evening run: ingest the inbox into the warehouse (reports and feedback join in later work)."""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from prefect import flow, get_run_logger, task  # noqa: E402

from salespipe.config import load_config  # noqa: E402
from salespipe.ingest import IngestSummary, ingest  # noqa: E402


@task(name="ingest_inbox")
def ingest_inbox(config_file: str | None, warehouse: str | None) -> IngestSummary:
    return ingest(None, load_config(config_file, warehouse))


@flow(name="nightly", log_prints=True)
def nightly(config_file: str | None = None, warehouse: str | None = None) -> IngestSummary:
    summary = ingest_inbox(config_file, warehouse)
    get_run_logger().info(
        "files %s, rows accepted %d, rows rejected %d, new customers %d",
        dict(summary.files), summary.rows_accepted, summary.rows_rejected, summary.new_customers)
    return summary
