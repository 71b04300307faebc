"""`salespipe bench`: every benchmark, each table printed and put into docs/benchmarks.md (the latest of each):
ingest against the raw read and a naive baseline (with a summary), customer matching, the marts, and the scale
benchmark (bench/scale.py: histories of one and three years built through ingest, the same night onto each,
the reports, a 300-workbook night, against issue 19's targets; left out with --skip-rebuild).

    ./run bench [--files 200] [--rows 80] [--repeat 3] [--salespeople 60] [--days 250] [--skip-rebuild]
"""
from __future__ import annotations

import argparse
import datetime as dt

from bench.ingest_bench import append_result, machine


def summary_table(ingest: dict) -> str:
    rows, raw, naive, ours = ingest["rows"], ingest["raw_s"], ingest["naive_s"], ingest["ingest_s"]
    share, speedup = raw / ours, naive / ours
    lines = [f"### {dt.date.today()} — summary: ingest against the raw read", "", f"Machine: {machine()}", "",
             "| measure | result | target | |", "| --- | ---: | ---: | --- |",
             f"| 1. raw read, {ingest['files']} workbooks / {rows:,} rows, the faster reader ({ingest['raw_reader']}; "
             f"python-calamine {rows / ingest['calamine_s']:,.0f} rows/s) | {rows / raw:,.0f} rows/s | | |",
             f"| 2. naive baseline (pandas.read_excel + row loop) | {rows / naive:,.0f} rows/s | | |",
             f"| 3. salespipe ingest of the same batch | {rows / ours:,.0f} rows/s = {share:.0%} of 1, {speedup:.1f}× 2 "
             f"| (issue 7's ≥ 50 % of 1 is retired by issue 19: see the scale benchmark) | |"]
    return "\n".join(lines + [""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="salespipe bench")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--salespeople", type=int, default=60)
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--skip-rebuild", action="store_true", help="leave out the full rebuild (minutes the first time)")
    args = parser.parse_args(argv)
    run_benches(args.files, args.rows, args.repeat, args.salespeople, args.days, not args.skip_rebuild)
    return 0


def run_benches(files: int, rows: int, repeat: int, salespeople: int, days: int, rebuild: bool) -> None:
    from bench import customers_bench, ingest_bench, marts_bench, scale

    ingest = ingest_bench.main(["--files", str(files), "--rows", str(rows), "--repeat", str(repeat), "--profile"])
    customers_bench.main([])
    marts_bench.main([])
    append_result(summary_table(ingest))
    if rebuild:  # histories built through ingest: minutes the first time, then cached by code hash
        scale.main(["--salespeople", str(salespeople), "--rows", str(rows)])


if __name__ == "__main__":
    raise SystemExit(main())
