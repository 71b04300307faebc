"""Full rebuild of a year from its day-workbooks: seconds and peak memory (RSS).

    .venv/bin/python -m bench.rebuild_bench [--salespeople 60] [--days 250] [--rows 80]

Runs the real command, `salespipe ingest <folder>` with a new warehouse, in a child process. Peak
memory is the larger of the sum of the RSS of the command and its reader process, sampled every 0.1 s
from /proc, and the kernel's own peak of the larger single process (from wait4). The workbooks come
from bench/year.py.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import threading
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
    peak = [0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(child.pid, peak, done), daemon=True)
    sampler.start()
    output = child.stdout.read()
    done.set()
    sampler.join()
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
    largest = usage.ru_maxrss / 1024  # the kernel's exact peak of the command or of its reader, the larger
    # The true peak of the sum is at least both: the sampled sum can miss a short spike, and the command's own
    # peak comes at the end (follow-ups, customers, marts over every row), after the reader has ended.
    return {"seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime,  # the command and its reader processes
            "peak_rss_mb": max(peak[0] / 2**20, largest), "sampled_rss_mb": peak[0] / 2**20,
            "max_process_rss_mb": largest, "activities": counts[0], "rejected": counts[1],
            "customers": counts[2], "files": counts[3], "size_mb": (work / "year.duckdb").stat().st_size / 1e6,
            "output": output.decode(errors="replace")}


def _tree_rss(pid: int) -> int:
    """Bytes resident in the process and all its descendants now."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, StopIteration):
            continue
    return total


def _sample_rss(pid: int, peak: list[int], done: threading.Event) -> None:
    while not done.wait(0.1):
        peak[0] = max(peak[0], _tree_rss(pid))


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
             f"| peak RSS: the larger of the sum over both processes sampled every 0.1 s and the largest "
             f"single process's own peak | {got['peak_rss_mb']:,.0f} MB ({got['sampled_rss_mb']:,.0f} / "
             f"{got['max_process_rss_mb']:,.0f} MB) |",
             f"| accepted log rows / rejected rows | {got['activities']:,} / {got['rejected']:,} |",
             f"| customers | {got['customers']:,} |",
             f"| warehouse file | {got['size_mb']:.0f} MB |", "",
             f"(workbooks ready in {generated:.0f} s: generated once into bench/.cache/, then reused)", ""]
    append_result("\n".join(lines))
    return {"files": len(paths), "rows": rows, "seconds": got["seconds"], "peak_rss_mb": got["peak_rss_mb"]}


if __name__ == "__main__":
    main()
