"""The feedback loop (issue 20), tested blind from the contract: what a salesperson's feedback mail says about each
rejected row (customer, contact, column, value, reason, how to fix it), the deadline on China's official calendar,
settled and still-open problems on later days, people who left, the attached workbook, the day's comparison
(median and rank) and the monthly report's correction counts. Every expected value is worked out by hand below;
mail is read back from a real SMTP server on 127.0.0.1 (the `smtp` fixture)."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from conftest import LOG_HEADER, ROSTER, edit_config, log_row
from reporting import Tables
from reports import make_report
from reports.feedback import make_feedback

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[1]
SALESPIPE = Path(sys.executable).with_name("salespipe")
THU, FRI = dt.date(2026, 11, 26), dt.date(2026, 11, 27)
ZHANG, LI, ADMIN = "zhangsan@example.com", "lisi@example.com", "admin-manager@example.com"
WANG = "wangwu@example.com"  # 王五 left on 2026-11-15 (conftest.ROSTER)
ENUM_METHODS = ["电话", "传真", "E-mail", "面访"]  # input-sheets.md: the canonical values of 联系方式

# The three rejected rows of 张三's Thursday sheet used by several tests: (customer as written, contact, column, the
# value as the feedback must show it).
BAD_PHONE = ("天津甲有限公司", "赵经理", "联系电话", "123")
BAD_METHOD = ("天津乙有限公司", "钱经理", "联系方式", "飞鸽")
NO_PHONE = ("天津丙有限公司", "孙经理", "联系电话", "没有填写")
GOOD = ("天津丁有限公司", "李经理")


# ---------------------------------------------------------------- helpers


def at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> float:
    """A modification time: that wall-clock time in Asia/Shanghai ([ingest] timezone)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI).timestamp()


def evening(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 18, 0)


def parse(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def received_by(smtp, address: str) -> list[email.message.EmailMessage]:
    return [parse(e) for e in smtp.envelopes if address in e.rcpt_tos]


def only_message_to(smtp, address: str) -> email.message.EmailMessage:
    messages = [(e.rcpt_tos, parse(e)) for e in smtp.envelopes if address in e.rcpt_tos]
    assert len(messages) == 1, [m["Subject"] for _, m in messages]
    (rcpts, message), = messages
    assert rcpts == [address]  # to that person only
    return message


class _Text(HTMLParser):
    """The visible text of an HTML part, one line per block (cell, row, paragraph, list item, line break)."""

    BLOCKS = {"p", "div", "tr", "td", "th", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
              "section", "header", "footer", "caption", "dt", "dd", "pre", "blockquote"}

    def __init__(self):
        super().__init__()
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "head", "title"):
            self.skip += 1
        if tag in self.BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "head", "title"):
            self.skip -= 1
        if tag in self.BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(line.strip() for line in "".join(parser.out).splitlines() if line.strip())


class AllTables(HTMLParser):
    """Every <table> of an HTML document (with or without id), as rows of cell texts."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.stack: list[list[list[str]]] = []
        self.cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.stack.append([])
            self.tables.append(self.stack[-1])
        elif tag == "tr" and self.stack:
            self.stack[-1].append([])
        elif tag in ("td", "th") and self.stack:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.stack and self.stack[-1]:
            self.stack[-1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def bodies(message) -> tuple[str, str]:
    """(text/plain, text/html) of a message; both must be there."""
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and plain.get_content_type() == "text/plain"
    assert html is not None and html.get_content_type() == "text/html"
    return plain.get_content(), html.get_content()


def fix_line_after(text: str, anchor: str) -> str:
    """The first line starting with 改法： after the first occurrence of `anchor` (the row's customer)."""
    assert anchor in text, anchor
    for line in text[text.index(anchor):].splitlines():
        if line.strip().startswith("改法："):
            return line.strip()
    raise AssertionError(f"no line starting 改法： after {anchor!r}")


def section(text: str, heading: str, others: list[str]) -> str:
    """The text from the first heading line that names `heading` (e.g. 早先退回、仍待更正：) up to the next heading line
    naming one of `others`, or the end. A heading line is not a list item (no leading -, •, * or digit)."""
    lines = text.splitlines()

    def starts(line, word):
        line = line.strip()
        return word in line and not re.match(r"[-•*·\d]", line)

    start = next((i for i, line in enumerate(lines) if starts(line, heading)), None)
    assert start is not None, f"no section {heading!r} in:\n{text}"
    end = next((i for i in range(start + 1, len(lines)) if any(starts(lines[i], o) for o in others)), len(lines))
    return "\n".join(lines[start:end])


def config_path(project) -> Path:
    return project.root / "config" / "salespipe.toml"


def set_deadline(project, value: str) -> None:
    edit_config(project, ('deadline = "09:00"', f'deadline = "{value}"'))


def thursday_sheet(project) -> None:
    """张三's Thursday sheet: three rejected rows (a bad phone, a 联系方式 outside the list, an empty phone) and one
    accepted row."""
    (c1, p1, _, _), (c2, p2, _, _), (c3, p3, _, _) = BAD_PHONE, BAD_METHOD, NO_PHONE
    rows = [LOG_HEADER,
            log_row(THU, "张三", c1, contact=p1, phone="123"),
            log_row(THU, "张三", c2, contact=p2, phone="13700000002", method="飞鸽"),
            log_row(THU, "张三", c3, contact=p3, phone=None),
            log_row(THU, "张三", GOOD[0], contact=GOOD[1], phone="13700000004")]
    project.add("日志表_张三_20261126.xlsx", rows)


@pytest.fixture
def thursday(project, smtp, tmp_path):
    """The roster and 张三's Thursday sheet, ingested Thursday evening, feedback sent; returns 张三's message."""
    project.add_roster()
    thursday_sheet(project)
    project.ingest(now=evening(THU))
    make_feedback(project.config, THU, tmp_path / "fb", send=True)
    return only_message_to(smtp, ZHANG)


# ---------------------------------------------------------------- 1) what each rejected row says, in both parts


@pytest.mark.parametrize("row", [BAD_PHONE, BAD_METHOD, NO_PHONE], ids=["bad-phone", "bad-method", "empty-phone"])
def test_each_rejected_row_is_explained_in_the_text_and_the_html_part(thursday, project, row):
    customer, contact, column, shown = row
    text, html = bodies(thursday)
    # The reason is the one the warehouse recorded for this row and column (one problem per row here).
    reasons = [r for (r,) in project.query(
        "select reason from rejects where kind = 'log' and column_name = ? and contact = ?", [column, contact])]
    assert len(reasons) == 1, reasons
    for part, body in (("text", text), ("html", html_text(html))):
        for expected in (customer, contact, column, shown, reasons[0]):
            assert expected in body, f"{expected!r} missing from the {part} part:\n{body}"
        fix = fix_line_after(body, customer)
        if column == "联系电话":
            assert "区号" in fix and "11 位" in fix, (part, fix)
        else:
            assert all(value in fix for value in ENUM_METHODS), (part, fix)


def test_the_customer_name_is_shown_as_written(project, smtp, tmp_path):
    """客户名称 as written: a salesperson searches their own sheet for it, so a space typed inside stays."""
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row(THU, "张三", "天津戊 有限公司", phone="123")])
    project.ingest(now=evening(THU))
    make_feedback(project.config, THU, tmp_path / "fb", send=True)
    text, html = bodies(only_message_to(smtp, ZHANG))
    assert "天津戊 有限公司" in text
    assert "天津戊 有限公司" in html_text(html)


def test_the_feedback_goes_to_the_salesperson_only_and_is_in_the_ledger(thursday, project):
    assert thursday.get_content_type() == "multipart/mixed"
    assert project.query("select kind, item, recipient, status from deliveries where kind = 'feedback'") == [
        ("feedback", "S001", ZHANG, "sent")]


def test_the_body_says_how_to_resubmit(thursday):
    text, html = bodies(thursday)
    assert "重交" in text and "重交" in html_text(html)


# ---------------------------------------------------------------- 2) the deadline


# The next workdays were checked with the chinese_calendar package in the venv (1.11.0), not from memory:
#   2026-11-26 Thu → 2026-11-27 Fri; 2026-11-27 Fri → 11-28/29 weekend → 2026-11-30 Mon;
#   2026-09-30 Wed → 10-01…10-07 国庆 (is_workday False, "National Day") → 2026-10-08 Thu;
#   2026-10-09 Fri → 2026-10-10 Sat is a 调休 workday (is_workday True, holiday detail "National Day");
#   2026-09-18 Fri → 09-19 Sat is off, 2026-09-20 Sun is a 调休 workday (the package's 2026 weekend workdays are
#   01-04, 02-14, 02-28, 05-09, 09-20 and 10-10).
@pytest.mark.parametrize("day, deadline_setting, expected", [
    (THU, None, "请在 11月27日（周五）09:00 前更正"),
    (FRI, None, "请在 11月30日（周一）09:00 前更正"),
    (dt.date(2026, 9, 30), None, "请在 10月8日（周四）09:00 前更正"),
    (dt.date(2026, 10, 9), None, "请在 10月10日（周六）09:00 前更正"),
    (dt.date(2026, 9, 18), None, "请在 9月20日（周日）09:00 前更正"),
    (THU, "08:30", "请在 11月27日（周五）08:30 前更正"),
], ids=["thursday", "friday", "before-guoqing", "before-tiaoxiu-saturday", "before-tiaoxiu-sunday", "deadline-08:30"])
def test_the_deadline_is_the_next_official_workday_at_the_configured_time(project, smtp, tmp_path, day,
                                                                          deadline_setting, expected):
    if deadline_setting:
        set_deadline(project, deadline_setting)
    project.add_roster()
    project.add(f"日志表_张三_{day:%Y%m%d}.xlsx", [LOG_HEADER, log_row(day, "张三", "天津甲有限公司", phone="123")])
    project.ingest(now=evening(day))
    make_feedback(project.config, day, tmp_path / "fb", send=True)
    message = only_message_to(smtp, ZHANG)
    text, html = bodies(message)
    assert expected in message["Subject"]
    assert expected in text
    assert expected in html_text(html)


def test_the_command_sends_the_feedback_with_the_deadline(project, smtp, tmp_path):
    project.add_roster()
    thursday_sheet(project)
    project.ingest(now=evening(THU))
    done = subprocess.run(
        [str(SALESPIPE), "feedback", "--date", THU.isoformat(), "--out", str(tmp_path / "out"), "--send",
         "--config", str(config_path(project)), "--warehouse", str(project.config.warehouse)],
        cwd=project.root, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout + done.stderr
    message = only_message_to(smtp, ZHANG)
    assert "请在 11月27日（周五）09:00 前更正" in message["Subject"]
    assert project.query("select kind, period, item, recipient, status from deliveries") == [
        ("feedback", THU, "S001", ZHANG, "sent")]


# ---------------------------------------------------------------- 3) settled and still open


def test_a_correction_settles_the_problem_and_a_repeated_problem_stays_open(project, smtp, tmp_path):
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER,
        log_row(THU, "张三", "天津甲有限公司", contact="赵经理", phone="123"),
        log_row(THU, "张三", "天津乙有限公司", contact="钱经理", phone="13700000002", method="飞鸽"),
        log_row(THU, "张三", "天津丁有限公司", contact="李经理", phone="13700000004")], mtime=at(THU, 17))
    project.ingest(now=evening(THU))
    make_feedback(project.config, THU, tmp_path / "thu", send=True)
    thu_text, _ = bodies(only_message_to(smtp, ZHANG))
    assert "天津甲有限公司" in thu_text and "天津乙有限公司" in thu_text
    smtp.envelopes.clear()

    # Friday: the corrected complete sheet of Thursday (newer mtime): 甲's phone fixed, 乙's 飞鸽 written again.
    project.add("日志表_张三_20261126_更正.xlsx", [LOG_HEADER,
        log_row(THU, "张三", "天津甲有限公司", contact="赵经理", phone="13700000001"),
        log_row(THU, "张三", "天津乙有限公司", contact="钱经理", phone="13700000002", method="飞鸽"),
        log_row(THU, "张三", "天津丁有限公司", contact="李经理", phone="13700000004")], mtime=at(FRI, 8))
    project.ingest(now=evening(FRI))
    make_feedback(project.config, FRI, tmp_path / "fri", send=True)
    message = only_message_to(smtp, ZHANG)  # no rows on Friday, but a problem settled and one still open
    text, html = bodies(message)
    for part, body in (("text", text), ("html", html_text(html))):
        settled = section(body, "已更正", ["仍待更正"])
        still_open = section(body, "仍待更正", ["已更正"])
        assert "天津甲有限公司" in settled, (part, body)
        assert "天津乙有限公司" not in settled, (part, body)
        assert "天津乙有限公司" in still_open, (part, body)
        assert "天津甲有限公司" not in still_open, (part, body)


def test_a_new_problem_in_another_column_does_not_undo_the_settled_one(project, smtp, tmp_path):
    """The correction fixes 甲's 联系电话 but writes 飞鸽 as its 联系方式: the phone problem is 已更正 (another column is
    not the same problem), the new 联系方式 problem is 仍待更正."""
    project.add_roster()
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row(THU, "张三", "天津甲有限公司", phone="123")],
                mtime=at(THU, 17))
    project.ingest(now=evening(THU))
    project.add("日志表_张三_20261126_更正.xlsx", [LOG_HEADER,
        log_row(THU, "张三", "天津甲有限公司", phone="13700000001", method="飞鸽")], mtime=at(FRI, 8))
    project.ingest(now=evening(FRI))
    make_feedback(project.config, FRI, tmp_path / "fri", send=True)
    text, html = bodies(only_message_to(smtp, ZHANG))
    for part, body in (("text", text), ("html", html_text(html))):
        settled = section(body, "已更正", ["仍待更正"])
        still_open = section(body, "仍待更正", ["已更正"])
        assert "天津甲有限公司" in settled and "联系电话" in settled and "联系方式" not in settled, (part, body)
        assert "天津甲有限公司" in still_open and "联系方式" in still_open and "联系电话" not in still_open, (part, body)


def test_uncorrected_problems_are_repeated_for_the_lookback_days_only(project, smtp, tmp_path):
    earlier, monday, later = dt.date(2026, 11, 19), dt.date(2026, 11, 23), dt.date(2026, 12, 1)
    project.add_roster()
    project.add("日志表_张三_20261119.xlsx", [LOG_HEADER, log_row(earlier, "张三", "天津旧问题有限公司", phone="123")])
    project.ingest(now=evening(earlier))
    # Monday 11-23 (4 days later, within 7): still open.  Tuesday 12-01 (12 days later): no longer repeated.
    for day, name in ((monday, "天津周一有限公司"), (later, "天津十二月有限公司")):
        project.add(f"日志表_张三_{day:%Y%m%d}.xlsx", [LOG_HEADER, log_row(day, "张三", name, phone="13700000009")])
        project.ingest(now=evening(day))
        smtp.envelopes.clear()
        make_feedback(project.config, day, tmp_path / day.isoformat(), send=True)
        text, html = bodies(only_message_to(smtp, ZHANG))
        if day == monday:
            for body in (text, html_text(html)):
                assert "天津旧问题有限公司" in section(body, "仍待更正", ["已更正"]), body
        else:
            assert "天津旧问题有限公司" not in text and "天津旧问题有限公司" not in html_text(html)


def test_lookback_days_comes_from_the_config(project, smtp, tmp_path):
    """[feedback] lookback_days = 1: a problem of Thursday 11-19 is not repeated on Monday 11-23 (4 calendar days, 2
    workdays later — outside the window however it is counted)."""
    edit_config(project, ("lookback_days = 7", "lookback_days = 1"))
    earlier, monday = dt.date(2026, 11, 19), dt.date(2026, 11, 23)
    project.add_roster()
    project.add("日志表_张三_20261119.xlsx", [LOG_HEADER, log_row(earlier, "张三", "天津旧问题有限公司", phone="123")])
    project.ingest(now=evening(earlier))
    project.add("日志表_张三_20261123.xlsx", [LOG_HEADER, log_row(monday, "张三", "天津周一有限公司", phone="13700000009")])
    project.ingest(now=evening(monday))
    make_feedback(project.config, monday, tmp_path / "fb", send=True)
    text, html = bodies(only_message_to(smtp, ZHANG))
    assert "天津旧问题有限公司" not in text and "天津旧问题有限公司" not in html_text(html)


# ---------------------------------------------------------------- 4) people who left


def test_a_leaver_gets_nothing_and_the_admin_manager_gets_their_rows(project, smtp, tmp_path):
    project.add_roster()  # 王五 left on 2026-11-15
    project.add("日志表_王五_20261126.xlsx", [LOG_HEADER,
        log_row(THU, "王五", "天津离职甲有限公司", contact="周经理", phone="13700000011"),
        log_row(THU, "王五", "天津离职乙有限公司", contact="吴经理", phone="13700000012")])
    project.add("日志表_张三_20261126.xlsx", [LOG_HEADER, log_row(THU, "张三", "天津甲有限公司")])
    project.ingest(now=evening(THU))
    assert [r for (r,) in project.query("select reason from rejects where salesperson_id = 'S003'")] == [
        "业务员在该日期不是在职状态：王五（S003），2026-11-26"] * 2

    make_feedback(project.config, THU, tmp_path / "fb", send=True)
    paths, _ = make_report(project.config, "daily", THU, ["html"], tmp_path / "daily", send=True)

    assert received_by(smtp, WANG) == []
    assert not project.query("select * from deliveries where kind = 'feedback' and item = 'S003'")
    only_message_to(smtp, ZHANG)
    leavers = [(e.rcpt_tos, parse(e)) for e in smtp.envelopes
               if parse(e)["Subject"].startswith("离职业务员交来的日志 2026-11-26")]
    assert len(leavers) == 1, [parse(e)["Subject"] for e in smtp.envelopes]
    (rcpts, message), = leavers
    assert rcpts == [ADMIN]  # the 行政经理 only, not the 总经理
    text, html = bodies(message)
    for body in (text, html_text(html)):
        assert "天津离职甲有限公司" in body and "天津离职乙有限公司" in body

    (html_path,) = [p for p in paths if p.suffix == ".html"]
    table = Tables(html_path.read_text(encoding="utf-8")).tables["leavers"]
    cells = [c for row in table for c in row]
    assert any("天津离职甲有限公司" in c for c in cells) and any("天津离职乙有限公司" in c for c in cells)
    assert any("王五" in c for c in cells)

    # Run both again (a re-run of the evening): the 行政经理 still has exactly one message about the leaver's rows.
    make_feedback(project.config, THU, tmp_path / "fb2", send=True)
    make_report(project.config, "daily", THU, ["html"], tmp_path / "daily2", send=True)
    assert sum(parse(e)["Subject"].startswith("离职业务员交来的日志") for e in smtp.envelopes) == 1
    assert received_by(smtp, WANG) == []


# ---------------------------------------------------------------- 5) the attached workbook


FIRST_SHEET = "退回（请更正后重交）"
FIRST_HEADER = ["日期", "客户名称", "联系人", "列", "填写的值", "原因", "改法", "文件", "工作表", "行号"]


def test_the_workbook_opens_on_the_rejected_rows(thursday, project):
    (attachment,) = [a for a in thursday.iter_attachments() if a.get_filename().endswith(".xlsx")]
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_payload(decode=True)))
    sheet = book.worksheets[0]
    assert sheet.title == FIRST_SHEET
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    (at_row,) = [i for i, row in enumerate(rows) if list(row[:len(FIRST_HEADER)]) == FIRST_HEADER]
    data = [dict(zip(FIRST_HEADER, row)) for row in rows[at_row + 1:] if any(v is not None for v in row)]
    assert len(data) == 3  # one line per rejected row (one problem each)
    by_contact = {d["联系人"]: d for d in data}
    phone = by_contact["赵经理"]
    assert phone["客户名称"] == "天津甲有限公司" and phone["列"] == "联系电话" and str(phone["填写的值"]) == "123"
    assert phone["文件"] == "日志表_张三_20261126.xlsx" and phone["工作表"] == "Sheet1" and int(phone["行号"]) == 2
    assert "区号" in phone["改法"] and "11 位" in phone["改法"]
    day = phone["日期"]
    assert (day.date() if isinstance(day, dt.datetime) else day) in (THU, THU.isoformat())
    method = by_contact["钱经理"]
    assert method["列"] == "联系方式" and method["填写的值"] == "飞鸽" and int(method["行号"]) == 3
    assert all(v in method["改法"] for v in ENUM_METHODS)
    reasons = dict(project.query("select contact, reason from rejects where kind = 'log'"))
    assert {d["联系人"]: d["原因"] for d in data} == reasons


# ---------------------------------------------------------------- 6) the monthly report's corrections


def corrections(project, tmp_path) -> dict[str, str]:
    paths, _ = make_report(project.config, "monthly", dt.date(2026, 11, 30), ["html"], tmp_path / "monthly")
    (html_path,) = [p for p in paths if p.suffix == ".html"]
    table = Tables(html_path.read_text(encoding="utf-8")).tables["corrections"]
    header = table[0]
    (row,) = [r for r in table[1:] if any("张三" in c for c in r)]
    return dict(zip(header, row))


def test_monthly_corrections_count_in_time_and_late_by_the_files_mtime(project, tmp_path):
    mon, tue, wed = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)
    project.add_roster()
    # Monday's row: deadline Tue 11-24 09:00; corrected by a file saved Monday 20:00 → in time.
    project.add("张三_1123.xlsx", [LOG_HEADER, log_row(mon, "张三", "天津甲有限公司", phone="123")], mtime=at(mon, 17))
    project.ingest(now=evening(mon))
    project.add("张三_1123_更正.xlsx", [LOG_HEADER, log_row(mon, "张三", "天津甲有限公司", phone="13700000001")],
                mtime=at(mon, 20))
    # Tuesday's row: deadline Wed 11-25 09:00; corrected by a file saved Wednesday 10:00 → late.
    project.add("张三_1124.xlsx", [LOG_HEADER, log_row(tue, "张三", "天津乙有限公司", phone="123")], mtime=at(tue, 17))
    project.ingest(now=evening(tue))
    project.add("张三_1124_更正.xlsx", [LOG_HEADER, log_row(tue, "张三", "天津乙有限公司", phone="13700000002")],
                mtime=at(wed, 10))
    # Wednesday's row: never corrected.
    project.add("张三_1125.xlsx", [LOG_HEADER, log_row(wed, "张三", "天津丙有限公司", phone="123")], mtime=at(wed, 17))
    project.ingest(now=evening(wed))

    counts = corrections(project, tmp_path)
    assert {k: counts.get(k) for k in ("退回行（含已更正）", "按时更正", "逾期更正", "未更正")} == {
        "退回行（含已更正）": "3", "按时更正": "1", "逾期更正": "1", "未更正": "1"}, counts


def test_a_correction_saved_exactly_at_the_deadline_is_in_time(project, tmp_path):
    mon, tue = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
    project.add_roster()
    project.add("张三_1123.xlsx", [LOG_HEADER, log_row(mon, "张三", "天津甲有限公司", phone="123")], mtime=at(mon, 17))
    project.ingest(now=evening(mon))
    project.add("张三_1123_更正.xlsx", [LOG_HEADER, log_row(mon, "张三", "天津甲有限公司", phone="13700000001")],
                mtime=at(tue, 9, 0, 0))  # the deadline itself: "at or before" is in time
    project.ingest(now=evening(tue))
    counts = corrections(project, tmp_path)
    assert {k: counts.get(k) for k in ("退回行（含已更正）", "按时更正", "逾期更正", "未更正")} == {
        "退回行（含已更正）": "1", "按时更正": "1", "逾期更正": "0", "未更正": "0"}, counts


def test_a_correction_that_repeats_the_problem_is_not_counted_as_corrected(project, tmp_path):
    mon = dt.date(2026, 11, 23)
    project.add_roster()
    project.add("张三_1123.xlsx", [LOG_HEADER, log_row(mon, "张三", "天津甲有限公司", phone="123")], mtime=at(mon, 17))
    project.ingest(now=evening(mon))
    project.add("张三_1123_更正.xlsx", [LOG_HEADER, log_row(mon, "张三", "天津甲有限公司", phone="123")],
                mtime=at(mon, 20))  # in time, but the same column of the same customer is still wrong
    project.ingest(now=evening(dt.date(2026, 11, 24)))
    counts = corrections(project, tmp_path)
    assert (counts.get("按时更正"), counts.get("逾期更正")) == ("0", "0"), counts
    assert counts.get("未更正") not in (None, "0", ""), counts


# ---------------------------------------------------------------- 7) the day's comparison: median and rank


def test_the_day_is_compared_with_the_median_and_the_rank(project, smtp, tmp_path):
    """Thursday's 电话量 (rows with 联系方式 电话): 张三 3, 李四 3, 赵六 1 (plus one 面访).
    Median of (3, 3, 1) = 3. Rank, 1 = most, ties share the best rank: 张三 1, 李四 1, 赵六 3 — of n = 3."""
    project.add_roster([*ROSTER, ["S004", "赵六", "CC", "在职", dt.date(2025, 1, 1), None, "认证", "zhaoliu@example.com"]])
    for person, calls, first in (("张三", 3, 1), ("李四", 3, 4), ("赵六", 1, 7)):
        rows = [log_row(THU, person, f"天津{n:02d}号有限公司", phone=f"137000000{n:02d}", method="电话")
                for n in range(first, first + calls)]
        if person == "赵六":
            rows.append(log_row(THU, person, "天津面访有限公司", phone="13700000099", method="面访"))
        project.add(f"日志表_{person}_20261126.xlsx", [LOG_HEADER, *rows])
    project.ingest(now=evening(THU))
    make_feedback(project.config, THU, tmp_path / "fb", send=True)

    for address, value, rank in ((ZHANG, 3, 1), ("zhaoliu@example.com", 1, 3)):
        assert_calls_compared(only_message_to(smtp, address), value, median=3, rank=rank, n=3)


def test_only_those_who_handed_in_a_sheet_make_the_median_and_the_rank(project, smtp, tmp_path):
    """李四 is 在职 but hands in nothing on Thursday, so he is not part of the comparison.
    电话量: 张三 2, 赵六 4 → median of (2, 4) = 3; 张三 is 第 2 名 of n = 2 (counting 李四's 0 would give a median of 2
    and 2/3)."""
    project.add_roster([*ROSTER, ["S004", "赵六", "CC", "在职", dt.date(2025, 1, 1), None, "认证", "zhaoliu@example.com"]])
    for person, calls, first in (("张三", 2, 1), ("赵六", 4, 3)):
        project.add(f"日志表_{person}_20261126.xlsx", [LOG_HEADER, *[
            log_row(THU, person, f"天津{n:02d}号有限公司", phone=f"137000000{n:02d}", method="电话")
            for n in range(first, first + calls)]])
    project.ingest(now=evening(THU))
    make_feedback(project.config, THU, tmp_path / "fb", send=True)
    assert received_by(smtp, LI) == []
    assert_calls_compared(only_message_to(smtp, ZHANG), 2, median=3, rank=2, n=2)


def assert_calls_compared(message, value: int, *, median: float, rank: int, n: int) -> None:
    """The 电话量 line of the text part and the 电话量 row of the HTML part: the person's count, the median, the rank."""
    text, html = bodies(message)
    # text: the 电话量 line carries the person's count, the median and 第 k 名
    (line,) = [l for l in text.splitlines() if "电话量" in l]
    assert f"第 {rank} 名" in line, line
    numbers = sorted(float(x) for x in re.findall(r"\d+(?:\.\d+)?", line.replace(f"第 {rank} 名", "")))
    assert numbers == sorted([value, median]), line
    # html: the 电话量 row has the count, the median and rank/n
    rows = [row for table in AllTables(html).tables for row in table if row and row[0] == "电话量"]
    assert len(rows) == 1, rows
    (row,) = rows
    assert f"{rank}/{n}" in row, row
    rest = sorted(float(c) for c in row[1:] if re.fullmatch(r"\d+(?:\.\d+)?", c))
    assert rest == sorted([value, median]), row
