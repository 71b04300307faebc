"""Fixtures that build tiny real inputs in code: workbooks written with openpyxl/xlwt, a project
folder with its own config, and a real DuckDB warehouse file."""
from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import pytest

from salespipe.config import DEFAULT_CONFIG, load_config
from salespipe.excel import append_row
from salespipe.ingest import ingest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

LOG_HEADER = ["日期", "业务员", "客户名称", "联系人", "联系电话", "地址", "客户类别", "联系方式", "跟进状态", "结果"]
ROSTER_HEADER = ["工号", "姓名", "岗位", "状态", "入职日期", "离职日期", "特长", "邮箱"]
ROSTER = [
    ["S001", "张三", "CC", "在职", dt.date(2025, 1, 1), None, "管理咨询、企业内训", "zhangsan@example.com"],
    ["S002", "李四", "KAE", "在职", dt.date(2025, 3, 1), None, "拓展培训", "lisi@example.com"],
    ["S003", "王五", "CC", "离职", dt.date(2025, 1, 1), dt.date(2026, 11, 15), "认证", "wangwu@example.com"],
]

# Two salespeople with one 姓名 (told apart by 工号), one who left on Wednesday 2026-11-18, and others in service.
NAMESAKE_ROSTER = [
    ["S001", "张三", "CC", "在职", dt.date(2025, 1, 1), None, "管理咨询", "zhangsan@example.com"],
    ["S002", "李四", "KAE", "在职", dt.date(2025, 3, 1), None, "拓展培训", "lisi@example.com"],
    ["S003", "王五", "CC", "离职", dt.date(2025, 1, 1), dt.date(2026, 11, 18), "认证", "wangwu@example.com"],
    ["S004", "赵六", "CC", "在职", dt.date(2025, 1, 1), None, "企业内训", "zhaoliu@example.com"],
    ["S007", "孙婷", "CC", "在职", dt.date(2025, 5, 18), None, "管理咨询", "sunting7@example.com"],
    ["S008", "孙婷", "KAE", "在职", dt.date(2025, 2, 12), None, "公开课", "sunting8@example.com"],
]


def workbook(path: Path, rows: list[list], *, title: list[str] | None = None, merged: list[str] = (),
             sheet: str = "Sheet1", extra_sheets: dict[str, list[list]] | None = None,
             mtime: float | None = None) -> Path:
    """A real .xlsx: optional title rows above `rows` (the first of which is the header)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for line in title or []:
        ws.append([line])
    for row in rows:
        append_row(ws, row)  # text stays text, as a person typing into a text cell
    for ref in merged:
        ws.merge_cells(ref)
    for name, more in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in more:
            other.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def xls_workbook(path: Path, rows: list[list], title: list[str] | None = None) -> Path:
    """A real legacy .xls written with xlwt (dates with a date format)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    lines = [[t] for t in (title or [])] + rows
    for r, row in enumerate(lines):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))
    return path


class Project:
    """A throw-away salespipe project: config, inbox and warehouse under tmp_path."""

    def __init__(self, root: Path):
        self.root = root
        (root / "config").mkdir(parents=True, exist_ok=True)
        shipped = DEFAULT_CONFIG.read_text(encoding="utf-8")
        (root / "config" / "salespipe.toml").write_text(
            '[paths]\ninbox = "inbox"\narchive = "archive"\nrejected = "rejected"\ndemo = "demo"\n'
            'warehouse = "wh/salespipe.duckdb"\nreports = "reports_out"\n\n' + shipped[shipped.index("[ingest]"):], encoding="utf-8")
        self.config = load_config(root / "config" / "salespipe.toml")
        self.inbox = root / "inbox"
        self.inbox.mkdir()
        self._clock = 1_700_000_000.0

    def add(self, name: str, rows: list[list], **kwargs) -> Path:
        """Write a workbook into the inbox; each one gets a later modification time than the last."""
        self._clock += 10
        return workbook(self.inbox / name, rows, mtime=kwargs.pop("mtime", self._clock), **kwargs)

    def add_roster(self, rows: list[list] | None = None) -> Path:
        return self.add("业务员名册.xlsx", [ROSTER_HEADER, *(rows or ROSTER)])

    def ingest(self, now: dt.datetime | None = None):
        return ingest(None, self.config, now=now or dt.datetime(2026, 11, 26, 18, 0))

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.config.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def scalar(self, sql: str, params: list | None = None):
        return self.query(sql, params)[0][0]


@pytest.fixture(scope="session")
def prefect_server():
    """The one temporary Prefect server of the test session (7-20 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "project")


class Inbox:
    """What a real SMTP server on 127.0.0.1 received."""

    def __init__(self):
        self.envelopes = []
        self.refuse_next = 0  # answer 451 (try again later) to this many messages first

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        self.envelopes.append(envelope)
        return "250 OK"


def edit_config(project, *replacements: tuple[str, str]) -> None:
    """Replace text in the project's config file (each old text must be there; its first occurrence) and reload."""
    path = project.root / "config" / "salespipe.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    project.config = load_config(path)


@contextmanager
def local_smtp(project, handler):
    """`handler` served by aiosmtpd on a free 127.0.0.1 port, the project's config pointing at it (plain SMTP,
    no wait between attempts)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        edit_config(project, ('host = ""', 'host = "127.0.0.1"'), ("port = 587", f"port = {port}"),
                    ('security = "starttls"', 'security = "plain"'), ("retry_wait_seconds = 2.0", "retry_wait_seconds = 0"))
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp(project):
    """A real SMTP server on 127.0.0.1 that takes everything, and the project's config pointing at it."""
    with local_smtp(project, Inbox()) as inbox:
        yield inbox


def log_row(day=dt.date(2026, 11, 26), person="张三", customer="天津市格致企业管理咨询有限公司", contact="王经理",
            phone="022-23456789", address="天津市南开区复康路12号", cls="B", method="电话", stage="1", result="继续跟进"):
    return [day, person, customer, contact, phone, address, cls, method, stage, result]


DEMO_DAY = dt.date(2026, 11, 30)  # the demo month's last workday, as `./run demo` reports it


@pytest.fixture(scope="session")
def demo_reports(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The demo month (2026-11, 12 salespeople, seed 2026 — what `./run demo` builds) ingested once per session,
    and its three reports made as `./run demo` makes them (HTML + xlsx, sent without SMTP: .eml files):
    {kind: {"html": path, "eml": path}}."""
    from reports import make_report
    from salespipe.demo import generate

    project = Project(tmp_path_factory.mktemp("demo") / "project")
    generate(project.inbox, seed=2026, month="2026-11", salespeople=12)
    project.ingest(now=dt.datetime(2026, 11, 30, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")))  # as run_demo reads them
    out = project.root / "out"
    made = {}
    for kind in ("daily", "weekly", "monthly"):
        (html, _), _ = make_report(project.config, kind, DEMO_DAY, ["html", "xlsx"], out, send=True)
        made[kind] = {"html": html, "eml": html.with_suffix(".eml")}
    return made
