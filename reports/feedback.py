"""`salespipe feedback`: each salesperson's checked sheet back, before 9:00 the next day.

One workbook per salesperson with rows that day: their accepted rows with 客户编码 and 跟单号 (and the
marks 非全称 / 地址不完整 / 状态与结果不一致), their rejected rows with every reason, and their counts next
to the team's. Each goes only to that salesperson's own address.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from markupsafe import escape
from openpyxl import Workbook

from reports.data import COUNTS, RATES
from reports.excel import _table
from salespipe.config import Config
from salespipe.excel import file_part
from salespipe.mail import DeliveryFailed, MailSettings, Outgoing, build_message, deliver
from salespipe.warehouse import connect, dicts


def feedback_rows(con, day: dt.date) -> dict[str, dict]:
    people = dicts(con, """
        select distinct p.salesperson_id, p.name, p.email from salespeople p
        where p.salesperson_id in (select salesperson_id from activities where activity_date = ?
                                   union select salesperson_id from rejects
                                   where coalesce(row_date, received_on) = ? and superseded_by is null)
        order by 1""", [day, day])
    out = {}
    for person in people:
        sp = person["salesperson_id"]
        accepted = dicts(con, """
            select activity_date, customer_name, customer_code, followup_no, contact, phone, method, stage, result,
                   array_to_string(flags, '、') as flags, source_file, source_row
            from activities where salesperson_id = ? and activity_date = ? order by source_file, source_row""", [sp, day])
        rejected = dicts(con, """
            select file, sheet, row_number, column_name, value, reason from rejects
            where salesperson_id = ? and coalesce(row_date, received_on) = ? and superseded_by is null
            order by file, sheet, row_number nulls first, column_name""", [sp, day])
        mine = dicts(con, "select * from mart_activity_daily where activity_date = ? and salesperson_id = ?", [day, sp])
        team = dicts(con, "select * from mart_activity_daily where activity_date = ? and salesperson_id is null", [day])
        out[sp] = {**person, "accepted": accepted, "rejected": rejected, "mine": mine[0] if mine else {},
                   "team": team[0] if team else {}}
    return out


def write_feedback(person: dict, day: dt.date, out_dir: Path) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("已接受")
    _table(ws, ["日期", "客户名称", "客户编码", "跟单号", "联系人", "联系电话", "联系方式", "跟进状态", "结果", "标记", "来源文件", "行号"],
           [list(r.values()) for r in person["accepted"]], [None] * 7 + ["count"] + [None] * 3 + ["count"])
    rejected = wb.create_sheet("退回（请更正后重交）")
    _table(rejected, ["文件", "工作表", "行号", "列", "填写的值", "原因"], [list(r.values()) for r in person["rejected"]],
           [None, None, "count", None, None, None])
    compare = wb.create_sheet("与全组对比")
    _table(compare, ["项目", "本人", "全组"],
           [[label, person["mine"].get(col), person["team"].get(col)] for col, label in COUNTS + RATES],
           [None, "count", "count"], row_formats={len(COUNTS) + i: [None, "rate", "rate"] for i in range(len(RATES))})
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"反馈_{file_part(person['name'])}_{file_part(person['salesperson_id'])}_{day.isoformat()}.xlsx"
    wb.save(path)
    return path


def make_feedback(config: Config, day: dt.date, out_dir: Path, send: bool = False) -> tuple[list[Path], list[str]]:
    con = connect(config.warehouse, read_only=True)
    try:
        people = feedback_rows(con, day)
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
        rows = {(r["file"], r["sheet"], r["row_number"]) for r in person["rejected"] if r["row_number"] is not None}
        sheets = {(r["file"], r["sheet"]) for r in person["rejected"] if r["row_number"] is None}
        text = (f"{person['name']}：{day.isoformat()} 的销售日志已核对：接受 {len(person['accepted'])} 行，"
                f"退回 {len(rows)} 行" + (f"，{len(sheets)} 个工作表或文件未能读取" if sheets else "")
                + "（原因见附件，请更正后重交）。")
        html = f"<p style=\"font-family:sans-serif;\">{escape(text)}</p>"
        message = build_message(f"日志核对反馈 {day.isoformat()} {person['name']}", settings.sender,
                                [person["email"]], text, html, [path])
        messages.append(Outgoing("feedback", day, sp, path.stem, message))
    if send:
        try:
            notes += deliver(messages, settings, out_dir, config.warehouse, config.writing)
        except DeliveryFailed as exc:
            exc.notes[:0] = notes
            exc.paths = paths
            raise
    return paths, notes

