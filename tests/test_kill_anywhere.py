"""Issue 17, the last point of "Done when": a run killed at any point, then run again, equals one run that was
never interrupted, table for table — in a chunked run, killed at several points.

Black box, no hooks in the code: `salespipe ingest --config …` runs as a process of its own, in a process group of its
own (its reader processes belong to it), and the whole group is killed with SIGKILL at a point this test sees from
outside, by polling the file system every millisecond (continuously once the checkpoint has begun):

- `copy`       as soon as `<warehouse>.building` exists (the warehouse is being copied, or was just copied);
- `load`       mid-load: the private copy's write-ahead log `.building.wal` has grown past its size when first seen.
               (A chunk's commit goes to the WAL; the `.building` file itself grows only at the final checkpoint.)
               Hit when the killed run had committed some but not all of tonight's files: the copy it left behind is
               opened (a copy of it, read-only, which replays the WAL) and its `ingested_files` counted;
- `checkpoint` `.building` has grown past the size of the warehouse it was copied from: the final checkpoint, the
               read-through and the rename are under way (hit when the published file is still the old one);
- `publish`    the published warehouse is another file (its inode or mtime changed), before the files have moved
               (hit when files are still in the inbox after the kill);
- `random`     after a random delay from 0.2 to 1.2 times the length of the uninterrupted run (eight seeds); where
               each landed is recorded.

Then `salespipe ingest` runs again, uninterrupted, and everything is compared with a reference project that got the
same inbox and the same warehouse and ran once, uninterrupted. Each scenario has its own copy of the inbox (same bytes,
same modification times), of the earlier warehouse, of the config and its own TMPDIR. A kill that landed elsewhere than
aimed (the run was too fast) is recorded and the property asserted all the same; the copy, load and checkpoint points
must be hit (asserted), the publish window is tried up to four times per test. The tally of every kill is printed by
the last test (`-rP` shows it).

The evening: a warehouse from an earlier evening (built in this process with a fixed clock, then copied byte for byte
into every project) and an inbox of 13 files read in chunks of 3 (five chunks, two reader processes): an updated
roster, 日志表 of 张三, 李四 and 赵六 over several days (50 rows each, with rejected rows), all of 王五's rows rejected
(he left), a correction of an earlier day inside the inbox (its original is in the chunk before), a correction of a day
the earlier evening loaded, an original older than the correction the earlier evening loaded, a BC sheet (with a
customer pair for review and a short name that merges), an orders sheet (with a rejected row) and a file that is no
workbook.

What is compared (`snapshot`): every table of `duckdb_tables()` and every view of `duckdb_views()`, rows as multisets;
`mart_receivables_overdue` (it reads the clock when queried) through its macro at a fixed date, and `smoothed_rates`
at a fixed date; the names and contents of the files in inbox/, archive/ and rejected/. The CLI has no fixed clock
(there is no `ingest --now`), so what depends on the run's clock is left out or normalised, and nothing else:
`LEFT_OUT`, `NORMALISED` below. `test_two_uninterrupted_runs_compare_equal` checks that this is enough.

Found by this module and fixed (KNOWN_BUG and TIE_BUG describe them; the tests now pass): a kill between the
publish and the moves left the re-run's `skipped` rows in ingested_files and the unreadable file without its
reason file; and a customer's latest details were not deterministic when its last day had a 日志表 row and a BC
row that differ."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import duckdb
import pytest

from conftest import LOG_HEADER, ROSTER, ROSTER_HEADER, Project, workbook

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")
CHUNK_FILES = 3
ROWS_PER_DAY = 50  # enough rows that a run takes a few seconds and every chunk's load can be caught
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

# ---------------------------------------------------------------- what the comparison leaves out, and why

LEFT_OUT = {  # (table or "*", column) -> why the column differs between two correct runs
    ("*", "run_id"): "a new id per run: the run's clock time and 6 random hex digits",
    ("customers", "created_run_id"): "the run id of the run that made the code (see run_id)",
    ("customer_match_review", "created_run_id"): "the run id of the run that proposed the pair (see run_id)",
    ("ingested_files", "ingested_at"): "the run's clock time",
    ("activities_superseded", "superseded_at"): "the clock time of the run that replaced the row",
    ("customer_aliases", "created_at"): "the run's clock time (or DuckDB's now())",
    ("customer_match_review", "created_at"): "the run's clock time",
    ("customer_match_decisions", "decided_at"): "the run's clock time",
    ("assignment_decisions", "recorded_at"): "the run's clock time",
    ("deliveries", "sent_at"): "the time the mail server answered",
    ("model_builds", "built_at"): "DuckDB's now() when the marts were rebuilt",
}
# Kept although it is a creation time: salespipe_meta.created_at is written when the warehouse is made, and the
# warehouse of every project here is a byte copy of the one made earlier with a fixed clock.
NORMALISED = {  # (table, column) -> what is replaced
    ("ingested_files", "path"): "the project's folder → <root> (each project lives in its own folder)",
    ("ingested_files", "archived_to"): "the project's folder → <root>, archive/<the run's date>/ → archive/<day>/",
    ("rejects", "received_on"): "the run's date (Asia/Shanghai) → <day>",
    ("rejects", "superseded_on"): "the date of the run that read the correction → <day> (a date of a run of this test)",
}
CLOCK_VIEWS = {  # views that read the clock when queried → the macro behind them at a fixed date
    "mart_receivables_overdue": "select * from receivables_overdue(date '2026-12-31')",
}
MACROS = {"smoothed_rates": "select * from smoothed_rates(date '2026-11-30')"}
# The archive's date folder is the run's date: archive/<day>/ in the folder listing as well.

# ---------------------------------------------------------------- the evening's workbooks

T = 1_790_000_000  # a modification time (2026-09-21); every file is saved relative to it
EARLIER_EVENING = dt.datetime(2026, 11, 13, 18, 0, tzinfo=SHANGHAI)
HEADER = [*LOG_HEADER, "推介业务"]
BC_HEADER = ["登记日期", "业务员", "客户名称", "联系人", "联系电话", "地址", "客户类别", "客户需求"]
ORDER_HEADER = ["签单日期", "业务员", "客户名称", "业务类型", "合同金额", "成本", "已回款", "约定回款日期"]
ZIHAO = ("格致 恒通 华信 瑞丰 博远 嘉禾 泰和 鼎盛 宏达 金桥 海川 星辰 东方 长城 明德 正元 同创 汇智 润泽 启航 "
         "远景 安信 德邦 和美 通达 卓越 兴业 永安 诚信 光华").split()
TRADE = ("企业管理咨询", "机械制造", "电子科技", "国际贸易", "物流")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
DISTRICTS = ("南开区复康路", "河西区友谊路", "和平区南京路", "河东区十一经路", "西青区中北镇")
METHODS = ("电话", "面访", "E-mail", "传真")
BUSINESS = ("管理咨询", "企业内训", "拓展培训", "认证", "公开课")
NOT_WORKBOOK = b"PK\x03\x04" + b"\x00" * 200  # a zip that is no workbook: rejected with its reason


def company(i: int) -> tuple[str, str, str, str]:
    """(name, contact, phone, address) of the i-th company: 30 字号 × 5 lines of business."""
    name = f"天津市{ZIHAO[i % 30]}{TRADE[i // 30 % 5]}有限公司"
    return name, f"{SURNAMES[i % 20]}经理", f"1380000{i % 150:04d}", f"天津市{DISTRICTS[i % 5]}{i % 97 + 1}号"


def log_day(person: str, day: dt.date, first: int, rows: int = ROWS_PER_DAY, stage: int = 1,
            bad: bool = True) -> list[list]:
    """A 日志表 of one day: `rows` contacts with companies first, first+3, … (every fifth of class A, which gets a
    跟单号), and with `bad` two rows that are rejected (a method nobody knows, no phone)."""
    lines = [HEADER]
    for k in range(rows):
        name, contact, phone, address = company(first + 3 * k)
        lines.append([day, person, name, contact, phone, address, "A" if k % 5 == 0 else "B", METHODS[k % 4],
                      str(stage + k % 3), "继续跟进", BUSINESS[k % 5]])
    if bad:
        name, contact, phone, address = company(first + 1)
        lines.append([day, person, name, contact, phone, address, "B", "飞鸽", "1", "继续跟进", "认证"])
        lines.append([day, person, name, contact, None, address, "B", "电话", "1", "继续跟进", "认证"])
    return lines


def earlier_evening(folder: Path) -> None:
    """What the earlier evening (2026-11-13) read: the roster, 李四's 13th (corrected tonight) and a correction of
    张三's 12th (whose older original arrives tonight)."""
    workbook(folder / "业务员名册.xlsx", [ROSTER_HEADER, *ROSTER], mtime=T)
    workbook(folder / "日志表_李四_20261113.xlsx", log_day("李四", dt.date(2026, 11, 13), 1, 20), mtime=T + 100)
    workbook(folder / "日志表_张三_20261112_更正.xlsx", log_day("张三", dt.date(2026, 11, 12), 2, 20, stage=2, bad=False),
             mtime=T + 200)


def tonight(folder: Path) -> None:
    """Tonight's inbox, 13 files. The run's file order is the roster, then by modification time, so the chunks of 3
    are: roster, stale original, 李四's correction | 16th × 3 | 王五, 17th × 2 | no workbook, BC, 张三's correction
    of the 17th | orders."""
    saved = iter(range(T + 1000, T + 3000, 60))

    def put(name: str, rows: list[list], mtime: float | None = None) -> None:
        workbook(folder / name, rows, mtime=mtime if mtime is not None else next(saved))

    d12, d13, d16, d17 = (dt.date(2026, 11, d) for d in (12, 13, 16, 17))
    put("业务员名册.xlsx", [ROSTER_HEADER, *ROSTER,
                           ["S004", "赵六", "KAE", "在职", dt.date(2026, 11, 1), None, "企业内训", "zhaoliu@example.com"]])
    put("日志表_张三_20261112.xlsx", log_day("张三", d12, 2, 20), mtime=T + 150)  # older than the earlier correction
    put("日志表_李四_20261113_更正.xlsx", log_day("李四", d13, 1, 20, stage=3, bad=False))
    put("日志表_张三_20261116.xlsx", log_day("张三", d16, 0))
    put("日志表_李四_20261116.xlsx", log_day("李四", d16, 1))
    put("日志表_赵六_20261116.xlsx", log_day("赵六", d16, 2))
    put("日志表_王五_20261116.xlsx", log_day("王五", d16, 30, 5, bad=False))  # left on the 15th: every row rejected
    put("日志表_张三_20261117.xlsx", log_day("张三", d17, 4))
    put("日志表_李四_20261117.xlsx", log_day("李四", d17, 5))
    bad = folder / "坏文件.xlsx"
    bad.write_bytes(NOT_WORKBOOK)
    os.utime(bad, (stamp := next(saved), stamp))
    put("BC类客户登记表_李四.xlsx", [BC_HEADER, *(
        [d17, "李四", f"天津{z}培训服务有限公司", "钱经理", f"1390000{n:04d}", "天津市河西区友谊路5号", "C", "公开课"]
        for n, z in enumerate(ZIHAO[:8])),
        # 格致's short name with another phone and the same contact: a pair for a person to decide (its own code)
        [d17, "李四", "天津格致咨询", "王经理", "13900009999", "天津市南开区复康路12号", "B", "管理咨询"],
        # 华信电子科技 (company 62) shortened, with its phone: the same customer, another spelling. (李四's 17th has a
        # row of it too: with another class or contact on the same day the customer's details would depend on the
        # run, see test_a_customers_latest_details_are_the_same_in_every_run)
        [d17, "李四", "天津华信电子", "张经理", "13800000062", None, "B", "公开课"]])
    put("日志表_张三_20261117_更正.xlsx", log_day("张三", d17, 4, stage=2, bad=False))
    put("销售业绩登记表_11月.xlsx", [ORDER_HEADER,
        [d17, "张三", company(4)[0], "企业内训", 12800, 4000, 5000, "2026-12-10"],
        [d17, "李四", company(5)[0], "管理咨询", 30000, None, 0, "2026-11-20"],
        [d17, "李四", "天津不存在的有限公司", "认证", 1000, None, None, None]])  # not a customer: rejected


# ---------------------------------------------------------------- projects and runs


def command() -> list[str]:
    script = Path(sys.executable).with_name("salespipe")
    return [str(script)] if script.exists() else [sys.executable, "-m", "salespipe"]


class Scenario:
    """A project of its own: the config with chunks of CHUNK_FILES, the earlier evening's warehouse (a byte copy),
    tonight's inbox (copies with the same modification times) and its own TMPDIR."""

    def __init__(self, root: Path, evening: "Evening"):
        self.root = root
        self.project = Project(root)
        config = root / "config" / "salespipe.toml"
        text = config.read_text(encoding="utf-8")
        assert "chunk_files = 1000" in text
        config.write_text(text.replace("chunk_files = 1000", f"chunk_files = {CHUNK_FILES}"), encoding="utf-8")
        self.config = config
        self.warehouse = root / "wh" / "salespipe.duckdb"
        self.building = self.warehouse.with_name(self.warehouse.name + ".building")
        self.wal = self.building.with_name(self.building.name + ".wal")
        self.warehouse.parent.mkdir(parents=True)
        shutil.copy2(evening.warehouse, self.warehouse)
        self.files = sorted(p.name for p in evening.source.iterdir())
        for name in self.files:
            shutil.copy2(evening.source / name, self.project.inbox / name)
        self.tmp = root / "tmp"
        self.tmp.mkdir()

    def start(self) -> subprocess.Popen:
        return subprocess.Popen([*command(), "ingest", "--config", str(self.config)], cwd=ROOT,
                                env={**os.environ, "TMPDIR": str(self.tmp)}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)

    def ingest(self) -> float:
        """One uninterrupted run; its length in seconds."""
        began = time.monotonic()
        run = self.start()
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, (out + err).decode(errors="replace")[-4000:]
        assert not list(self.tmp.glob("salespipe-chunks-*")), "the run left its temporary folder"
        return time.monotonic() - began


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


@dataclass
class Seen:
    """What the poller has seen of a running ingest."""
    base_size: int  # the published warehouse before the run (the private copy starts as a copy of it)
    published: tuple[int, int] | None  # its identity before the run
    building: int | None = None  # size of <warehouse>.building now
    wal: int | None = None  # size of <warehouse>.building.wal now
    first_wal: int | None = None  # … when the WAL was first seen
    now_published: tuple[int, int] | None = None

    @property
    def has_published(self) -> bool:
        return self.now_published != self.published


POINTS: dict[str, Callable[[Seen], bool]] = {
    "copy": lambda s: s.building is not None,
    "load": lambda s: s.wal is not None and s.first_wal is not None and s.wal > s.first_wal,
    "checkpoint": lambda s: s.building is not None and s.building > s.base_size,
    "publish": lambda s: s.has_published,
}


@dataclass
class Kill:
    point: str
    phase: str  # where the run was when it died (see `_phase`)
    hit: bool  # the kill landed at the point it aimed for
    inbox_left: list[str]  # the files still in the inbox after the kill
    committed: int | None  # files of tonight recorded in the private copy at the kill (None: no readable copy)
    seconds: float


TALLY: list[Kill] = []


def kill_at(scenario: Scenario, point: str, delay: float | None = None, timeout: float = 600) -> Kill:
    """Start the run and SIGKILL its process group when POINTS[point] holds (or after `delay` seconds)."""
    seen = Seen(base_size=scenario.warehouse.stat().st_size, published=_identity(scenario.warehouse))
    aim = POINTS.get(point)
    began = time.monotonic()
    run = scenario.start()
    killed_state = None
    while True:
        seen.building, seen.wal = _size(scenario.building), _size(scenario.wal)
        if seen.wal is not None and seen.first_wal is None:
            seen.first_wal = seen.wal
        seen.now_published = _identity(scenario.warehouse)
        due = (time.monotonic() - began >= delay) if delay is not None else aim(seen)
        if run.poll() is not None:
            break  # it ended before the point came
        if due:
            try:
                os.killpg(run.pid, signal.SIGKILL)
            except ProcessLookupError:
                break  # it ended just now
            killed_state = Seen(**{**seen.__dict__})
            break
        if time.monotonic() - began > timeout:
            os.killpg(run.pid, signal.SIGKILL)
            raise AssertionError(f"the run did not reach {point} in {timeout} s")
        # once the checkpoint has begun, poll as fast as possible: the publish and the moves follow within ms
        if not (seen.building is not None and seen.building > seen.base_size):
            time.sleep(0.001)
    out, err = run.communicate(timeout=120)
    seconds = time.monotonic() - began
    _gone(run.pid)
    left = sorted(os.listdir(scenario.project.inbox))
    committed = _committed(scenario)
    if killed_state is None or run.returncode == 0:  # (it may end between the last look and the signal)
        assert run.returncode == 0, (out + err).decode(errors="replace")[-4000:]
        kill = Kill(point, "finished", False, left, committed, seconds)
    else:
        assert run.returncode == -signal.SIGKILL, (run.returncode, (out + err).decode(errors="replace")[-4000:])
        phase = _phase(killed_state, _identity(scenario.warehouse) != seen.published, left)
        hit = {"copy": phase in ("copying", "loading"),
               "load": phase == "loading" and committed is not None and 0 < committed < len(scenario.files),
               "checkpoint": phase == "checkpoint", "publish": phase == "moving"}.get(point, True)
        kill = Kill(point, phase, hit, left, committed, seconds)
    TALLY.append(kill)
    return kill


def _gone(group: int, wait: float = 30) -> None:
    """Every process of the run's group (the run and its reader processes) has ended."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"processes of the killed run's group {group} are still running")


def _phase(seen: Seen, published: bool, left: list[str]) -> str:
    """Where the run was when it was killed: before it made its private copy (starting), while copying the warehouse
    (copying), loading chunks (loading), checkpointing, reading through and renaming (checkpoint), after the publish
    with files still in the inbox (moving), or after all the moves (done)."""
    if published:
        return "moving" if left else "done"
    if seen.building is None:
        return "starting"
    if seen.building < seen.base_size:
        return "copying"
    if seen.building > seen.base_size:
        return "checkpoint"
    return "loading"


def _committed(scenario: Scenario) -> int | None:
    """How many of tonight's files the killed run had committed to its private copy: the copy left behind (with its
    WAL, which a read-only open replays) opened from a copy of its own. None when there is none or it is unreadable
    (killed while the warehouse was being copied)."""
    if not scenario.building.exists():
        return None
    look = scenario.root / "left-behind"
    look.mkdir(exist_ok=True)
    shutil.copyfile(scenario.building, look / "copy.duckdb")
    if scenario.wal.exists():
        shutil.copyfile(scenario.wal, look / "copy.duckdb.wal")
    try:
        con = duckdb.connect(str(look / "copy.duckdb"), read_only=True, config=NO_EXTENSIONS)
        try:
            return con.execute("select count(*) from ingested_files where ingested_at > ?",
                               [EARLIER_EVENING]).fetchall()[0][0]
        finally:
            con.close()
    except duckdb.Error:
        return None
    finally:
        shutil.rmtree(look)


# ---------------------------------------------------------------- the comparison


def _run_days(since: dt.datetime) -> set[dt.date]:
    """Every date (Asia/Shanghai) from `since` until now: the dates the runs of this test can stamp."""
    first, last = since.astimezone(SHANGHAI).date(), dt.datetime.now(SHANGHAI).date()
    return {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}


def _value(value, table: str, column: str, root: Path, days: set[dt.date]):
    """A value as compared: NORMALISED columns with the project's folder and the run's date replaced, floats by
    their repr (NaN equals NaN), lists and structs as tuples."""
    if (table, column) in NORMALISED:
        if isinstance(value, str):
            value = value.replace(str(root), "<root>")
            for day in days:
                value = value.replace(f"/archive/{day.isoformat()}/", "/archive/<day>/")
        elif isinstance(value, dt.date) and value in days:
            value = "<day>"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return tuple(_value(v, table, column, root, days) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, repr(_value(v, table, column, root, days))) for k, v in value.items()))
    return value


Rows = tuple[tuple[str, ...], Counter]  # column names, and the rows (tuples) as a multiset


def _rows(con, name: str, sql: str, root: Path, days: set[dt.date]) -> Rows:
    cursor = con.execute(sql)
    columns = tuple(d[0] for d in cursor.description)
    return columns, Counter(tuple(_value(v, name, c, root, days) for c, v in zip(columns, row))
                            for row in cursor.fetchall())


def snapshot(scenario: Scenario, since: dt.datetime) -> dict[str, Rows]:
    """Everything a run leaves that two correct runs must agree on: tables, views, folders."""
    days, root = _run_days(since), scenario.root
    found = {}
    con = duckdb.connect(str(scenario.warehouse), read_only=True, config=NO_EXTENSIONS)
    try:
        for (table,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall():
            columns = [c for (c,) in con.execute("select column_name from duckdb_columns() where table_name = ? "
                                                 "order by column_index", [table]).fetchall()
                       if ("*", c) not in LEFT_OUT and (table, c) not in LEFT_OUT]
            found[f"table {table}"] = _rows(con, table, f'select {", ".join(columns)} from "{table}"', root, days)
        for (view,) in con.execute("select view_name from duckdb_views() where not internal order by 1").fetchall():
            found[f"view {view}"] = _rows(con, view, CLOCK_VIEWS.get(view, f'select * from "{view}"'), root, days)
        for macro, sql in MACROS.items():
            found[f"macro {macro}"] = _rows(con, macro, sql, root, days)
    finally:
        con.close()
    for folder in ("inbox", "archive", "rejected"):
        base, files = root / folder, Counter()
        for path in sorted(base.rglob("*")) if base.exists() else []:
            if path.is_file():
                parts = list(path.relative_to(base).parts)
                if folder == "archive" and parts[0] in {d.isoformat() for d in days}:
                    parts[0] = "<day>"  # archive/<the run's date>/
                files["/".join(parts), hashlib.sha256(path.read_bytes()).hexdigest()[:16]] += 1
        found[f"folder {folder}/"] = (("file", "sha256"), files)
    return found


def differences(expected: dict[str, Rows], actual: dict[str, Rows]) -> dict[str, tuple[Counter, Counter]]:
    """Per table, view or folder that differs: (rows only in the reference, rows only in the other)."""
    found = {}
    for name in sorted(set(expected) | set(actual)):
        (cols_e, rows_e), (cols_a, rows_a) = expected.get(name, ((), Counter())), actual.get(name, ((), Counter()))
        if cols_e != cols_a:
            found[name] = (Counter({("columns",) + cols_e: 1}), Counter({("columns",) + cols_a: 1}))
        elif rows_e != rows_a:
            found[name] = (rows_e - rows_a, rows_a - rows_e)
    return found


def shown(diff: dict[str, tuple[Counter, Counter]], expected: dict[str, Rows], limit: int = 15) -> str:
    lines = []
    for name, (missing, extra) in diff.items():
        lines.append(f"{name} {expected.get(name, ((),))[0]}: {sum(missing.values())} row(s) only in the reference, "
                     f"{sum(extra.values())} only after the kill and the re-run")
        lines += [f"  - {row!r}" + (f" ×{n}" if n > 1 else "") for row, n in list(missing.items())[:limit]]
        lines += [f"  + {row!r}" + (f" ×{n}" if n > 1 else "") for row, n in list(extra.items())[:limit]]
    return "\n".join(lines)


# ---------------------------------------------------------------- the known bug

KNOWN_BUG = (
    "A run killed after its publish, before it moved the inbox files (pipeline._ingest: the moves come after "
    "`publishing` and the reader shutdown), then run again, is not one uninterrupted run: "
    "(1) ingested_files gets a second row for every file the killed run left in the inbox, status 'skipped' "
    "('内容与已读取的文件相同，已跳过', for the unreadable file '与之前退回的文件内容相同，已跳过（原因：…）'); "
    "(2) the unreadable file is moved to rejected/ without its <name>.reason.txt: _move_files writes the reason "
    "file only for status 'rejected', and the re-run's status for it is 'skipped'.")


class LeftoverFilesCountedAgain(AssertionError):
    """The difference KNOWN_BUG describes, and nothing else."""


def _is_known_bug(diff: dict[str, tuple[Counter, Counter]], kill: Kill, reference: dict[str, Rows]) -> bool:
    """The differences are exactly KNOWN_BUG's for the files this kill left in the inbox."""
    if kill.phase != "moving" or not diff or not set(diff) <= {"table ingested_files", "folder rejected/"}:
        return False
    columns = reference["table ingested_files"][0]
    missing, extra = diff.get("table ingested_files", (Counter(), Counter()))
    again = sorted(dict(zip(columns, row))["file_name"] for row in extra.elements()
                   if dict(zip(columns, row))["status"] == "skipped"
                   and dict(zip(columns, row))["path"] == f"<root>/inbox/{dict(zip(columns, row))['file_name']}")
    if missing or again != kill.inbox_left or sum(extra.values()) != len(again):
        return False
    lost, more = diff.get("folder rejected/", (Counter(), Counter()))
    return not more and [name for name, _ in lost.elements()] == (
        ["坏文件.xlsx.reason.txt"] if "坏文件.xlsx" in kill.inbox_left and "folder rejected/" in diff else [])


# ---------------------------------------------------------------- the evening and the reference


@dataclass
class Evening:
    folder: Path
    source: Path  # tonight's inbox, the original of every copy
    warehouse: Path  # the earlier evening's warehouse, the original of every copy
    began: dt.datetime
    reference: dict
    seconds: float  # how long the uninterrupted run took


@pytest.fixture(scope="module")
def evening(tmp_path_factory) -> Evening:
    folder = tmp_path_factory.mktemp("kill_anywhere")
    began = dt.datetime.now(SHANGHAI)
    earlier = Project(folder / "earlier")
    earlier_evening(earlier.inbox)
    summary = earlier.ingest(now=EARLIER_EVENING)
    assert summary.files == {"ingested": 3} and summary.rows_rejected == 2
    source = folder / "source"
    tonight(source)
    assert len(list(source.iterdir())) == 13
    evening = Evening(folder, source, earlier.config.warehouse, began, {}, 0.0)
    reference = Scenario(folder / "reference", evening)
    evening.seconds = reference.ingest()
    evening.reference = snapshot(reference, began)
    _check_the_reference(reference)
    return evening


def _check_the_reference(reference: Scenario) -> None:
    """The reference run did what the evening is made for (else the comparison would prove little)."""
    q = reference.project.query
    tonight_files = "select status, count(*) from ingested_files where ingested_at > ? group by all order by 1"
    assert q(tonight_files, [EARLIER_EVENING]) == [("ingested", 10), ("rejected", 1), ("superseded", 2)]
    # 李四's 13th (corrected tonight), 张三's stale 12th, 张三's 17th (corrected in a later chunk)
    assert q("select count(*) from activities_superseded")[0][0] == 20 + 20 + ROWS_PER_DAY
    assert q("select count(*) from rejects where superseded_by is null and row_number is not null")[0][0] > 10
    assert q("select count(*) from bc_registrations")[0][0] == 10 and q("select count(*) from orders")[0][0] == 2
    assert q("select left_name, right_name from customer_match_review") == [(company(0)[0], "天津格致咨询")]
    assert q("select count(distinct customer_code) from bc_registrations where customer_name like '%华信电子%'") == [(1,)]
    assert q("select count(*) from followups")[0][0] > 10
    assert sorted(p.name for p in (reference.root / "rejected").iterdir()) == ["坏文件.xlsx", "坏文件.xlsx.reason.txt"]
    assert not any(reference.project.inbox.iterdir())


def killed_then_rerun(evening: Evening, tmp_path: Path, point: str, delay: float | None = None) -> Kill:
    """Kill a run of a fresh copy at `point`, run again, and compare everything with the reference. Raises
    LeftoverFilesCountedAgain when the difference is exactly KNOWN_BUG's, AssertionError for any other."""
    scenario = Scenario(tmp_path / "project", evening)
    kill = kill_at(scenario, point, delay)
    scenario.ingest()  # (it also checks that the killed run's temporary folder went)
    print(f"{point}{'' if delay is None else f' after {delay:.2f} s'}: killed while {kill.phase} "
          f"({'hit' if kill.hit else 'MISSED'}), {kill.committed} of tonight's files committed to the private copy, "
          f"{len(kill.inbox_left)} left in the inbox")
    diff = differences(evening.reference, snapshot(scenario, evening.began))
    if diff:
        text = (f"killed while {kill.phase} ({len(kill.inbox_left)} inbox files left: {kill.inbox_left}), then "
                f"run again: not the same as one uninterrupted run\n{shown(diff, evening.reference)}")
        raise (LeftoverFilesCountedAgain if _is_known_bug(diff, kill, evening.reference) else AssertionError)(text)
    return kill


# ---------------------------------------------------------------- the tests


def test_two_uninterrupted_runs_compare_equal(evening, tmp_path):
    """The comparison itself: a second uninterrupted run of the same evening equals the reference (so what is left
    out is enough, and a difference below comes from the kill)."""
    scenario = Scenario(tmp_path / "project", evening)
    scenario.ingest()
    diff = differences(evening.reference, snapshot(scenario, evening.began))
    assert not diff, shown(diff, evening.reference)


TIE_BUG = (
    "load._refresh_customers picks a customer's latest contact, phone, address, industry and customer_class with "
    "arg_max(value, date) over `activities union all bc_registrations`, without a tie-break: when the customer's last "
    "day has a 日志表 row and a BC row that differ, which one wins changes from run to run (same files, same clock; "
    "seen 8 × (B, 张经理) and 4 × (C, 钱经理) in 12 fresh ingests), so two uninterrupted runs are not equal table for "
    "table (customers, and mart_customers with it).")


def test_a_customers_latest_details_are_the_same_in_every_run(tmp_path):
    """What the property presupposes: the same inbox gives the same warehouse. 李四 calls 华信 (class B, 张经理) and
    registers it in his BC sheet the same day (class C, 钱经理); fresh projects, the same files, a fixed clock, until
    two runs disagree (at most 30)."""
    day = dt.date(2026, 11, 17)
    seen = Counter()
    for n in range(30):
        project = Project(tmp_path / f"p{n}")
        project.add("业务员名册.xlsx", [ROSTER_HEADER, *ROSTER])
        name, _, phone, address = company(62)
        project.add("日志表_李四_20261117.xlsx", [HEADER, [day, "李四", name, "张经理", phone, address, "B", "电话", "1",
                                                          "继续跟进", "认证"]])
        project.add("BC类客户登记表_李四.xlsx", [BC_HEADER, [day, "李四", "天津华信电子", "钱经理", phone, None, "C", "公开课"]])
        project.ingest(now=dt.datetime(2026, 11, 17, 18, 0))
        seen[project.query("select customer_class, contact from customers")[0]] += 1
        if len(seen) > 1:
            break
    assert len(seen) == 1, f"the same files, {sum(seen.values())} runs: {dict(seen)}"


def aimed(evening: Evening, tmp_path: Path, point: str, tries: int) -> Kill:
    """Up to `tries` kills at `point`, each of a fresh copy, until one lands there; each one's re-run must equal the
    reference wherever it landed. The last kill."""
    for n in range(tries):
        kill = killed_then_rerun(evening, tmp_path / f"try{n}", point)
        if kill.hit:
            break
    return kill


@pytest.mark.parametrize("attempt", [1, 2])
@pytest.mark.parametrize("point", ["copy", "load", "checkpoint"], ids=[
    "as_soon_as_the_private_copy_exists", "mid_load_after_a_chunk_was_committed",
    "while_the_private_copy_is_checkpointed_and_published"])
def test_killed_at_a_point_of_the_run(evening, tmp_path, attempt, point):
    kill = aimed(evening, tmp_path, point, 3)
    assert kill.hit, kill


@pytest.mark.parametrize("attempt", [1, 2])
def test_killed_after_the_publish_before_the_files_moved(evening, tmp_path, attempt):
    """The window is a few milliseconds (the reader processes are stopped, then the files move): up to four tries
    to land in it. Every try's re-run is compared with the reference wherever the kill landed (in `aimed`); the
    state of this window is also built without timing in the next test, so it is checked in every session."""
    aimed(evening, tmp_path, "publish", 4)


def test_a_run_stopped_between_its_publish_and_its_moves_then_run_again(evening, tmp_path):
    """The window after the publish, built without a kill: a run publishes, then its moves are undone — the inbox
    holds tonight's files again (same bytes, same times) and archive/ and rejected/ are empty, as when a kill lands
    there. The next run finishes the moves (the unreadable file's reason file too) and records nothing twice."""
    scenario = Scenario(tmp_path / "project", evening)
    scenario.ingest()
    for folder in ("archive", "rejected"):
        shutil.rmtree(scenario.root / folder)
    for name in scenario.files:
        shutil.copy2(evening.source / name, scenario.project.inbox / name)
    scenario.ingest()
    diff = differences(evening.reference, snapshot(scenario, evening.began))
    assert not diff, shown(diff, evening.reference)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_killed_after_a_random_delay(evening, tmp_path, seed):
    """Anywhere from the start to a little past the length of an uninterrupted run."""
    delay = random.Random(seed).uniform(0.2, 1.2) * evening.seconds
    killed_then_rerun(evening, tmp_path, "random", delay)


def test_the_kill_points_were_hit():
    """The tally of this module's kills, with where each landed (shown with -rP). The copy, load and checkpoint
    points are asserted to be hit by their own tests; here: the publish window was hit at least once, when tried."""
    print("\n".join(f"{k.point:<10} {'hit ' if k.hit else 'MISS'} while {k.phase:<10} committed {k.committed}, "
                    f"inbox left {len(k.inbox_left):>2}, {k.seconds:5.2f} s" for k in TALLY))
    by_point = Counter((k.point, k.hit) for k in TALLY)
    print({f"{p} {'hit' if h else 'missed'}": n for (p, h), n in sorted(by_point.items())})
    print("random kills landed while", dict(Counter(k.phase for k in TALLY if k.point == "random")))
    for point in ("copy", "load", "checkpoint"):
        assert by_point[point, False] == 0, point
    if any(k.point == "publish" for k in TALLY):
        assert by_point["publish", True] >= 1
