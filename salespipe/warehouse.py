"""Opening the DuckDB warehouse file, and writing it safely while analysts read it.

A run never writes the published file in place: it takes the run lock (`<warehouse>.lock`), copies
the warehouse to `<warehouse>.building`, writes there, and on success renames it over the published
file in one atomic step. Analysts' open read-only connections keep reading the previous file (and never
block the run); a run that fails leaves the published file exactly as it was.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path

import duckdb
import pandas as pd

from salespipe.errors import SalespipeError, WarehouseBusy
from salespipe.schema import TABLES, create_tables


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with every table present. A second writer fails at once with WarehouseBusy."""
    path = Path(path)
    if read_only and not path.exists():
        raise SalespipeError(f"数据仓库还不存在：{path}（请先运行 salespipe ingest）", f"no warehouse at {path}: run ingest first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy("数据仓库正被另一个运行写入，请稍后再试", f"warehouse is locked: {exc}") from None
        raise
    if not read_only:
        create_tables(con)
    return con


@contextmanager
def publishing(path: Path, wait_seconds: float = 600):
    """Yield the private copy to write; publish it atomically when the block ends without error."""
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
            yield building
            os.replace(building, path)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
        except BaseException:
            building.unlink(missing_ok=True)
            building.with_name(building.name + ".wal").unlink(missing_ok=True)
            raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
