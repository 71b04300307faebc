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
    views = con.execute("select view_name, comment from duckdb_views() where not internal order by view_name").fetchall()
    lines += ["Tables hold what was read; views (the marts and their staging and core layers) are computed from them.", ""]
    for table, comment in tables + views:
        lines += [f"## `{table}`", "", comment or "", "", "| column | type | 说明 |", "| --- | --- | --- |"]
        columns = con.execute("select column_name, data_type, comment from duckdb_columns() where table_name = ? "
                              "order by column_index", [table]).fetchall()
        lines += [f"| `{name}` | {dtype} | {text or ''} |" for name, dtype, text in columns]
        lines.append("")
    return "\n".join(lines)


def reference_warehouse():
    """An empty in-memory warehouse with every table and model, as the shipped configuration builds it."""
    from salespipe.config import load_config
    from salespipe.transforms import build_marts

    con = duckdb.connect()
    create_tables(con)
    build_marts(con, load_config())
    return con


def main() -> None:
    print(data_dictionary(reference_warehouse()), end="")


if __name__ == "__main__":
    main()
