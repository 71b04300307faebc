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
    return "\n".join(lines + macro_sections(con))


def macro_sections(con) -> list[str]:
    """The macros (table macros are called like tables: select * from activity_counts('week')), each with
    its COMMENT; a comment line `参数名：说明` goes to the parameter table."""
    macros = con.execute("select function_name, function_type, parameters, comment from duckdb_functions() "
                         "where not internal and function_type in ('macro', 'table_macro') "
                         "order by function_type desc, function_name").fetchall()
    lines = ["# Macros 宏", "",
             "Table macros (表宏) are queried like tables, `select * from activity_counts('week')`; scalar macros (宏) "
             "are used like functions. Their comments are in `duckdb_functions()`.", ""]
    for name, kind, parameters, comment in macros:
        described, text = {}, []
        for line in (comment or "").splitlines():
            param, sep, rest = line.partition("：")
            if sep and param in parameters:
                described[param] = rest
            else:
                text.append(line)
        lines += [f"## `{name}({', '.join(parameters)})`", "", ("表宏（table macro）：" if kind == "table_macro" else "宏：")
                  + " ".join(text), "", "| parameter | 说明 |", "| --- | --- |"]
        lines += [f"| `{param}` | {described.get(param, '')} |" for param in parameters]
        lines.append("")
    return lines


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
