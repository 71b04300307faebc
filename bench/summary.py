"""`salespipe bench`: every benchmark, then one table of the five measures of issue 7 against their
targets, printed and appended (with the machine description) to docs/benchmarks.md.

    ./run bench [--files 200] [--rows 80] [--repeat 3] [--salespeople 60] [--days 250] [--skip-rebuild]
"""
from __future__ import annotations

import argparse
import datetime as dt

from bench.ingest_bench import append_result, machine


def summary_table(ingest: dict, nightly: dict | None, rebuild: dict | None) -> str:
    rows, raw, naive, ours = ingest["rows"], ingest["raw_s"], ingest["naive_s"], ingest["ingest_s"]
    share, speedup = raw / ours, naive / ours
    mark = lambda ok: "met" if ok else "**missed**"
    lines = [f"### {dt.date.today()} — summary (issue 7 targets)", "", f"Machine: {machine()}", "",
             "| measure | result | target | |", "| --- | ---: | ---: | --- |",
             f"| 1. raw read, {ingest['files']} workbooks / {rows:,} rows, the faster reader ({ingest['raw_reader']}; "
             f"python-calamine {rows / ingest['calamine_s']:,.0f} rows/s) | {rows / raw:,.0f} rows/s | | |",
             f"| 2. naive baseline (pandas.read_excel + row loop) | {rows / naive:,.0f} rows/s | | |",
             f"| 3. salespipe ingest of the same batch | {rows / ours:,.0f} rows/s = {share:.0%} of 1, {speedup:.1f}× 2 "
             f"| ≥ 50 % of 1, ≥ 10× 2 | {mark(share >= 0.5 and speedup >= 10)} |"]
    if nightly:
        lines.append(f"| 4. nightly run onto a year: ingest + marts + three reports | {nightly['total_s']:.1f} s "
                     f"(+ {nightly['prefect_s']:.1f} s Prefect server start) | ≤ 10 s | {mark(nightly['total_s'] <= 10)} |")
    if rebuild:
        ok = rebuild["seconds"] <= 60 and rebuild["peak_rss_mb"] <= 1536
        lines.append(f"| 5. full rebuild, {rebuild['files']:,} workbooks / {rebuild['rows']:,} rows | "
                     f"{rebuild['seconds']:.1f} s, peak RSS {rebuild['peak_rss_mb']:,.0f} MB | ≤ 60 s, ≤ 1.5 GB | {mark(ok)} |")
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
    from bench import customers_bench, ingest_bench, marts_bench, nightly_bench, rebuild_bench

    ingest = ingest_bench.main(["--files", str(files), "--rows", str(rows), "--repeat", str(repeat), "--profile"])
    customers_bench.main([])
    marts_bench.main([])
    nightly = nightly_bench.main(["--files", str(files), "--rows", str(rows)])
    built = rebuild_bench.main(["--salespeople", str(salespeople), "--days", str(days), "--rows", str(rows)]) \
        if rebuild else None
    append_result(summary_table(ingest, nightly, built))


if __name__ == "__main__":
    raise SystemExit(main())
