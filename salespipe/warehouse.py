"""Opening the DuckDB warehouse file, and writing it safely while analysts read it.

A run never writes the published file in place: it takes the run lock (`<warehouse>.lock`), copies
the warehouse to `<warehouse>.building`, writes there, and on success renames it over the published
file in one atomic step. Analysts' open read-only connections keep reading the previous file (and never
block the run); a run that fails leaves the published file exactly as it was.

The file is written in DuckDB's storage format `STORAGE_VERSION` (config [runs] storage_version), not
the newest one of the library: DuckDB 2.0's own format opens in no 1.x client (the pip duckdb-cli 1.5.6,
DBeaver's driver), v1.4.0 opens in 1.4, 1.5 and 2.0. A published file in another format is converted
once, by the next run, with COPY FROM DATABASE (tables, views, macros and comments).
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
import pandas as pd

from salespipe.errors import SalespipeError, WarehouseBusy
from salespipe.schema import TABLES, create_tables


STORAGE_VERSION = "v1.4.0"  # the oldest format DuckDB 1.4+ reads that holds everything our SQL needs


def connect(path: Path, read_only: bool = False, storage_version: str = STORAGE_VERSION) -> duckdb.DuckDBPyConnection:
    """A connection with every table present; a file it creates is in `storage_version`'s format.
    A second writer fails at once with WarehouseBusy."""
    path = Path(path)
    if read_only and not path.exists():
        raise SalespipeError(f"数据仓库还不存在：{path}（请先运行 salespipe ingest）", f"no warehouse at {path}: run ingest first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only,
                             config={} if read_only else {"storage_compatibility_version": storage_version})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy("数据仓库正被另一个运行写入，请稍后再试", f"warehouse is locked: {exc}") from None
        raise
    if not read_only:
        create_tables(con)
    return con


@contextmanager
def publishing(path: Path, wait_seconds: float = 600, storage_version: str = STORAGE_VERSION):
    """Yield the private copy to write (in `storage_version`'s format); publish it atomically when the block
    ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        _acquire(lock, wait_seconds)
        building = path.with_name(path.name + ".building")
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
        try:
            if path.exists():
                shutil.copyfile(path, building)
                _convert(building, storage_version)
            yield building
            os.replace(building, path)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        except BaseException:
            building.unlink(missing_ok=True)
            building.with_name(building.name + ".wal").unlink(missing_ok=True)
            raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def storage_format(path: Path) -> str:
    """The storage version DuckDB reports for the file, e.g. 'v1.4.0' (without the trailing '+')."""
    con = duckdb.connect()
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
    con = duckdb.connect()
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
    frame = pd.DataFrame(_columns(rows, [name for name, _, _ in columns]))
    for name, sql_type, _ in columns:
        if sql_type == "JSON" or sql_type.endswith("[]") or sql_type == "VARCHAR":
            frame[name] = frame[name].astype(object)
    con.register("append_frame", frame)
    select = ", ".join(f"cast({name} as {sql_type}) as {name}" for name, sql_type, _ in columns)
    run(con, f"insert into {table} select {select} from append_frame")
    con.unregister("append_frame")


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
