"""A year of a team's day-workbooks, seeded, written once and reused.

    paths = make_year(salespeople=60, days=250, rows=80)   # ≈ 1.2 M log rows in ≈ 15 k workbooks

Each salesperson works `rows × 2` customers all year (so customers are revisited, under the spelling
variants the demo generator makes: 有限公司 / 有限责任公司 / short names, phones typed many ways), in the
demo's hand-made layouts (titles, two-row headers, merged dates, .xls files, 合计 rows). About 3 % of
the rows carry a mistake people make (no phone, 微信 as the method, stage 9, 签单 at stage 3), and one
salesperson leaves in the middle of the year while still handing in sheets (their later rows are
rejected: not 在职). Each file's modification time is its day at 18:00, as in an archive.

Files go to bench/.cache/year-<salespeople>p-<days>d-<rows>r-s<seed>/ (two processes write them; the
folder is complete when it holds `.complete`).
"""
from __future__ import annotations

import datetime as dt
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from salespipe.demo import DemoMonth, _roster, write_log

ROOT = Path(__file__).resolve().parents[1]
START = dt.date(2026, 1, 5)  # a Monday


def workdays(count: int, start: dt.date = START) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _generator(salespeople: int, days: int, rows: int, seed: int) -> DemoMonth:
    gen = DemoMonth(seed, START, salespeople, rows_per_day=(int(rows * 0.8), int(rows * 1.2)))
    for person in gen.people:
        person.customers = [gen._customer() for _ in range(rows * 2)]
    gen.days = workdays(days)
    for person in gen.people:
        person.left = None
    gen.people[-3].left = gen.days[len(gen.days) // 2]
    return gen


def _write_days(folder: Path, salespeople: int, days: int, rows: int, seed: int, indexes: list[int]) -> int:
    gen = _generator(salespeople, days, rows, seed)
    written = 0
    for i in indexes:
        day = gen.days[i]
        gen.rng.seed(seed * 1_000_003 + i)  # the same day comes out the same whichever process writes it
        stamp = time.mktime(dt.datetime.combine(day, dt.time(18, 0)).timetuple())
        for person in gen.people:
            path = write_log(gen, person, day, gen.day_rows(person, day), folder)
            os.utime(path, (stamp, stamp))
            written += 1
    return written


def make_year(salespeople: int = 60, days: int = 250, rows: int = 80, seed: int = 1,
              folder: Path | None = None) -> list[Path]:
    """The year's workbooks (the roster first), generating them if the cache does not hold them."""
    folder = folder or ROOT / "bench" / ".cache" / f"year-{salespeople}p-{days}d-{rows}r-s{seed}"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        gen = _generator(salespeople, days, rows, seed)
        roster = _roster(gen, folder)
        first = time.mktime(dt.datetime.combine(START - dt.timedelta(days=3), dt.time(9, 0)).timetuple())
        os.utime(roster, (first, first))
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            parts = [list(range(k, days, 8)) for k in range(8)]
            sum(pool.map(_write_days, *zip(*[(folder, salespeople, days, rows, seed, p) for p in parts])))
        (folder / ".complete").write_text("generated\n")
    return sorted((p for p in folder.iterdir() if p.suffix in (".xlsx", ".xls")), key=lambda p: p.stat().st_mtime)
