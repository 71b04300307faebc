"""A nightly run onto a warehouse that already holds a year: ingest + marts + three reports.

    .venv/bin/python -m bench.nightly_bench [--files 200] [--rows 80]

The year (1.2M log rows, 60 salespeople) is written with SQL as in marts_bench; the night's batch is
the ingest benchmark's (day-workbooks of 40 more salespeople). Prefect's temporary server start is
timed on its own and not included in the run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from bench.ingest_bench import append_result, bench_config, machine, make_batch  # noqa: E402
from bench.marts_bench import fill  # noqa: E402
from salespipe.transforms import build_marts  # noqa: E402
from salespipe.warehouse import connect  # noqa: E402


def prefect_start_seconds() -> float:
    from prefect.testing.utilities import prefect_test_harness

    start = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        started = time.perf_counter() - start
    return started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nightly_bench")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=80)
    args = parser.parse_args(argv)
    from reports import make_report
    from salespipe.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = bench_config(tmp, tmp / "year.duckdb")
        con = connect(config.warehouse)
        n = fill(con, 60, 250, 80)
        build_marts(con, config, force=True)
        con.execute("checkpoint").complete()
        con.close()
        size_mb = config.warehouse.stat().st_size / 1e6
        paths = make_batch(tmp / "batch", args.files, args.rows)
        (tmp / "inbox").mkdir()
        for p in paths:
            shutil.copy2(p, tmp / "inbox" / p.name)
        day = dt.date(2026, 11, 27)
        timings = {}
        start = time.perf_counter()
        summary = ingest(None, config)
        timings["ingest (read → publish, incl. marts rebuild)"] = time.perf_counter() - start
        for kind in ("daily", "weekly", "monthly"):
            start = time.perf_counter()
            make_report(config, kind, day, ["html", "xlsx"], tmp / "out")
            timings[f"{kind} report (HTML + Excel)"] = time.perf_counter() - start
        total = sum(timings.values())
    prefect = prefect_start_seconds()
    lines = [f"### {dt.date.today()} — nightly run onto a year ({n:,} log rows, warehouse {size_mb:.0f} MB): "
             f"{len(paths)} workbooks, {summary.rows_accepted + summary.rows_rejected:,} rows", "",
             f"Machine: {machine()}", "", "| step | seconds |", "| --- | ---: |",
             *(f"| {label} | {seconds:.2f} |" for label, seconds in timings.items()),
             f"| **total, without Prefect** | **{total:.2f}** |",
             f"| Prefect's temporary server start (separately) | {prefect:.2f} |", ""]
    append_result("\n".join(lines))
    return {"total_s": total, "prefect_s": prefect, "timings": timings}


if __name__ == "__main__":
    main()
