"""Only salespipe's own warehouse is written: another program's DuckDB file, a SQLite file, a text file or a
workbook given as --warehouse is refused and left as it was, without DuckDB fetching an extension; a warehouse
of ours from before the marker gets it; a block that fails its checksum, in the published file or in a run's
private copy, stops the publish and leaves the published file as it was."""
import hashlib
import random
import sqlite3
from contextlib import contextmanager

import duckdb
import pytest

from salespipe.cli import main
from salespipe.errors import SalespipeError
from salespipe.ingest import pipeline
from salespipe.schema import create_tables
from salespipe.warehouse import connect, publishing, read_through, storage_format
from conftest import LOG_HEADER, log_row, workbook

DUCKDB_HEADER = 3 * 4096  # DuckDB's main header and its two database headers come before block 0
# Random bytes: DuckDB's block checksum XORs a hash of each 8-byte word, so a pattern whose words come an even
# number of times (4 KiB of one byte, or of bytes 0-255 repeated) written over zeros does not change it.
GARBAGE = random.Random(17).randbytes(4096)


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest_cli(project, warehouse):
    return main(["ingest", "--warehouse", str(warehouse), "--config", str(project.root / "config" / "salespipe.toml")])


def damage(path, table):
    """Overwrite 4 KiB in the middle of a block that holds `table`'s data (the file is checkpointed)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        block_size = con.execute("select block_size from pragma_database_size()").fetchall()[0][0]
        block = con.execute(f"select block_id from pragma_storage_info('{table}') where block_id >= 0 "
                            "order by count desc limit 1").fetchall()[0][0]
    finally:
        con.close()
    with open(path, "r+b") as file:
        file.seek(DUCKDB_HEADER + block * block_size + block_size // 2)
        file.write(GARBAGE)
    con = duckdb.connect(str(path), read_only=True)
    try:
        with pytest.raises(duckdb.Error, match="Corrupt database file"):  # the garbage is in a block the table uses
            con.execute(f"select * from {table}").fetchall()
    finally:
        con.close()


def ingest_one_day(project):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row()])
    project.ingest()


def test_another_programs_duckdb_file_is_refused_and_left_byte_for_byte(project, capsys):
    foreign = project.root / "shop.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("create table orders_of_the_shop (id integer, item varchar)").complete()
    con.execute("insert into orders_of_the_shop values (1, '茶叶'), (2, '茶杯')").complete()
    con.close()
    before = sha(foreign)
    project.add_roster()
    assert ingest_cli(project, foreign) == 1
    err = capsys.readouterr().err
    assert str(foreign) in err and "不是 salespipe 的数据仓库" in err and "orders_of_the_shop" in err
    assert "another program's DuckDB database" in err
    assert sha(foreign) == before
    assert sorted(p.name for p in project.root.iterdir() if p.name.startswith("shop")) == \
        ["shop.duckdb", "shop.duckdb.lock"]  # only the run lock beside it: no copy, no write-ahead log
    assert (project.inbox / "业务员名册.xlsx").exists()  # the inbox is left as it was


def test_connecting_to_another_programs_duckdb_file_adds_no_table(tmp_path):
    foreign = tmp_path / "notes.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("create table notes (note varchar)").complete()
    con.close()
    before = sha(foreign)
    for read_only in (False, True):
        with pytest.raises(SalespipeError, match="notes.duckdb"):
            connect(foreign, read_only=read_only)
    assert sha(foreign) == before


@pytest.mark.parametrize("kind", ["sqlite", "text", "xlsx"])
def test_a_file_that_is_not_duckdb_is_refused_without_fetching_an_extension(project, capsys, monkeypatch, kind):
    home = project.root / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # where DuckDB would put ~/.duckdb/extensions
    target = project.root / ("given.db" if kind == "sqlite" else "given.duckdb")
    if kind == "sqlite":
        lite = sqlite3.connect(target)
        lite.execute("create table contacts (name text)")
        lite.execute("insert into contacts values ('王经理')")
        lite.commit()
        lite.close()
    elif kind == "text":
        target.write_text("客户名单\n天津甲有限公司\n", encoding="utf-8")
    else:
        workbook(project.root / "book.xlsx", [LOG_HEADER, log_row()]).rename(target)
    before = sha(target)
    project.add_roster()
    assert ingest_cli(project, target) == 1
    err = capsys.readouterr().err
    assert str(target) in err and "不是 DuckDB 数据库文件" in err
    assert {"sqlite": "SQLite", "text": "其他格式", "xlsx": "zip"}[kind] in err
    assert sha(target) == before
    assert list(home.iterdir()) == []  # no ~/.duckdb/extensions: nothing was downloaded or looked for
    assert (project.inbox / "业务员名册.xlsx").exists()


def test_every_connection_has_extension_autoinstall_and_autoload_off(tmp_path):
    path = tmp_path / "w.duckdb"
    for read_only in (False, True):
        con = connect(path, read_only=read_only)
        try:
            assert con.execute("select current_setting('autoinstall_known_extensions'), "
                               "current_setting('autoload_known_extensions')").fetchall() == [(False, False)]
        finally:
            con.close()


def test_a_new_warehouse_carries_the_marker(project):
    ingest_one_day(project)
    assert project.query("select product, schema_version >= 1, created_at is not null from salespipe_meta") == \
        [("salespipe", True, True)]
    assert project.scalar("select comment from duckdb_tables() where table_name = 'salespipe_meta'")


def test_a_warehouse_from_before_the_marker_gets_it_and_keeps_its_rows(project):
    path = project.config.warehouse
    path.parent.mkdir(parents=True)
    con = duckdb.connect(str(path))  # as an earlier salespipe left it: DuckDB 2.0's format, our tables, no marker
    create_tables(con)
    con.execute("drop table if exists salespipe_meta").complete()
    con.execute("insert into ingested_files (sha256, file_name, status, ingested_at) "
                "values ('ab', 'old.xlsx', 'ingested', timestamptz '2026-10-08 18:00:00+08')").complete()
    con.execute("insert into activities (activity_date, salesperson_id, customer_name) "
                "values (date '2026-10-08', 'S001', '天津旧客户有限公司')").complete()
    con.close()
    ingest_one_day(project)
    assert project.query("select product, created_at = timestamptz '2026-10-08 18:00:00+08' from salespipe_meta") == \
        [("salespipe", True)]
    assert project.scalar("select count(*) from activities where customer_name = '天津旧客户有限公司'") == 1
    assert project.scalar("select count(*) from activities") == 2
    assert storage_format(path) == "v1.4.0"  # converted by the run, as before


@pytest.mark.parametrize("table", ["activities", "skipped_rows"])
def test_a_corrupted_published_warehouse_stops_the_next_run_and_stays_as_it_was(project, table):
    """Garbage in the one block of a small warehouse (the run meets it while loading), or in a block of a big
    table that the run never reads (only the read-through before the publish meets it)."""
    ingest_one_day(project)
    path = project.config.warehouse
    if table == "skipped_rows":
        con = connect(path)
        con.execute("insert into skipped_rows (file, sheet, row_number, reason) "
                    "select 'old.xlsx', 'Sheet1', range, md5(range::varchar) from range(100000)").complete()
        con.execute("checkpoint").complete()
        con.close()
    damage(path, table)
    before = sha(path)
    project.add("b.xlsx", [LOG_HEADER, log_row(person="李四", customer="天津乙有限公司")])
    with pytest.raises(SalespipeError) as raised:
        project.ingest()
    assert str(path) in raised.value.zh and "已损坏" in raised.value.zh and "备份" in raised.value.zh
    assert sha(path) == before
    assert (project.inbox / "b.xlsx").exists()
    assert [p.name for p in path.parent.iterdir() if "building" in p.name] == []


def test_a_copy_damaged_during_the_run_is_not_published(project, monkeypatch):
    ingest_one_day(project)
    path = project.config.warehouse
    before = sha(path)

    @contextmanager
    def damaging(target, **writing):  # the disk garbles the private copy after the run wrote it
        with publishing(target, **writing) as building:
            yield building
            damage(building, "activities")
    monkeypatch.setattr(pipeline, "publishing", damaging)
    project.add("b.xlsx", [LOG_HEADER, log_row(person="李四", customer="天津乙有限公司")])
    with pytest.raises(SalespipeError) as raised:
        project.ingest()
    assert "校验失败" in raised.value.zh and str(path) in raised.value.zh and "没有发布" in raised.value.zh
    assert sha(path) == before
    assert (project.inbox / "b.xlsx").exists()
    assert [p.name for p in path.parent.iterdir() if "building" in p.name] == []


def test_the_read_through_finds_garbage_that_counting_rows_does_not(tmp_path):
    path = tmp_path / "big.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table log as select range as id, 'S' || (range % 60) as salesperson_id, "
                "md5(range::varchar) as customer_name from range(300000)").complete()
    con.execute("checkpoint").complete()
    con.close()
    read_through(path)  # a sound file reads through
    damage(path, "log")
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*) from log").fetchall() == [(300000,)]  # counting reads no data block
    con.close()
    with pytest.raises(duckdb.Error, match="Corrupt database file"):
        read_through(path)
