"""`salespipe feedback`: each salesperson's checked sheet back, to be corrected before 9:00 the next workday.

The handbook (客户信息管理员工作手册): every sheet not filled to standard goes back to its salesperson, to be
redone by 9:00 the next day. One message per salesperson with rows that day — or with an earlier problem
that a correction settled today or that is still open — sent only to that salesperson's own address:

- the body (text and HTML, readable at 390 px): each rejected row with its date, customer, contact, column,
  what was written, why and how to fix it; the deadline (the next workday at [feedback] deadline) and how to
  resubmit; earlier problems settled by a correction and those still open; the day's counts beside the
  median of the colleagues who handed in a sheet that day and the person's rank among them;
- the workbook (attached): the rejects first, then the earlier problems, the accepted rows with 客户编码 and
  跟单号, and the comparison.

People who have left get nothing; the rows they handed in after leaving go to the 行政经理 (`leaver_rows`).
"""
from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

from openpyxl import Workbook

from reports.data import COUNTS, LEFT, PROBLEM_COLUMNS, RATES, SAME_PROBLEM_OPEN, by_row, leaver_rows
from reports.excel import _table
from reports.render import environment
from salespipe.config import Config
from salespipe.excel import file_part
from salespipe.mail import DeliveryFailed, MailSettings, Outgoing, build_message, deliver
from salespipe.template import how_to_fix
from salespipe.ingest.header import context_from_file_name
from salespipe.ingest.load import Roster
from salespipe.warehouse import connect, dicts, rows as query_rows
from salespipe.workdays import feedback_deadline

WEEKDAYS = "一二三四五六日"


def feedback_rows(con, day: dt.date, config_raw: dict | None = None) -> dict[str, dict]:
    """{salesperson_id: person} for everyone in service with something to hear about `day`: rows that day,
    rejects that day, earlier problems (within [feedback] lookback_days) still open, or settled today.
    Each person: name, email, accepted, rejected, settled, still_open (problems: dicts with day, customer_name,
    contact, column_name, value, reason, fix, file, sheet, row_number), counts (label, mine, median, rank, n),
    deadline (aware datetime)."""
    raw = config_raw or {}
    since = day - dt.timedelta(days=int(raw.get("feedback", {}).get("lookback_days", 7)))
    params = {"day": day, "since": since}
    owners = _file_owners(con)
    rejected = _problems(con, "r.superseded_by is null and coalesce(r.row_date, r.received_on) = $day", params, owners)
    still_open = _problems(con, """r.superseded_by is null and r.row_number is not null
                                   and coalesce(r.row_date, r.received_on) between $since and $day - 1""", params, owners)
    settled = _problems(con, f"""r.superseded_on = $day and coalesce(r.row_date, r.received_on) < $day
                                 and not exists ({SAME_PROBLEM_OPEN})""", params, owners)
    heard = sorted({sp for found in (rejected, still_open, settled) for sp in found if sp})  # with the files' owners
    people = dicts(con, f"""
        with due as (
            select salesperson_id from activities where activity_date = $day
            union select salesperson_id from rejects r
            where r.superseded_by is null and coalesce(r.row_date, r.received_on) between $since and $day
            union select salesperson_id from rejects r
            where r.superseded_on = $day and coalesce(r.row_date, r.received_on) < $day
            union select unnest($heard::varchar[]))
        select p.salesperson_id, p.name, p.email from salespeople p
        where p.salesperson_id in (select salesperson_id from due) and not ({LEFT})
        order by 1""", {**params, "heard": heard})
    # the colleagues to compare with: those who handed in a sheet that day (the mart has a zero row for everyone)
    counts = dicts(con, """
        select * from mart_activity_daily where activity_date = $day and salesperson_id in (
            select salesperson_id from activities where activity_date = $day
            union select salesperson_id from rejects where kind = 'log' and row_date = $day)""", {"day": day})
    deadline = feedback_deadline(day, raw)
    accepted = _by_person(dicts(con, """
        select salesperson_id, activity_date, customer_name, customer_code, followup_no, contact, phone, method, stage,
               result, array_to_string(flags, '、') as flags, source_file, source_row
        from activities where activity_date = ? order by source_file, source_row""", [day]))
    return {person["salesperson_id"]: {**person, **{name: found.get(person["salesperson_id"], []) for name, found in (
                ("accepted", accepted), ("rejected", rejected), ("still_open", still_open), ("settled", settled))},
            "counts": compare(counts, person["salesperson_id"]), "deadline": deadline} for person in people}


def _by_person(found: list[dict]) -> dict[str, list[dict]]:
    """Rows (with salesperson_id) grouped by salesperson, the column dropped, in their order."""
    grouped: dict[str, list[dict]] = {}
    for row in found:
        grouped.setdefault(row.pop("salesperson_id"), []).append(row)
    return grouped


def _problems(con, where: str, params: dict, owners: dict[str, str]) -> dict[str, list[dict]]:
    """Everyone's rejects that match `where`, each with its fix, grouped by salesperson (one query for the day,
    not one per person). A row with no usable salesperson (its 业务员 a formula never calculated, realworld/03;
    a name not in the roster) goes to the owner its file name says (`owners`), whose file it is — it still counts
    for the team only (metrics.md)."""
    sql = f"""select r.salesperson_id, {PROBLEM_COLUMNS} from rejects r where {where}
              order by day, r.file, r.sheet, r.row_number nulls first, r.column_name"""
    found = dicts(con, sql, {k: v for k, v in params.items() if f"${k}" in sql})  # DuckDB refuses unused ones
    for problem in found:
        problem["fix"] = how_to_fix(problem.pop("kind"), problem["column_name"], problem["reason"])
        problem["salesperson_id"] = problem["salesperson_id"] or owners.get(problem["file"])
    return _by_person(found)


def _file_owners(con) -> dict[str, str]:
    """{file: salesperson_id} for the files of rejected rows without a salesperson, where the file name names one
    person of the roster (日志表_张三_20261126.xlsx → S001)."""
    roster = Roster.of(con)
    owners = {}
    for (file,) in query_rows(con, "select distinct file from rejects where salesperson_id is null"):
        if found := roster.only(context_from_file_name(Path(file).stem).salesperson):
            owners[file] = found
    return owners


def compare(day_rows: list[dict], sp: str) -> list[tuple]:
    """(label, mine, median of everyone with a row that day, rank (1 = most; ties share the best), n) for each
    count; rates: (label, mine, median, None, n). Empty when the person has no counted row that day."""
    me = next((r for r in day_rows if r["salesperson_id"] == sp), None)
    if me is None:
        return []
    out = []
    for column, label in COUNTS + RATES:
        values = [r[column] for r in day_rows if r[column] is not None]
        median = statistics.median(values) if values else None
        rank = None
        if column not in dict(RATES) and me[column] is not None:
            rank = 1 + sum(v > me[column] for v in values)
        out.append((label, me[column], median, rank, len(values)))
    return out


def deadline_text(deadline: dt.datetime) -> str:
    return f"{deadline.month}月{deadline.day}日（周{WEEKDAYS[deadline.weekday()]}）{deadline:%H:%M}"


def write_feedback(person: dict, day: dt.date, out_dir: Path) -> Path:
    """The workbook: 退回 (first), 早先的问题 (still open, settled), 已接受, 与全组对比."""
    wb = Workbook(write_only=True)
    problem_header = ["日期", "客户名称", "联系人", "列", "填写的值", "原因", "改法", "文件", "工作表", "行号"]
    problem_formats = [None] * 9 + ["count"]

    def problem_rows(problems, status=None):
        return [[p["day"], p["customer_name"], p["contact"], p["column_name"], p["value"], p["reason"], p["fix"],
                 p["file"], p["sheet"], p["row_number"], *([status] if status else [])] for p in problems]

    rejected = wb.create_sheet("退回（请更正后重交）")
    _table(rejected, problem_header, problem_rows(person["rejected"]), problem_formats)
    earlier = wb.create_sheet("早先的问题")
    _table(earlier, [*problem_header, "状态"], problem_rows(person["still_open"], "仍待更正")
           + problem_rows(person["settled"], "已更正"), [*problem_formats, None])
    ws = wb.create_sheet("已接受")
    _table(ws, ["日期", "客户名称", "客户编码", "跟单号", "联系人", "联系电话", "联系方式", "跟进状态", "结果", "标记", "来源文件", "行号"],
           [list(r.values()) for r in person["accepted"]], [None] * 7 + ["count"] + [None] * 3 + ["count"])
    compare_sheet = wb.create_sheet("与全组对比")
    _table(compare_sheet, ["项目", "本人", "当天交日志者的中位数", "名次", "人数"], [list(c) for c in person["counts"]],
           [None, "count", "count", "count", "count"],
           row_formats={len(COUNTS) + i: [None, "rate", "rate", None, "count"] for i in range(len(RATES))})
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"反馈_{file_part(person['name'])}_{file_part(person['salesperson_id'])}_{day.isoformat()}.xlsx"
    wb.save(path)
    return path


def render_feedback(person: dict, day: dt.date, attachment: str) -> tuple[str, str, str]:
    """(subject, text, html) of a salesperson's feedback mail (templates feedback_email.*.j2, autoescaped)."""
    rows = {(p["file"], p["sheet"], p["row_number"]) for p in person["rejected"] if p["row_number"] is not None}
    context = dict(p=person, day=day, rows=len(rows), deadline=deadline_text(person["deadline"]),
                   attachment=attachment, rate_labels=dict(RATES).values())
    subject = (f"日志核对反馈 {day.isoformat()} {person['name']}"
               + (f"：退回 {len(rows)} 行，请在 {context['deadline']} 前更正" if rows else ""))
    env = environment()
    return (subject, env.get_template("feedback_email.txt.j2").render(**context),
            env.get_template("feedback_email.html.j2").render(**context))


def render_leavers(leavers: list[dict], day: dt.date) -> tuple[str, str, str]:
    """(subject, text, html) of the 行政经理's list: one entry per row handed in, its problems joined."""
    grouped = by_row(leavers)
    subject = f"离职业务员交来的日志 {day.isoformat()}：{len(grouped)} 行"
    env = environment()
    return (subject, env.get_template("leavers_email.txt.j2").render(rows=grouped, day=day),
            env.get_template("leavers_email.html.j2").render(rows=grouped, day=day))


def make_feedback(config: Config, day: dt.date, out_dir: Path, send: bool = False) -> tuple[list[Path], list[str]]:
    """Write every salesperson's workbook; with send, mail each to that salesperson alone (once: the
    deliveries ledger) and the leavers' rows to the 行政经理. Raises DeliveryFailed (after everyone was tried)."""
    con = connect(config.warehouse, read_only=True)
    try:
        people = feedback_rows(con, day, config.raw)
        leavers = leaver_rows(con, day)
    finally:
        con.close()
    paths, messages, notes = [], [], []
    settings = MailSettings.from_config(config.raw)
    for sp, person in people.items():
        path = write_feedback(person, day, out_dir)
        paths.append(path)
        if not person["email"]:
            notes.append(f"{person['name']}（{sp}）没有邮箱，反馈表只写入 {path} / no e-mail address")
            continue
        subject, text, html = render_feedback(person, day, path.name)
        message = build_message(subject, settings.sender, [person["email"]], text, html, [path])
        messages.append(Outgoing("feedback", day, sp, path.stem, message))
    if leavers:
        managers = settings.role_addresses(("行政经理",))
        subject, text, html = render_leavers(leavers, day)
        if managers:
            messages.append(Outgoing("leavers", day, "", f"离职业务员日志_{day.isoformat()}",
                                     build_message(subject, settings.sender, managers, text, html, [])))
        else:
            notes.append(f"{subject}：配置中没有行政经理的邮箱 / no 行政经理 address in [mail.recipients]")
    if send:
        try:
            notes += deliver(messages, settings, out_dir, config.warehouse, config.writing)
        except DeliveryFailed as exc:
            exc.notes[:0] = notes
            exc.paths = paths
            raise
    return paths, notes
