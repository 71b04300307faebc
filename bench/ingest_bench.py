"""Ingest speed on a nightly batch, side by side with the raw-read limit and a naive baseline.

    ./run bench [--files 200] [--rows 80]

Prints one table and appends it, with the machine description, to docs/benchmarks.md.
1. raw read: the faster of python-calamine (the reader salespipe uses) and fastexcel (every column read as
   text, as phones must be), each alone reading every sheet of every file
2. naive: pandas.read_excel (default engine) + row-by-row validation in Python
3. salespipe ingest: read, recognise, clean, validate, match, load — onto a warehouse that already holds
   the team's previous days (a real evening: most customers are known), and, separately, the first load
   into an empty warehouse (every customer new)
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import fastexcel
import pandas as pd
import python_calamine as pc

from salespipe.config import Config, load_config
from salespipe.demo import DemoMonth, _roster, write_log

ROOT = Path(__file__).resolve().parents[1]


def make_batch(folder: Path, files: int, rows: int, seed: int = 1, first_day: int = 0,
               roster: bool = True) -> list[Path]:
    """`files` day-workbooks of about `rows` rows each (40 salespeople × files/40 days from the month's
    `first_day`), plus the roster. The same seed gives the same people and customers."""
    folder.mkdir(parents=True, exist_ok=True)
    people = 40
    gen = DemoMonth(seed, dt.date(2026, 11, 1), people, rows_per_day=(int(rows * 0.8), int(rows * 1.2)))
    for p in gen.people:
        p.customers = [gen._customer() for _ in range(rows * 2)]
    paths = [_roster(gen, folder)] if roster else []
    days = gen.days * (2 + files // (people * len(gen.days)))
    for i in range(files):
        person, day = gen.people[i % people], days[first_day + i // people]
        paths.append(write_log(gen, person, day, gen.day_rows(person, day), folder, suffix=f"_{i}"))
    return paths


def raw_read(paths: list[Path]) -> int:
    """Rows of every sheet, as python-calamine gives them (data rows + headers + titles)."""
    rows = 0
    for path in paths:
        wb = pc.CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            rows += len(wb.get_sheet_by_name(name).to_python())
    return rows


def raw_read_fastexcel(paths: list[Path]) -> int:
    """Rows of every sheet as fastexcel loads them: no header row, every column as text."""
    rows = 0
    for path in paths:
        reader = fastexcel.read_excel(str(path))
        for name in reader.sheet_names:
            rows += reader.load_sheet(name, header_row=None, dtypes="string").height
    return rows


def naive(paths: list[Path]) -> int:
    rows = 0
    for path in paths:
        for frame in pd.read_excel(path, sheet_name=None, header=None,
                                   engine="openpyxl" if path.suffix != ".xls" else None).values():
            for _, row in frame.iterrows():
                values = [str(v).strip() for v in row if not pd.isna(v)]
                if len(values) >= 3 and all(values[:3]):
                    rows += 1
    return rows


def salespipe_ingest(paths: list[Path], work: Path, base: Path | None = None) -> tuple[float, int]:
    """(seconds, rows) of one `ingest` of the files, onto a copy of `base` (or an empty warehouse)."""
    from salespipe.ingest import ingest
    from salespipe.ingest.rows import reset_caches

    reset_caches()
    inbox = work / "inbox"
    shutil.rmtree(work, ignore_errors=True)
    inbox.mkdir(parents=True)
    for p in paths:
        shutil.copy2(p, inbox / p.name)
    if base is not None:
        shutil.copyfile(base, work / "bench.duckdb")
    config = bench_config(work)
    start = time.perf_counter()
    summary = ingest([inbox], config)
    return time.perf_counter() - start, summary.rows_accepted + summary.rows_rejected


def profile_ingest(paths: list[Path], work: Path, base: Path) -> Path:
    """Where one ingest of the batch spends its time (pyinstrument's call tree, as text)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    salespipe_ingest(paths, work, base)
    profiler.stop()
    out = ROOT / "docs" / "profile-ingest.txt"
    out.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    print(f"profile: {out}")
    return out


def bench_config(work: Path, warehouse: Path | None = None) -> Config:
    """The shipped configuration with every path under `work`."""
    base = load_config()
    raw = {**base.raw, "paths": {**base.raw["paths"], "inbox": str(work / "inbox"), "archive": str(work / "archive"),
                                 "rejected": str(work / "rejected"), "reports": str(work / "reports")}}
    return Config(root=base.root, raw=raw, warehouse=warehouse or work / "bench.duckdb")


def timed(fn, *args, repeat: int = 3) -> tuple[float, int]:
    """Median seconds of `repeat` calls and the count the last returned; a function may time itself
    by returning (seconds, count)."""
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args)
        elapsed = time.perf_counter() - start
        if isinstance(out, tuple):
            elapsed, out = out
        times.append(elapsed)
        count = out
    return statistics.median(times), count


def machine() -> str:
    return f"{platform.node() or 'machine'}: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="salespipe bench")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true",
                        help="also profile one ingest of the batch with pyinstrument into docs/profile-ingest.txt")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        history = make_batch(tmp / "history", args.files, args.rows, first_day=0)
        paths = make_batch(tmp / "batch", args.files, args.rows, first_day=args.files // 40 + 1, roster=False)
        salespipe_ingest(history, tmp / "base")
        base = tmp / "base" / "bench.duckdb"
        t_calamine, _ = timed(raw_read, paths, repeat=args.repeat)
        t_fastexcel, _ = timed(raw_read_fastexcel, paths, repeat=args.repeat)
        t_raw, raw_reader = min((t_calamine, "python-calamine"), (t_fastexcel, "fastexcel"))
        t_naive, _ = timed(naive, paths, repeat=args.repeat)
        t_ingest, n_rows = timed(salespipe_ingest, paths, tmp / "work", base, repeat=args.repeat)
        t_first, n_first = timed(salespipe_ingest, history, tmp / "first", repeat=args.repeat)
        if args.profile:
            profile_ingest(paths, tmp / "profiled", base)
    rate = lambda t, n=n_rows: n / t
    lines = [f"### {dt.date.today()} — nightly batch: {len(paths)} workbooks, {n_rows} data rows "
             f"(median of {args.repeat})", "", f"Machine: {machine()}", "",
             "| step | seconds | rows/s | this ÷ salespipe (rate) |", "| --- | ---: | ---: | ---: |",
             f"| 1a. raw read (python-calamine, all cells) | {t_calamine:.2f} | {rate(t_calamine):,.0f} | {t_ingest / t_calamine:.2f} |",
             f"| 1b. raw read (fastexcel, every column as text) | {t_fastexcel:.2f} | {rate(t_fastexcel):,.0f} | {t_ingest / t_fastexcel:.2f} |",
             f"| 2. naive (pandas.read_excel + row loop) | {t_naive:.2f} | {rate(t_naive):,.0f} | {t_ingest / t_naive:.2f} |",
             f"| 3. salespipe ingest onto the previous days (read → warehouse) | {t_ingest:.2f} | {rate(t_ingest):,.0f} | 1.00 |",
             f"| 3b. salespipe first load, empty warehouse ({len(history)} workbooks, every customer new) "
             f"| {t_first:.2f} | {rate(t_first, n_first):,.0f} | |", "",
             f"salespipe = {rate(t_ingest) / rate(t_raw):.0%} of the raw-read rate of the faster reader ({raw_reader}; "
             f"{rate(t_ingest) / rate(t_calamine):.0%} of python-calamine's) (target ≥ 50 %), "
             f"{t_naive / t_ingest:.1f}× the naive baseline (target ≥ 10×).", ""]
    append_result("\n".join(lines))
    return {"files": len(paths), "rows": n_rows, "raw_s": t_raw, "raw_reader": raw_reader, "calamine_s": t_calamine,
            "naive_s": t_naive, "ingest_s": t_ingest,
            "first_s": t_first, "first_rows": n_first}


def append_result(text: str) -> None:
    """Print a result table and put it into docs/benchmarks.md in place of the earlier table of the same
    benchmark (the heading after the date names it: `### <date> — full rebuild: …`); git keeps the history."""
    print(text)
    doc = ROOT / "docs" / "benchmarks.md"
    if not doc.exists():
        doc.write_text("# Benchmarks\n\nWritten by `./run bench`: the latest table of each benchmark; rates are data "
                       "rows per second.\n\n", encoding="utf-8")
    doc.write_text(replace_section(doc.read_text(encoding="utf-8"), text), encoding="utf-8")


def benchmark_of(heading: str) -> str:
    """'### 2026-11-30 — full rebuild: 15,001 workbooks …' → 'full rebuild'."""
    return heading.split(" — ", 1)[-1].split(":", 1)[0].split("(", 1)[0].strip()


def replace_section(doc: str, text: str) -> str:
    """`doc` with `text` (a `### ` section) in place of every earlier section of the same benchmark, or appended."""
    head, *sections = doc.split("\n### ")
    kind = benchmark_of(text.splitlines()[0])
    kept = [s for s in sections if benchmark_of(s.splitlines()[0]) != kind]
    return "\n### ".join([head, *kept]).rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"


if __name__ == "__main__":
    main()
