"""The command line as a new user meets it, and the README that documents it."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_date_people_write_is_read_and_a_day_that_does_not_exist_is_refused_in_chinese(capsys):
    parser = build_parser()
    import datetime as dt

    for text in ("2026-11-30", "2026/11/30", "20261130", "2026年11月30日"):
        assert parser.parse_args(["report", "daily", "--date", text]).date == dt.date(2026, 11, 30)
    try:
        parser.parse_args(["report", "daily", "--date", "2026-13-01"])
    except SystemExit as exc:
        assert exc.code == 2
    err = capsys.readouterr().err
    assert "日期不存在：2026-13-01" in err and "invalid _date value" not in err


def test_an_unknown_report_format_is_refused_before_anything_runs(capsys):
    try:
        build_parser().parse_args(["report", "daily", "--format", "pdf"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "格式只能是 html、xlsx：pdf" in capsys.readouterr().err
    assert build_parser().parse_args(["report", "daily", "--format", "HTML"]).format == ["html"]


def test_ingest_of_a_path_that_does_not_exist_fails_and_creates_no_warehouse(project, tmp_path, capsys):
    warehouse = tmp_path / "new.duckdb"
    code = main(["ingest", str(tmp_path / "nonexistent"), "--warehouse", str(warehouse),
                 "--config", str(project.root / "config" / "salespipe.toml")])
    assert code == 1 and not warehouse.exists()
    assert "路径不存在" in capsys.readouterr().err


def test_feedback_on_a_day_without_sheets_says_so(project, capsys):
    project.add_roster()
    project.ingest()
    assert main(["feedback", "--date", "2026-11-29", "--out", str(project.root / "fb"),
                 "--config", str(project.root / "config" / "salespipe.toml")]) == 0
    assert "2026-11-29 没有业务员交来的日志，未生成反馈表" in capsys.readouterr().out


def _config_with(project, old: str, new: str) -> str:
    path = project.root / "config" / "salespipe.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("old, new, says", [
    ('selling_roles = ["CC", "KAE"]', 'selling_roles = "CC"', '[scores] selling_roles：应为列表'),
    ("auto_merge = 4.0", 'auto_merge = "four"', "[matching] auto_merge：应为数字"),
    ("retries = 3", "retries = -1", "[mail] retries：应不小于 0"),
    ('comparison = "环比"', 'comparison = "月比"', "[scores] comparison：只能是 '环比' or '同比'"),
    ("trend_periods = 8", "trend_period = 8", "[report] trend_period：不认识的设置"),
    ("review = 2.5", "review = 5.0", "review 不能大于 auto_merge"),
    ("[scores]", "[scores\n", "不是有效的 TOML"),
])
def test_a_wrong_configuration_is_refused_naming_the_key_in_chinese(project, capsys, old, new, says):
    config = _config_with(project, old, new)
    assert main(["ingest", "--config", config]) == 1
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not (project.root / "wh" / "salespipe.duckdb").exists()


def test_a_missing_configuration_file_is_named(tmp_path, capsys):
    assert main(["report", "daily", "--config", str(tmp_path / "nope.toml")]) == 1
    assert f"配置文件不存在：{tmp_path / 'nope.toml'}" in capsys.readouterr().err


def test_every_option_and_argument_has_help():
    from salespipe.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    missing = [f"{name} {action.dest}" for name, sub in commands.choices.items() for action in sub._actions
               if action.dest != "help" and not action.help]
    assert missing == []


def test_an_unreadable_file_given_outside_the_inbox_is_said_to_stay_where_it_is(project, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "客户信息.xlsx").write_text("客户,电话\n甲,123\n", encoding="utf-8")  # a CSV named .xlsx
    assert main(["ingest", str(elsewhere / "客户信息.xlsx"), "--config", str(project.root / "config" / "salespipe.toml")]) == 0
    printed = "".join(capsys.readouterr().out.split())  # (rich wraps long lines)
    assert "无法读取客户信息.xlsx" in printed and "→留在原处leftwhereitis" in printed and "rejected" not in printed.split("无法读取")[-1]
    assert (elsewhere / "客户信息.xlsx").exists() and not (project.root / "rejected").exists()


@pytest.mark.parametrize("kind, day, reason", [
    # the hand-built month (tests/reporting.py) has rows on 11-20, 11-22 and 11-23 and its files were read on 11-23
    ("daily", "2026-11-29", "2026-11-29（周日）没有任何数据：没有已接受或退回的行，也没有在这期间读取的文件"
                            "（最近有数据的日期是 2026-11-23），未生成日报"),
    ("daily", "2027-03-03", "2027-03-03（周三）没有任何数据："),
    ("weekly", "2026-12-02", "2026-11-30 ~ 2026-12-06 这一周没有任何数据："),
    ("monthly", "2026-12-15", "2026-12 这个月没有任何数据："),
])
def test_a_period_without_any_data_says_so_and_exits_non_zero(project, tmp_path, capsys, kind, day, reason):
    from reporting import build

    build(project)
    out = tmp_path / "out"
    code = main(["report", kind, "--date", day, "--out", str(out), "--config", str(project.root / "config" / "salespipe.toml")])
    assert code == 1
    assert f"错误：{reason}" in capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == []  # no empty report


def test_a_sunday_with_rows_still_gets_its_report(project, tmp_path, capsys):
    from reporting import build

    build(project)  # 张三 handed in a row dated Sunday 11-22
    code = main(["report", "daily", "--date", "2026-11-22", "--format", "html", "--out", str(tmp_path / "out"),
                 "--config", str(project.root / "config" / "salespipe.toml")])
    assert code == 0 and (tmp_path / "out" / "销售日报_2026-11-22.html").exists()
