"""The command line as a new user meets it, and the README that documents it."""
import re
import subprocess
import sys
from pathlib import Path

from salespipe.cli import build_parser, main
from salespipe.warehouse import connect
from conftest import LOG_HEADER, log_row

HOLD = ("import fcntl, sys, time; f = open(sys.argv[1] + '.lock', 'w'); fcntl.flock(f, fcntl.LOCK_EX); "
        "print('holding', flush=True); time.sleep(120)")
README = Path(__file__).parents[1] / "README.md"


def test_ingest_exits_zero_with_rejected_rows_and_prints_the_summary(project, capsys):
    project.add_roster()
    project.add("a.xlsx", [LOG_HEADER, log_row(), log_row(method="飞鸽")])
    code = main(["ingest", "--config", str(project.root / "config" / "salespipe.toml")])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"接受行 rows accepted\s+│\s+4", out) and re.search(r"退回行 rows rejected\s+│\s+1", out)
    assert "联系方式填写不规范" in out


def test_ingest_of_an_explicit_path_and_warehouse(project, tmp_path, capsys):
    folder = tmp_path / "elsewhere"
    project.add_roster()
    (project.inbox / "业务员名册.xlsx").rename(folder.mkdir() or folder / "名册.xlsx")
    warehouse = tmp_path / "other.duckdb"
    assert main(["ingest", str(folder), "--warehouse", str(warehouse),
                 "--config", str(project.root / "config" / "salespipe.toml")]) == 0
    con = connect(warehouse, read_only=True)
    assert con.execute("select count(*) from salespeople").fetchall() == [(3,)]
    con.close()


def test_ingest_fails_loudly_when_another_run_holds_the_warehouse(project, capsys):
    config_file = project.root / "config" / "salespipe.toml"
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        "lock_wait_seconds = 600", "lock_wait_seconds = 1"), encoding="utf-8")
    connect(project.config.warehouse).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(project.config.warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        code = main(["ingest", "--config", str(project.root / "config" / "salespipe.toml")])
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    assert "数据仓库正被另一个运行写入" in capsys.readouterr().err


def test_every_command_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert f"salespipe {name}" in text, name
    assert "./run demo" in text and "./run test" in text
