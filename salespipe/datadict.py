"""docs/data-dictionary.md, generated from the comments the warehouse carries.

    .venv/bin/python -m salespipe.datadict > docs/data-dictionary.md
"""
from __future__ import annotations

import duckdb

from salespipe.schema import create_tables


def data_dictionary(con) -> str:
    lines = ["# Data dictionary 数据字典", "",
             "Generated from the warehouse's COMMENTs by `python -m salespipe.datadict`; do not edit by hand.", ""]
    tables = con.execute("select table_name, comment from duckdb_tables() order by table_name").fetchall()
    for table, comment in tables:
        lines += [f"## `{table}`", "", comment or "", "", "| column | type | 说明 |", "| --- | --- | --- |"]
        columns = con.execute("select column_name, data_type, comment from duckdb_columns() where table_name = ? "
                              "order by column_index", [table]).fetchall()
        lines += [f"| `{name}` | {dtype} | {text or ''} |" for name, dtype, text in columns]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    con = duckdb.connect()
    create_tables(con)
    print(data_dictionary(con), end="")


if __name__ == "__main__":
    main()
