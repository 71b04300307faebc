"""Full rebuild of a year from its day-workbooks: seconds and peak memory (RSS).

    .venv/bin/python -m bench.rebuild_bench [--salespeople 60] [--days 250] [--rows 80]

Runs the real command, `salespipe ingest <folder> --warehouse <new file>`, in a child process and
reads its peak RSS from the kernel (wait4). The workbooks come from bench/year.py (generated once).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.ingest_bench import ROOT, append_result, machine
from bench.year import make_year


def rebuild(paths: list[Path], work: Path) -> dict:
    """Hard-link the workbooks into an inbox and ingest them into a new warehouse; what it took."""
    inbox = work / "inbox"
    shutil.rmtree(work, ignore_errors=True)
    inbox.mkdir(parents=True)
    for p in paths:
        os.link(p, inbox / p.name)
    config = work / "salespipe.toml"
    shipped = (ROOT / "config" / "salespipe.toml").read_text(encoding="utf-8")
    config.write_text(f'[paths]\ninbox = "{inbox}"\narchive = "{work / "archive"}"\nrejected = "{work / "rejected"}"\n'
                      f'demo = "{work / "demo"}"\nwarehouse = "{work / "year.duckdb"}"\nreports = "{work / "out"}"\n\n'
                      + shipped[shipped.index("[ingest]"):], encoding="utf-8")
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "salespipe", "ingest", str(inbox), "--config", str(config)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"rebuild failed:\n{output.decode()}")
    con = duckdb.connect(str(work / "year.duckdb"), read_only=True)
    try:
        counts = con.execute("""select (select count(*) from activities), (select count(distinct (file, sheet, row_number))
                                from rejects), (select count(*) from customers), (select count(*) from ingested_files)""").fetchall()[0]
    finally:
        con.close()
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "activities": counts[0], "rejected": counts[1],
            "customers": counts[2], "files": counts[3], "size_mb": (work / "year.duckdb").stat().st_size / 1e6,
            "output": output.decode(errors="replace")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rebuild_bench")
    parser.add_argument("--salespeople", type=int, default=60)
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--rows", type=int, default=80)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    paths = make_year(args.salespeople, args.days, args.rows)
    generated = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        got = rebuild(paths, Path(tmp) / "rebuild")
    rows = got["activities"] + got["rejected"]
    lines = [f"### {dt.date.today()} — full rebuild: {len(paths):,} workbooks ({args.salespeople} salespeople × "
             f"{args.days} days), {rows:,} log rows", "", f"Machine: {machine()}", "",
             "| measure | value |", "| --- | ---: |",
             f"| seconds (`salespipe ingest` of the whole folder into a new warehouse) | {got['seconds']:.1f} |",
             f"| rows/s | {rows / got['seconds']:,.0f} |",
             f"| peak RSS | {got['peak_rss_mb']:,.0f} MB |",
             f"| accepted log rows / rejected rows | {got['activities']:,} / {got['rejected']:,} |",
             f"| customers | {got['customers']:,} |",
             f"| warehouse file | {got['size_mb']:.0f} MB |", "",
             f"(workbooks ready in {generated:.0f} s: generated once into bench/.cache/, then reused)", ""]
    append_result("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
