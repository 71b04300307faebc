"""The warehouse opens in the clients analysts have: DuckDB 1.5 (the pip duckdb-cli) beside our 2.0."""
import csv
import io
import subprocess
import sys
from pathlib import Path

import duckdb

from salespipe.schema import create_tables
from salespipe.warehouse import STORAGE_VERSION, storage_format
from reporting import MON, build

DUCKDB_15 = Path(sys.executable).with_name("duckdb")  # the duckdb-cli 1.5.6 of requirements.lock


def cli(path: Path, sql: str) -> list[list[str]]:
    """Run one query in the DuckDB 1.5 command-line client, read-only; rows as CSV text."""
    done = subprocess.run([str(DUCKDB_15), "-readonly", "-csv", "-noheader", str(path), "-c", sql],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return list(csv.reader(io.StringIO(done.stdout)))


def test_the_client_is_duckdb_1_5():
    done = subprocess.run([str(DUCKDB_15), "--version"], capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("v1.5.")


def test_every_table_and_mart_answers_in_duckdb_1_5(project):
    build(project)
    path = project.config.warehouse
    assert storage_format(path) == STORAGE_VERSION == "v1.4.0"
    con = duckdb.connect(str(path), read_only=True)
    relations = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() union all "
        "select view_name from duckdb_views() where not internal order by 1").fetchall()]
    counts = {name: con.execute(f"select count(*) from {name}").fetchall()[0][0] for name in relations}
    con.close()
    assert {"activities", "deliveries", "mart_activity_daily", "mart_scores_monthly"} <= set(counts)
    for name in relations:
        assert cli(path, f"select count(*) from {name}") == [[str(counts[name])]], name
    assert cli(path, "select count(*) > 0 from activity_counts('week')") == [["true"]]  # the table macros too
    # worked out in test_marts.py: 张三 on Monday made 1 call, 1 e-mail and 1 visit, and lost 乙
    assert cli(path, "select calls, emails, visits, lost_customers from mart_activity_daily "
                     f"where activity_date = '{MON}' and salesperson_id = 'S001'") == [["1", "1", "1", "1"]]


def test_a_warehouse_in_duckdb_2_format_is_converted_by_the_next_run(project):
    path = project.config.warehouse
    path.parent.mkdir(parents=True)
    con = duckdb.connect(str(path))  # written by DuckDB 2.0 in its own format, as before this change
    con.execute("create table analyst_notes (note varchar)").complete()
    con.execute("insert into analyst_notes values ('保留我')").complete()
    con.execute("comment on table analyst_notes is '分析员自己的表'").complete()
    create_tables(con)  # ours (a warehouse from before the format setting), with an analyst's table beside
    con.close()
    assert storage_format(path) == "v2.0.0"
    assert subprocess.run([str(DUCKDB_15), "-readonly", str(path), "-c", "select 1"],
                          capture_output=True, text=True, timeout=60).returncode != 0
    build(project)  # one ingest run
    assert storage_format(path) == "v1.4.0"
    assert cli(path, "select note from analyst_notes") == [["保留我"]]
    assert cli(path, "select comment from duckdb_tables() where table_name = 'analyst_notes'") == [["分析员自己的表"]]
    assert cli(path, "select count(*) from activities") == [["7"]]  # build()'s log rows: 2 + 1 + 3 + 1 accepted (the 飞鸽 row is rejected)
