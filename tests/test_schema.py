"""The warehouse names of interface.md exist, and every table and column carries a Chinese COMMENT."""
import re
from pathlib import Path

import pytest

from salespipe.datadict import data_dictionary, reference_warehouse
from salespipe.warehouse import connect

INTERFACE = {
    "ingested_files": ["sha256", "path", "status", "rows_accepted", "rows_rejected", "ingested_at"],
    "rejects": ["file", "sheet", "row_number", "column_name", "value", "reason", "salesperson_id"],
    "salespeople": ["salesperson_id", "name", "role", "team", "status", "hired_on", "left_on", "specialties",
                    "followup_ability", "communication", "capacity", "email"],
    "customers": ["customer_code", "name", "contact", "phone", "address", "industry", "customer_class", "source",
                  "owner_id", "first_seen", "last_contact"],
    "customer_aliases": ["alias_code", "alias_name", "customer_code"],
    "activities": ["activity_date", "salesperson_id", "customer_code", "method", "business_type", "need_type", "stage",
                   "result", "followup_no", "source_file", "source_sheet", "source_row"],
    "followups": ["followup_no", "customer_code", "business_type"],
    "orders": ["order_date", "salesperson_id", "customer_code", "business_type", "amount", "cost", "gross_profit", "paid",
               "due_date", "headcount", "followup_no"],
    "targets": [], "quality_ratings": [], "inspections": [], "leads": [], "assignment_decisions": [],
}


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    yield con
    con.close()


def test_interface_tables_have_their_key_columns(con):
    for table, columns in INTERFACE.items():
        present = [r[0] for r in con.execute("select column_name from duckdb_columns() where table_name = ?",
                                             [table]).fetchall()]
        assert present, table
        assert set(columns) <= set(present), (table, set(columns) - set(present))


def test_every_table_and_column_has_a_chinese_comment(con):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for table, comment in con.execute("select table_name, comment from duckdb_tables()").fetchall():
        assert comment and cjk.search(comment), table
    for table, column, comment in con.execute("select table_name, column_name, comment from duckdb_columns() "
                                             "where not internal").fetchall():
        assert comment and cjk.search(comment), f"{table}.{column}"


def test_money_is_decimal_18_2(con):
    types = dict(con.execute("select column_name, data_type from duckdb_columns() where table_name = 'orders'").fetchall())
    assert {types[c] for c in ("amount", "cost", "gross_profit", "paid")} == {"DECIMAL(18,2)"}


def test_every_stored_row_keeps_its_source(con):
    for table in ("activities", "bc_registrations", "orders", "targets", "quality_ratings", "inspections", "leads",
                  "salespeople"):
        present = {r[0] for r in con.execute("select column_name from duckdb_columns() where table_name = ?",
                                             [table]).fetchall()}
        assert {"source_file", "source_sheet", "source_row"} <= present, table


def test_committed_data_dictionary_is_current_and_lists_every_mart():
    con = reference_warehouse()
    committed = (Path(__file__).parents[1] / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary(con), "run: .venv/bin/python -m salespipe.datadict > docs/data-dictionary.md"
    for (view,) in con.execute("select view_name from duckdb_views() where view_name like 'mart_%'").fetchall():
        assert f"## `{view}`" in committed
    macros = con.execute("select function_name from duckdb_functions() where not internal "
                         "and function_type in ('macro', 'table_macro')").fetchall()
    assert len(macros) >= 10
    for (macro,) in macros:
        assert f"## `{macro}(" in committed, macro
