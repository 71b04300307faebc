"""Nights that cost the same in year ten (issue 19): warehouses built through the real ingest, then the
same night onto each.

    .venv/bin/python -m bench.scale [--years 1 3] [--salespeople 60] [--rows 80]

For each history (60 salespeople × 250 workdays per year, bench/year.py's workbooks, `salespipe ingest` of
the whole folder into a new warehouse — the rebuild — cached in bench/.cache/ under a hash of the code, so a
code change builds again): the same night's 60 workbooks (the day after the longest history) ingested onto
a copy, twice (the first night after the rebuild, then a second night on a fresh copy, to see a first-night
effect), and the daily, weekly and monthly report of the history's last workday rendered in-process (apart from
process start): the same amount of data in each period on either history. Beside
each: the raw read of the same files (python-calamine, one process), our reading alone of the history (two
processes, nothing loaded: the floor under the rebuild), and the interpreter's start. Then a night of 300
workbooks (300 salespeople, with their roster) onto the one-year warehouse — 23 k companies it has never seen —
and the same 300 salespeople's ordinary evening onto their own history of WIDE_OWN_DAYS workdays. Prints the
curve and the targets, and puts the table into docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.ingest_bench import ROOT, append_result, machine, raw_read
from bench.rebuild_bench import rebuild
from bench.year import _generator, _write_days, make_year, workdays
from salespipe.demo import _roster

CACHE = ROOT / "bench" / ".cache"
DAYS_PER_YEAR = 250
WIDE_OWN_DAYS = 20  # the wide department's own history: by then every salesperson's 160 customers have been seen


def code_hash() -> str:
    """What a built warehouse depends on: the code that wrote it and the shipped configuration."""
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("salespipe/**/*.py"), *ROOT.glob("transforms/**/*.sql"), ROOT / "config" / "salespipe.toml"]):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def history(years: int, salespeople: int, rows: int, days: int | None = None) -> tuple[Path, dict]:
    """The warehouse of `years` (or of `days` workdays) built by one `salespipe ingest` (cached), and what the
    build took."""
    span = f"{years}y" if days is None else f"{days}d"
    days = days or DAYS_PER_YEAR * years
    built = CACHE / f"scale-{span}-{salespeople}p-{rows}r-{code_hash()}.duckdb"
    facts = built.with_suffix(".json")
    if not built.exists() or not facts.exists():
        paths = make_year(salespeople, days, rows)
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            got = rebuild(paths, Path(tmp) / "build")
            got["raw_s"], got["raw_rows"] = timed_raw_read(paths)
            got["reader_s"] = reader_alone(paths)
            shutil.copyfile(Path(tmp) / "build" / "year.duckdb", built)
        got.pop("output")
        facts.write_text(json.dumps({**got, "files": len(paths)}), encoding="utf-8")
    return built, json.loads(facts.read_text(encoding="utf-8"))


def timed_raw_read(paths: list[Path]) -> tuple[float, int]:
    """(seconds, rows) of the raw read of `paths` (python-calamine, this process)."""
    start = time.perf_counter()
    rows = raw_read(paths)
    return time.perf_counter() - start, rows


def reader_alone(paths: list[Path], processes: int = 2) -> float:
    """Wall seconds of our reading alone (`read_chunk`, as the reader processes read: what Excel shows — xlrd for
    .xls, error cells, formulas without results — recognised and staged), the files in runs of 500 over `processes`
    processes side by side, nothing loaded or matched: the floor under a rebuild that reads this way here."""
    runs = [paths[i:i + 500] for i in range(0, len(paths), 500)]
    start = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_staged_rows, runs))
    return time.perf_counter() - start


def _staged_rows(paths: list[Path]) -> int:
    from salespipe.ingest.reader import file_sha256
    from salespipe.ingest.worker import read_chunk

    batch = read_chunk(paths, [file_sha256(p) for p in paths], set(), "022", 30, len(paths), 0)
    return sum(len(records) for records in batch.records.values())


def night_files(folder: Path, salespeople: int, rows: int, day_index: int, with_roster: bool) -> list[Path]:
    """One night's workbooks: every salesperson's sheet of workday `day_index` (the generator's customers)."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_days(folder, salespeople, day_index + 1, rows, 1, [day_index])
    if with_roster:
        _roster(_generator(salespeople, day_index + 1, rows, 1), folder)
    return sorted(p for p in folder.iterdir() if p.suffix in (".xlsx", ".xls"))


def python_start() -> float:
    """Seconds to start the interpreter and import the command line (what a night pays before any work)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import salespipe.cli"], check=True)
    return time.perf_counter() - start


def night(base: Path | None, files: list[Path], work: Path) -> float:
    """Wall seconds of `salespipe ingest` (its own process, as the evening runs it) of `files` onto a copy of
    `base` (None: onto the warehouse already in `work`, as the next evening)."""
    inbox = work / "inbox"
    if base is not None:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copyfile(base, _mkdir(work) / "w.duckdb")
    inbox.mkdir(parents=True, exist_ok=True)
    for p in files:
        shutil.copy2(p, inbox / p.name)
    config = _config(work)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "salespipe", "ingest", str(inbox), "--config", str(config)],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"night failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def reports(work: Path, day: dt.date, repeat: int = 3) -> dict[str, float]:
    """In-process seconds to gather and render each report (HTML and Excel) on the warehouse of `work`: the best of
    `repeat` runs (one run of the same report varied by a fifth on this 2-core machine)."""
    from reports import make_report
    from salespipe.config import load_config

    config = load_config(_config(work))
    out = {}
    for kind in ("daily", "weekly", "monthly"):
        for _ in range(repeat):
            start = time.perf_counter()
            make_report(config, kind, day, ["html", "xlsx"], work / "out")
            out[kind] = min(out.get(kind, float("inf")), time.perf_counter() - start)
    return out


def _config(work: Path) -> Path:
    config = work / "salespipe.toml"
    if not config.exists():
        shipped = (ROOT / "config" / "salespipe.toml").read_text(encoding="utf-8")
        config.write_text(f'[paths]\ninbox = "{work / "inbox"}"\narchive = "{work / "archive"}"\n'
                          f'rejected = "{work / "rejected"}"\ndemo = "{work / "demo"}"\nwarehouse = "{work / "w.duckdb"}"\n'
                          f'reports = "{work / "out"}"\n\n' + shipped[shipped.index("[ingest]"):], encoding="utf-8")
    return config


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="scale")
    parser.add_argument("--years", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--salespeople", type=int, default=60)
    parser.add_argument("--rows", type=int, default=80)
    parser.add_argument("--wide", type=int, default=300, help="salespeople in the wide night (0: leave it out)")
    args = parser.parse_args(argv)
    CACHE.mkdir(parents=True, exist_ok=True)
    last = DAYS_PER_YEAR * max(args.years)  # the night: the workday after the longest history
    results = {}
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        tmp = Path(tmp)
        files = night_files(tmp / "night", args.salespeople, args.rows, last, with_roster=False)
        following = night_files(tmp / "following", args.salespeople, args.rows, last + 1, with_roster=False)
        raw, raw_rows = timed_raw_read(files)
        started = python_start()
        for years in args.years:
            base, built = history(years, args.salespeople, args.rows)
            first = night(base, files, tmp / f"n{years}a")
            then = night(None, following, tmp / f"n{years}a")  # the next evening onto the same warehouse
            second = night(base, files, tmp / f"n{years}b")
            # the reports of the history's own last workday: a full day, week and month on either warehouse (the
            # night's date is two years after the one-year history ends: its month would hold one day)
            results[years] = {"built": built, "first": first, "second": second, "then": then,
                              "reports": reports(tmp / f"n{years}b", workdays(DAYS_PER_YEAR * years)[-1])}
        wide = None
        if args.wide:
            wide_files = night_files(tmp / "wide", args.wide, args.rows, DAYS_PER_YEAR, with_roster=True)
            wide_raw, wide_raw_rows = timed_raw_read(wide_files)
            base, _ = history(min(args.years), args.salespeople, args.rows)
            wide = {"files": len(wide_files), "rows": wide_raw_rows, "raw": wide_raw,
                    "night": night(base, wide_files, tmp / "wide-night")}
            # the same department's ordinary evening: its own history of WIDE_OWN_DAYS workdays, then the next day
            own_base, own_built = history(0, args.wide, args.rows, days=WIDE_OWN_DAYS)
            own_files = night_files(tmp / "wide-own", args.wide, args.rows, WIDE_OWN_DAYS, with_roster=False)
            own_raw, own_rows = timed_raw_read(own_files)
            wide["own"] = {"files": len(own_files), "rows": own_rows, "raw": own_raw, "built": own_built,
                           "night": min(night(own_base, own_files, tmp / f"wide-own-{k}") for k in range(2))}
    text = table(results, len(files), raw_rows, raw, started, wide)
    append_result(text)
    return {"results": results, "raw": raw, "start": started, "wide": wide}


def table(results: dict, files: int, raw_rows: int, raw: float, started: float, wide: dict | None) -> str:
    years = sorted(results)
    lo, hi = years[0], years[-1]
    lines = [f"### {dt.date.today()} — scale: the same night onto {' and '.join(f'{y} year' + 's' * (y > 1) for y in years)} "
             f"of history built through ingest", "", f"Machine: {machine()}", "",
             "Command: `.venv/bin/python -m bench.scale` (histories cached in bench/.cache/ by code hash).", "",
             "| step | " + " | ".join(f"{y} y" for y in years) + " |", "| --- |" + " ---: |" * len(years),
             "| history: accepted log rows | " + " | ".join(f"{results[y]['built']['activities']:,}" for y in years) + " |",
             "| rebuild, s (`salespipe ingest` of every workbook) | " + " | ".join(f"{results[y]['built']['seconds']:.1f}" for y in years) + " |",
             "| raw read of the same workbooks, s | " + " | ".join(f"{results[y]['built']['raw_s']:.1f}" for y in years) + " |",
             "| rebuild peak RSS, MB | " + " | ".join(f"{results[y]['built']['peak_rss_mb']:,.0f}" for y in years) + " |",
             f"| the night ({files} workbooks, {raw_rows:,} rows read), first after the rebuild, s | " + " | ".join(f"{results[y]['first']:.2f}" for y in years) + " |",
             "| the night again on a fresh copy, s | " + " | ".join(f"{results[y]['second']:.2f}" for y in years) + " |",
             "| the next evening (the following day's workbooks) onto the first night's warehouse, s | "
             + " | ".join(f"{results[y]['then']:.2f}" for y in years) + " |",
             *[f"| {kind} report of the history's last workday, in-process, best of 3, s | " + " | ".join(f"{results[y]['reports'][kind]:.2f}" for y in years) + " |"
               for kind in ("daily", "weekly", "monthly")]]
    def figure(y: int, key: str) -> str:  # a history cached by an earlier version of this script lacks it
        value = results[y]["built"].get(key)
        return "—" if value is None else f"{value:.1f}"
    lines += ["| our reading alone of the same workbooks, two processes, nothing loaded, s | "
              + " | ".join(figure(y, "reader_s") for y in years) + " |",
              "| rebuild CPU seconds, the command and its readers | " + " | ".join(figure(y, "cpu_s") for y in years) + " |"]
    if wide:
        own = wide["own"]
        lines.append(f"| {wide['files']}-workbook night ({wide['rows']:,} rows read; {own['files']} salespeople whose customers the "
                     f"{lo}-year warehouse has never seen) onto {lo} y, s | " + f"{wide['night']:.2f} |" + " — |" * (len(years) - 1))
        lines.append(f"| the same department's own evening: {own['files']} workbooks ({own['rows']:,} rows read) onto its "
                     f"{WIDE_OWN_DAYS} workdays ({own['built']['activities']:,} rows, {own['built']['customers']:,} customers), "
                     f"best of 2, s | " + f"{own['night']:.2f} |" + " — |" * (len(years) - 1))
    lines += ["", f"Raw read of the night's workbooks: {raw:.2f} s; interpreter start with the command line imported: "
              f"{started:.2f} s.", ""]
    night_hi = min(results[hi]["first"], results[hi]["second"])
    night_lo = min(results[lo]["first"], results[lo]["second"])
    built = results[lo]["built"]
    checks = [
        (f"night onto {hi} y ≤ 1.2 × onto {lo} y", night_hi / night_lo, 1.2),
        *[(f"{kind} report on {hi} y ≤ 1.2 × on {lo} y", results[hi]["reports"][kind] / results[lo]["reports"][kind], 1.2)
          for kind in ("daily", "weekly", "monthly")],
        ("night ≤ 8 × (raw read + interpreter start)", night_hi / (raw + started), 8),
        (f"rebuild of {lo} y ≤ 2.5 × its raw read", built["seconds"] / built["raw_s"], 2.5),
        (f"rebuild peak RSS ≤ 1,500 MB", built["peak_rss_mb"] / 1500, 1.0),
    ]
    if wide:
        checks.append((f"{wide['files']}-workbook night onto {lo} y ≤ 10 × its raw read ({wide['raw']:.2f} s)",
                       wide["night"] / wide["raw"], 10))
        checks.append((f"the department's own {wide['own']['files']}-workbook evening ≤ 10 × its raw read "
                       f"({wide['own']['raw']:.2f} s)", wide["own"]["night"] / wide["own"]["raw"], 10))
    lines += ["| target | measured ratio | met |", "| --- | ---: | --- |"]
    lines += [f"| {name} | {ratio:.2f} | {'yes' if ratio <= limit else 'no'} |" for name, ratio, limit in checks]
    if built.get("reader_s") and built.get("cpu_s"):
        lines += ["", f"The rebuild's floors on this machine: our reading alone of {lo} y on two processes is "
                  f"{built['reader_s'] / built['raw_s']:.2f} × its raw read before anything is loaded; the rebuild's "
                  f"{built['cpu_s']:.0f} CPU seconds on two cores are {built['cpu_s'] / 2 / built['raw_s']:.2f} × it even "
                  f"if nothing ever waited."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
