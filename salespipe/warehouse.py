"""Opening the DuckDB warehouse file (one writer at a time)."""
from __future__ import annotations

from pathlib import Path

import duckdb

from salespipe.errors import WarehouseBusy
from salespipe.schema import create_tables


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection with every table present. A second writer fails at once with WarehouseBusy."""
    path = Path(path)
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
