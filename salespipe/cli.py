"""The `salespipe` command line (interface.md). Every command takes --warehouse and --config."""
from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from salespipe.config import load_config
from salespipe.errors import SalespipeError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", help="DuckDB 文件 (default data/warehouse/salespipe.duckdb or $SALESPIPE_WAREHOUSE)")
    parser.add_argument("--config", help="配置文件 (default config/salespipe.toml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salespipe", description="销售部门数据管道 / the sales department's pipeline")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="读取工作簿到数据仓库 / load workbooks into the warehouse")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the inbox)")
    _common(p)

    p = sub.add_parser("report", help="日报/周报/月报 / render a daily, weekly or monthly report")
    p.add_argument("kind", choices=["daily", "weekly", "monthly"], help="日报 / 周报 / 月报")
    p.add_argument("--date", type=_date, help="a day in the period (default: today in Asia/Shanghai)")
    p.add_argument("--format", type=_formats, default=["html", "xlsx"],
                   help="html、xlsx 或两者，用逗号分开 / html, xlsx or both, comma-separated (default both)")
    p.add_argument("--out", type=Path, default=Path("out/reports"), help="输出文件夹 / output folder")
    p.add_argument("--send", action="store_true", help="发给行政经理和总经理（已收到本期报告的人不再重发）/ e-mail it to the managers, once per period (or write .eml without SMTP)")
    _common(p)

    p = sub.add_parser("feedback", help="给业务员的核对反馈 / one checked workbook per salesperson")
    p.add_argument("--date", type=_date, help="the day of the sheets (default: today in Asia/Shanghai)")
    p.add_argument("--out", type=Path, default=Path("out/feedback"), help="输出文件夹 / output folder")
    p.add_argument("--send", action="store_true", help="每人只收到自己的反馈，每天一次 / send each workbook to that salesperson only, once")
    _common(p)

    p = sub.add_parser("assign", help="分配建议表 / the assignment recommendations workbook")
    p.add_argument("--date", type=_date, help="the day of the recommendations (default: today in Asia/Shanghai)")
    p.add_argument("--out", type=Path, default=Path("out/assign"), help="输出文件夹 / output folder")
    _common(p)

    p = sub.add_parser("template", help="生成空白模板 / write blank input workbooks with drop-downs")
    p.add_argument("--out", type=Path, default=Path("out/templates"), help="输出文件夹 / output folder")
    _common(p)

    p = sub.add_parser("review", help="待确认的客户匹配表 / workbook of uncertain customer matches to decide")
    p.add_argument("--out", type=Path, default=Path("out/review"), help="输出文件夹 / output folder")
    _common(p)

    p = sub.add_parser("demo", help="生成演示数据并读取 / build a demo month and ingest it")
    p.add_argument("--seed", type=int, default=2026, help="随机种子 / random seed (same seed, same files)")
    p.add_argument("--month", default="2026-11", help="demo month, YYYY-MM")
    p.add_argument("--salespeople", type=int, default=12, help="业务员人数 / team size")
    _common(p)

    p = sub.add_parser("run", help="运行一次 Prefect 流程 / run a scheduled flow now")
    p.add_argument("flow", choices=["nightly", "weekly", "monthly"], help="每晚 / 每周 / 每月的流程")
    p.add_argument("--date", type=_date_text, help="the report date, e.g. 2026-11-30 (default: today in Asia/Shanghai)")
    _common(p)

    p = sub.add_parser("serve", help="按计划运行 / serve the Prefect deployments with their schedules")
    _common(p)

    p = sub.add_parser("bench", help="性能测试 / benchmarks of bench/ (results appended to docs/benchmarks.md)")
    p.add_argument("--files", type=int, default=200, help="day-workbooks in the nightly batch")
    p.add_argument("--rows", type=int, default=80, help="rows per workbook (about)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    p.add_argument("--salespeople", type=int, default=60, help="the rebuilt year: salespeople")
    p.add_argument("--days", type=int, default=250, help="the rebuilt year: working days")
    p.add_argument("--skip-rebuild", action="store_true", help="leave out the full rebuild (minutes the first time)")
    _common(p)
    return parser


def _date(text: str):
    """A day as people write it: 2026-11-30, 2026/11/30, 20261130, 2026年11月30日 (values.parse_date); a day
    that does not exist or cannot be read is refused with the reason in Chinese (exit 2)."""
    from salespipe.errors import BadValue
    from salespipe.ingest.values import parse_date

    try:
        return parse_date(text.strip())
    except BadValue as exc:
        raise argparse.ArgumentTypeError(f"{exc}（例如 2026-11-30） / not a date: {text}") from None


def _date_text(text: str) -> str:
    return _date(text).isoformat()


FORMATS = ("html", "xlsx")


def _formats(text: str) -> list[str]:
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"格式只能是 {'、'.join(FORMATS)}：{text} / formats: html, xlsx")
    return formats


def _today(config):
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(config.timezone)).date()


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config, args.warehouse)
        return COMMANDS[args.command](args, config)
    except SalespipeError as exc:
        print(f"错误：{exc.zh}\nerror: {exc.en}", file=sys.stderr)
        return 1


def cmd_ingest(args, config) -> int:
    from salespipe.ingest import ingest
    from salespipe.summary import print_summary

    missing = [str(p) for p in args.paths if not os.path.lexists(p)]
    if missing:
        raise SalespipeError(f"路径不存在：{'、'.join(missing)}", f"no such file or folder: {', '.join(missing)}")
    summary = ingest(args.paths or None, config, progress=True)
    print_summary(summary, config)
    return 0


def cmd_report(args, config) -> int:
    from reports import make_report

    with _printing_delivery():
        paths, notes = make_report(config, args.kind, args.date or _today(config), args.format, args.out, args.send)
    for line in [*map(str, paths), *notes]:
        print(line)
    return 0


def cmd_feedback(args, config) -> int:
    from reports.feedback import make_feedback

    day = args.date or _today(config)
    with _printing_delivery():
        paths, notes = make_feedback(config, day, args.out, args.send)
    if not paths:
        print(f"{day.isoformat()} 没有业务员交来的日志，未生成反馈表 / no sheets for {day.isoformat()}: no feedback written")
    for line in [*map(str, paths), *notes]:
        print(line)
    return 0


@contextmanager
def _printing_delivery():
    """On a partial delivery, print what was written and sent before the error names who is missing."""
    from salespipe.mail import DeliveryFailed

    try:
        yield
    except DeliveryFailed as exc:
        for line in [*map(str, exc.paths), *exc.notes]:
            print(line)
        raise


def cmd_assign(args, config) -> int:
    from salespipe.assign import make_assignment

    path, recs = make_assignment(config, args.date or _today(config), args.out)
    print(f"新客户分配 {len(recs.new)} 条，冲突客户转移 {len(recs.conflicts)} 条，客户回收 {len(recs.recycle)} 条 → {path}")
    return 0


def cmd_template(args, config) -> int:
    from salespipe.template import write_templates

    paths = write_templates(args.out)
    for path in paths:
        print(path)
    return 0


def cmd_review(args, config) -> int:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from salespipe.customers.review import write_review
    from salespipe.warehouse import connect

    con = connect(config.warehouse, read_only=True)
    try:
        path, count = write_review(con, args.out, dt.datetime.now(ZoneInfo(config.timezone)).date())
    finally:
        con.close()
    print(f"{count} 对待确认 pairs to decide → {path}")
    return 0


def cmd_demo(args, config) -> int:
    from salespipe.demo import run_demo

    return run_demo(config, seed=args.seed, month=args.month, salespeople=args.salespeople,
                    warehouse=args.warehouse)


def cmd_run(args, config) -> int:
    import importlib

    flow = getattr(importlib.import_module(f"flows.{args.flow}"), args.flow)
    result = flow(report_date=args.date, config_file=args.config, warehouse=args.warehouse)
    if isinstance(result, dict):
        for key, value in result.items():
            print(f"{key}: {value}")
        return 0
    period = {"weekly": "本周", "monthly": "本月"}.get(args.flow, "")
    print(f"{args.flow}: 报告已生成 / report rendered" if result else
          f"{args.flow}: 未生成报告：这天不是{period}最后一个工作日，或{period}没有任何数据（原因见流程日志）/ "
          "nothing rendered: not the period's last workday, or no data in the period (see the flow's log)")
    return 0


def cmd_serve(args, config) -> int:
    from flows.serve import main as serve_main

    serve_main()
    return 0


def cmd_bench(args, config) -> int:
    from bench.summary import run_benches

    run_benches(args.files, args.rows, args.repeat, args.salespeople, args.days, not args.skip_rebuild)
    return 0


COMMANDS = {"ingest": cmd_ingest, "report": cmd_report, "feedback": cmd_feedback, "assign": cmd_assign, "template": cmd_template, "review": cmd_review, "demo": cmd_demo,
            "run": cmd_run, "serve": cmd_serve, "bench": cmd_bench}
