"""Opening the DuckDB warehouse file, and writing it safely while analysts read it.

A run never writes the published file in place: it takes the run lock (`<warehouse>.lock`), copies
the warehouse to `<warehouse>.building`, writes there, and on success renames it over the published
file in one atomic step. Analysts' open read-only connections keep reading the previous file (and never
block the run); a run that fails leaves the published file exactly as it was.

The file is written in DuckDB's storage format `STORAGE_VERSION` (config [runs] storage_version), not
the newest one of the library: DuckDB 2.0's own format opens in no 1.x client (the pip duckdb-cli 1.5.6,
DBeaver's driver), v1.4.0 opens in 1.4, 1.5 and 2.0. A published file in another format is converted
once, by the next run, with COPY FROM DATABASE (tables, views, macros and comments).

Only salespipe's own warehouse is written. A file that is not DuckDB at all (SQLite, text, a workbook) is refused
by its first bytes, before DuckDB sees it; a DuckDB file with tables but without the marker table
`salespipe_meta` (schema.py) is another program's and is refused too — unless it has our ledger tables, then it is
a warehouse from before the marker and gets it. Every connection salespipe opens has extension auto-install and
auto-load off, so no file makes DuckDB download or load anything. Before a run publishes its copy, every block of
every table is read once (`read_through`), so a block that fails its checksum refuses the publish.
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path

import duckdb
import numpy as np

from salespipe.errors import NotOurWarehouse, SalespipeError, WarehouseBusy, WarehouseDamaged
from salespipe.schema import MARKER, PRODUCT, SCHEMA_VERSION, TABLES, create_tables


STORAGE_VERSION = "v1.4.0"  # the oldest format DuckDB 1.4+ reads that holds everything our SQL needs

# In every connection salespipe opens: a file DuckDB does not know (a SQLite file) or a query must never make it
# download or load an extension. DuckDB 2.0's names; with both off it fails at once, offline, and creates no
# ~/.duckdb/extensions.
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
PRE_MARKER_TABLES = {"ingested_files", "activities"}  # a warehouse of ours from before the marker has these


def connect(path: Path, read_only: bool = False, storage_version: str = STORAGE_VERSION) -> duckdb.DuckDBPyConnection:
    """A connection with every table present and the marker row written; a file it creates is in
    `storage_version`'s format. A second writer fails at once with WarehouseBusy; a file that is not one of
    our warehouses with NotOurWarehouse, one that DuckDB finds corrupt with WarehouseDamaged."""
    path = Path(path)
    if read_only and not path.exists():
        raise SalespipeError(f"数据仓库还不存在：{path}（请先运行 salespipe ingest）", f"no warehouse at {path}: run ingest first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_non_duckdb(path, path)
    config = NO_EXTENSIONS if read_only else {**NO_EXTENSIONS, "storage_compatibility_version": storage_version}
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy("数据仓库正被另一个运行写入，请稍后再试", f"warehouse is locked: {exc}") from None
        raise _unopenable(path, exc) from exc
    try:
        _refuse_foreign(con, scalar(con, "select current_database()"), path, writing=not read_only)
        if not read_only:
            create_tables(con)
            _mark(con)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def publishing(path: Path, wait_seconds: float = 600, storage_version: str = STORAGE_VERSION):
    """Yield the private copy to write (in `storage_version`'s format); publish it atomically when the block
    ends without error and every table of the copy reads through. A file that is not our warehouse is refused
    before anything is written (NotOurWarehouse); a block failing its checksum, in the copy or already in the
    published file, refuses the publish (WarehouseDamaged, saying which of the two)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        _acquire(lock, wait_seconds)
        building = path.with_name(path.name + ".building")
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
        try:
            if path.exists():
                _refuse_non_duckdb(path, path)
                shutil.copyfile(path, building)
                _refuse_foreign_file(building, path)
                _convert(building, storage_version)
            yield building
            read_through(building)
            os.replace(building, path)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        except BaseException as exc:
            building.unlink(missing_ok=True)
            building.with_name(building.name + ".wal").unlink(missing_ok=True)
            corrupt = _corruption(exc)
            if corrupt is not None:
                raise _damaged(path, building, corrupt) from exc
            raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_through(path: Path) -> None:
    """Read every block of every table of the file once, so that DuckDB checks each block's checksum; a block
    that fails raises duckdb.Error ("Corrupt database file: computed checksum … does not match …").

    `min(hash(c))` of every column of every table, in a fresh read-only attach (nothing cached): it needs every
    value, so every segment's block is loaded and checked. Cheaper statements miss blocks: `count(*)` reads no
    data block, `count(c)` skips the columns whose statistics say they have no NULLs. Tried on a copy of
    bench/marts_bench.py's year (`fill(con, 60, 250, 80)`: 1.2 M log rows, 40 blocks of 256 KiB) with 4 KiB of
    random bytes in the middle of each block in turn: this statement found all 40, `count(c)` 18, `count(*)` none.
    (Not random bytes but a pattern whose 8-byte words each come an even number of times, written over zeros,
    leaves DuckDB's XOR checksum unchanged: no read finds that.)

    Cost on that year (a 10 MiB file), 11 calls on a 2-core machine that other work kept at a load near 5.5:
    0.40 s median (0.29 s best) per publish; 0.10 s of it is opening the file (a `count(*)` of every table
    takes that long)."""
    con = duckdb.connect(config=NO_EXTENSIONS)
    try:
        con.execute("attach ? as checked (read_only)", [str(path)]).complete()
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables() "
                                         "where database_name = 'checked' order by all").fetchall():
            con.execute(f"select min(hash(columns(*))) from checked.{_name(schema)}.{_name(table)}").fetchall()
    finally:
        con.close()


def _refuse_non_duckdb(path: Path, shown: Path) -> None:
    """Refuse an existing file that is not a DuckDB database, by its first bytes (DuckDB's magic 'DUCK' at
    offset 8), before DuckDB opens it. `shown` is the name the person gave (a run reads its private copy)."""
    if not path.exists():
        return
    with open(path, "rb") as file:
        head = file.read(16)
    if head[8:12] == b"DUCK":
        return
    zh, en = next(((zh, en) for magic, zh, en in _NOT_DUCKDB if head.startswith(magic)),
                  _NOT_DUCKDB_OTHER if head else ("空文件", "an empty file"))
    raise NotOurWarehouse(
        f"{shown} 不是 DuckDB 数据库文件（是{zh}），不能作为数据仓库；请用 --warehouse 指定 salespipe 的数据仓库文件，"
        f"或一个还不存在的文件名（salespipe 会新建）",
        f"{shown} is not a DuckDB database ({en}): give --warehouse a salespipe warehouse or a new file name")


_NOT_DUCKDB = [
    (b"SQLite format 3\0", "SQLite 数据库", "a SQLite database"),
    (b"PK\x03\x04", "zip 文件，例如 .xlsx 工作簿", "a zip file, e.g. an .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文件，例如 .xls 工作簿", "an old Office file, e.g. an .xls workbook"),
]
_NOT_DUCKDB_OTHER = ("其他格式的文件", "a file of another format")


def _refuse_foreign_file(path: Path, shown: Path) -> None:
    """Refuse a DuckDB file that is not one of our warehouses (see _refuse_foreign), read-only."""
    con = duckdb.connect(config=NO_EXTENSIONS)
    try:
        try:
            con.execute("attach ? as probe (read_only)", [str(path)]).complete()
        except duckdb.Error as exc:
            if _corruption(exc) is not None:
                raise
            raise _unopenable(shown, exc) from exc
        _refuse_foreign(con, "probe", shown, writing=True)
    finally:
        con.close()


def _refuse_foreign(con, database: str, shown: Path, writing: bool) -> None:
    """Refuse a DuckDB database with tables or views but neither our marker nor our ledger tables (another
    program's: we add nothing to it), and, for writing, one whose marker names a newer schema than ours."""
    names = {name for name, in rows(con, "select table_name from duckdb_tables() where database_name = ? union all "
                                         "select view_name from duckdb_views() where database_name = ? and not internal",
                                    [database, database])}
    if MARKER in names:
        marker = rows(con, f"select product, schema_version from {_name(database)}.main.{MARKER} limit 1")
        if not marker or marker[0][0] == PRODUCT:
            version = marker[0][1] if marker else None
            if writing and version is not None and version > SCHEMA_VERSION:
                raise NotOurWarehouse(
                    f"{shown} 由更新版本的 salespipe 写入（表结构版本 {version}，本程序 {SCHEMA_VERSION}），"
                    f"本程序不写入它；请先升级 salespipe",
                    f"{shown} was written by a newer salespipe (schema {version}, ours {SCHEMA_VERSION}): upgrade first")
            return
    elif not names or PRE_MARKER_TABLES <= names:
        return  # a new file, or a warehouse of ours from before the marker (connect adds the marker)
    shown_names = "、".join(sorted(names)[:5]) + ("…" if len(names) > 5 else "")
    raise NotOurWarehouse(
        f"{shown} 不是 salespipe 的数据仓库：它是另一个程序的 DuckDB 数据库（有 {shown_names}，没有 {MARKER} 标记），"
        f"salespipe 不会往里面加表；请用 --warehouse 指定 salespipe 的数据仓库文件，或一个还不存在的文件名",
        f"{shown} is another program's DuckDB database (tables {', '.join(sorted(names)[:5])}, no {MARKER} marker): "
        f"salespipe adds nothing to it; give --warehouse a salespipe warehouse or a new file name")


def _mark(con) -> None:
    """Write the marker row when the file has none (a new warehouse, or one from before the marker); raise its
    schema version to ours when an older salespipe wrote it."""
    if scalar(con, f"select count(*) from {MARKER}"):
        run(con, f"update {MARKER} set schema_version = ? where schema_version < ?", [SCHEMA_VERSION, SCHEMA_VERSION])
        return
    run(con, f"insert into {MARKER} select ?, ?, coalesce((select min(ingested_at) from ingested_files), now())",
        [PRODUCT, SCHEMA_VERSION])


def _corruption(exc: BaseException | None) -> duckdb.Error | None:
    """The DuckDB checksum failure behind an exception (itself, or what it was raised from), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, duckdb.Error) and "corrupt database file" in str(exc).lower():
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _damaged(path: Path, building: Path, exc: duckdb.Error) -> WarehouseDamaged:
    """The error for a checksum failure during a run: in the published file (it then stays as it is, and
    every run fails until it is restored), or only in the run's private copy (then run again)."""
    if not path.exists() or _reads_through(path):
        return WarehouseDamaged(
            f"本次运行写出的数据仓库副本 {building} 校验失败（有数据块损坏），已丢弃，没有发布；{path} 保持原样，"
            f"请检查磁盘后重新运行",
            f"the run's private copy {building} failed its read-through ({exc}): discarded, {path} unchanged")
    return WarehouseDamaged(
        f"数据仓库文件已损坏：{path}（有数据块校验失败）。本次运行没有发布，仓库保持原样；"
        f"请从备份恢复该文件后再运行",
        f"warehouse {path} is corrupt ({exc}): nothing published; restore the file from a backup")


def _reads_through(path: Path) -> bool:
    try:
        read_through(path)
    except duckdb.Error:
        return False
    return True


def _unopenable(path: Path, exc: duckdb.Error) -> SalespipeError:
    if _corruption(exc) is not None:
        return WarehouseDamaged(f"数据仓库文件已损坏：{path}（有数据块校验失败）；请从备份恢复该文件",
                                f"warehouse {path} is corrupt ({exc}): restore it from a backup")
    return SalespipeError(f"DuckDB 打不开数据仓库文件 {path}：{exc}", f"DuckDB cannot open {path}: {exc}")


def _name(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def storage_format(path: Path) -> str:
    """The storage version DuckDB reports for the file, e.g. 'v1.4.0' (without the trailing '+')."""
    con = duckdb.connect(config=NO_EXTENSIONS)
    try:
        con.execute("attach ? as probe (read_only)", [str(path)]).complete()
        tags = con.execute("select tags from duckdb_databases() where database_name = 'probe'").fetchall()[0][0]
        return str(tags.get("storage_version", "")).rstrip("+")
    finally:
        con.close()


def _convert(path: Path, storage_version: str) -> None:
    """Rewrite the file in `storage_version`'s format when it is in another one (once per format change)."""
    if not re.fullmatch(r"v\d+\.\d+\.\d+", storage_version):  # an ATTACH option cannot be a parameter
        raise SalespipeError(f"存储版本写法不对：{storage_version!r}（应如 v1.4.0）", f"bad storage version {storage_version!r}")
    if storage_format(path) == storage_version:
        return
    converted = path.with_name(path.name + ".converting")
    converted.unlink(missing_ok=True)
    con = duckdb.connect(config=NO_EXTENSIONS)
    try:
        con.execute("attach ? as old (read_only)", [str(path)]).complete()
        con.execute(f"attach ? as new (storage_version '{storage_version}')", [str(converted)]).complete()
        con.execute("copy from database old to new").complete()
    except BaseException:
        converted.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(converted, path)


def _acquire(lock, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WarehouseBusy("数据仓库正被另一个运行写入，请稍后再试",
                                    f"another run holds {lock.name} (waited {wait_seconds:g} s)") from None
            time.sleep(0.5)


# DuckDB 2.0: a result must be finished before the next statement on the same connection.
def run(con, sql: str, params: list | None = None) -> None:
    """Run a statement to its end (DDL, insert, update, delete, transaction control)."""
    con.execute(sql, params or []).complete()


def rewrite_rows(con, table: str, key: str, source: str, replace: str, params: dict | None = None) -> None:
    """Give the rows of `table` that `source` (a select with column `key`, aliased l) names new values: `replace`
    is a REPLACE list over the old row c and l (e.g. "coalesce(l.phone, c.phone) as phone"). Done as delete and
    insert, not UPDATE: DuckDB's UPDATE of long text columns is slow (4,633 customers' address and contact on a
    year's warehouse: UPDATE 0.75 s, rewritten 0.02 s)."""
    run(con, f"""create or replace temp table rewritten as
                 select c.* replace ({replace}) from {table} c join ({source}) l on l.{key} = c.{key}""", params)
    run(con, f"delete from {table} where {key} in (select {key} from rewritten)")
    run(con, f"insert into {table} select * from rewritten")
    run(con, "drop table rewritten")


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def scalar(con, sql: str, params: list | None = None):
    """The first column of the first row (None when there is no row)."""
    result = rows(con, sql, params)
    return result[0][0] if result else None


def dicts(con, sql: str, params: list | None = None) -> list[dict]:
    """Rows as dicts keyed by column name."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def append_rows(con, table: str, rows: list[dict]) -> None:
    """Insert dicts into a table of schema.py (missing keys are NULL), cast to the declared types."""
    if not rows:
        return
    columns = TABLES[table][1]
    con.register("append_frame", object_columns(_columns(rows, [name for name, _, _ in columns])))
    select = ", ".join(f"cast({name} as {sql_type}) as {name}" for name, sql_type, _ in columns)
    run(con, f"insert into {table} select {select} from append_frame")
    con.unregister("append_frame")


def object_columns(columns: dict[str, list]) -> dict[str, np.ndarray]:
    """Python values as one NumPy object array per column, for `con.register` (DuckDB reads each column's Python
    values as they are: str, int, Decimal, date, datetime, list, None). Replaces a pandas DataFrame, whose import
    alone took 0.27-0.42 s of every ingest process on this machine (python -X importtime): the night of
    bench/scale.py onto three years, 5 runs each side by side, median 3.81 s with pandas, 3.40 s without."""
    found = {}
    for name, values in columns.items():
        array = np.empty(len(values), dtype=object)
        if any(isinstance(v, (list, tuple)) for v in values):
            for i, value in enumerate(values):  # one at a time: equal-length lists would become a second dimension
                array[i] = value
        else:
            array[:] = values
        found[name] = array
    return found


def _columns(rows: list[dict], names: list[str]) -> dict[str, list]:
    """The rows as one list per column (None where a row lacks the key)."""
    present = [name for name in names if name in rows[0]]
    if len(present) > 1:
        try:
            picked = list(zip(*map(itemgetter(*present), rows)))
        except KeyError:  # the rows do not all have the same keys
            pass
        else:
            found = dict(zip(present, map(list, picked)))
            return {name: found[name] if name in found else [row.get(name) for row in rows] for name in names}
    return {name: [row.get(name) for row in rows] for name in names}
