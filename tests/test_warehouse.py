"""Runs write a private copy and publish it atomically: analysts' read-only sessions never block a run
and never see a half-written warehouse; a failed run leaves the published file as it was."""
import hashlib
import subprocess
import sys

import pytest

from salespipe.errors import SalespipeError
from salespipe.ingest import load as load_module
from conftest import LOG_HEADER, log_row

ANALYST = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute('select count(*) from activities').fetchall()[0][0], flush=True)
sys.stdin.readline()
print(con.execute('select count(*) from activities').fetchall()[0][0], flush=True)
"""


def test_a_run_while_an_analyst_holds_a_read_only_connection(project):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row()])
    project.ingest()
    analyst = subprocess.Popen([sys.executable, "-c", ANALYST, str(project.config.warehouse)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert analyst.stdout.readline().strip() == "1"
        project.add("b.xlsx", [LOG_HEADER, log_row(person="李四", customer="天津乙有限公司")])
        project.ingest()  # does not fail although the analyst's session is open
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        assert analyst.stdout.readline().strip() == "1"  # the analyst keeps a consistent earlier state
    finally:
        analyst.kill()
        analyst.wait()
    assert project.scalar("select count(*) from activities") == 2  # a new session sees the new state


def test_a_failed_run_leaves_the_published_file_byte_for_byte(project, monkeypatch):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row()])
    project.ingest()
    before = hashlib.sha256(project.config.warehouse.read_bytes()).hexdigest()
    project.add("b.xlsx", [LOG_HEADER, log_row(customer="天津乙有限公司")])

    def fail(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(load_module, "refresh_followups", fail)
    with pytest.raises(SalespipeError):
        project.ingest()
    assert hashlib.sha256(project.config.warehouse.read_bytes()).hexdigest() == before
    leftovers = [p.name for p in project.config.warehouse.parent.iterdir() if "building" in p.name]
    assert leftovers == []


def test_connecting_to_an_older_warehouse_adds_the_columns_it_lacks(tmp_path):
    """A warehouse made before a column existed gets it (with its comment) on the next connect; the rows stay."""
    from salespipe.warehouse import connect

    path = tmp_path / "old.duckdb"
    con = connect(path)
    con.execute("insert into customers (customer_code, name) values ('KH000001', '天津甲有限公司')").complete()
    con.execute("alter table customers drop column created_run_id").complete()
    con.close()
    con = connect(path)
    try:
        assert con.execute("select customer_code, name, created_run_id from customers").fetchall() == \
            [("KH000001", "天津甲有限公司", None)]
        assert con.execute("select comment from duckdb_columns() where table_name = 'customers' "
                           "and column_name = 'created_run_id'").fetchall()[0][0]
    finally:
        con.close()
