"""E-mail through a real SMTP server on 127.0.0.1 (aiosmtpd), parsed back as a mail client would."""
import email
import email.policy
import re

import pytest

from reports import make_report
from reports.feedback import make_feedback
from reporting import MON, build


@pytest.fixture
def built(project):
    return build(project)


def parse(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_daily_report_arrives_whole_in_chinese(built, smtp, tmp_path):
    paths, notes = make_report(built.config, "daily", MON, ["html", "xlsx"], tmp_path, send=True)
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == ["admin-manager@example.com", "general-manager@example.com"]
    message = parse(envelope)
    assert message["Subject"] == "销售日报（2026-11-23）"
    assert message.get_content_type() == "multipart/mixed"
    body, *attachments = message.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "multipart/related"]
    html = body.get_body(("html",)).get_content()
    assert "<script" not in html and "全组合计" in html
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("销售日报_2026-11-23.html", "text/html"),
        ("销售日报_2026-11-23.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    for attachment, path in zip(attachments, paths):
        assert attachment.get_payload(decode=True) == path.read_bytes()
    assert b"filename*=utf-8''" in envelope.content  # RFC 2231 for the Chinese file names
    assert "张三" in body.get_body(("plain",)).get_content()


def test_the_charts_ride_in_the_mail_as_png_parts_the_body_shows_by_cid(built, smtp, tmp_path):
    """Issue 15: mail clients do not render SVG nor run scripts; the daily's three charts (methods, trend,
    funnel) are PNG parts related to the HTML body, each shown by <img src="cid:…">."""
    make_report(built.config, "daily", MON, ["html"], tmp_path, send=True)
    message = parse(smtp.envelopes[0])
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    html_part, *images = related.iter_parts()
    assert html_part.get_content_type() == "text/html" and [i.get_content_type() for i in images] == ["image/png"] * 3
    html = html_part.get_content()
    shown = re.findall(r'<img src="cid:([^"]+)" alt="([^"]+)"', html)
    assert [cid for cid, _ in shown] == [i["Content-ID"].strip().strip("<>") for i in images]
    assert [title[:6] for _, title in shown] == ["各业务员联系", "全组趋势（最", "跟进阶段漏斗"]
    for image in images:
        data = image.get_payload(decode=True)
        assert data.startswith(b"\x89PNG") and image.get_content_disposition() == "inline"
    assert message["Date"]  # build_message still dates the message


def test_temporary_refusal_is_retried(built, smtp, tmp_path):
    smtp.refuse_next = 1
    make_report(built.config, "daily", MON, ["xlsx"], tmp_path, send=True)
    assert len(smtp.envelopes) == 1


def test_each_salesperson_gets_only_their_own_feedback(built, smtp, tmp_path):
    make_feedback(built.config, MON, tmp_path, send=True)
    received = {tuple(e.rcpt_tos): parse(e) for e in smtp.envelopes}
    assert set(received) == {("zhangsan@example.com",), ("lisi@example.com",)}
    (zhang_file,) = [a.get_filename() for a in received[("zhangsan@example.com",)].iter_attachments()]
    (li_file,) = [a.get_filename() for a in received[("lisi@example.com",)].iter_attachments()]
    assert "张三" in zhang_file and "李四" in li_file


def test_without_smtp_settings_send_writes_eml_files_and_says_so(built, tmp_path):
    paths, notes = make_report(built.config, "daily", MON, ["html"], tmp_path, send=True)
    (note,) = notes
    assert "未配置 SMTP" in note
    message = email.message_from_bytes((tmp_path / "销售日报_2026-11-23.eml").read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "销售日报（2026-11-23）"


def test_a_slash_in_a_name_does_not_stop_anyones_feedback(project, smtp, tmp_path):
    from conftest import LOG_HEADER, ROSTER, log_row

    project.add_roster([*ROSTER, ["S004", "陈/晨", "CC", "在职", MON, None, "", "chen@example.com"],
                        ["S005", "..", "CC", "在职", MON, None, "", "dots@example.com"]])
    project.add("log.xlsx", [LOG_HEADER, log_row(MON, "陈/晨", "天津甲有限公司"), log_row(MON, "..", "天津乙有限公司"),
                             log_row(MON, "张三", "天津丙有限公司")])
    project.ingest()
    paths, _ = make_feedback(project.config, MON, tmp_path / "fb", send=True)
    assert sorted(p.name for p in paths) == sorted(["反馈_张三_S001_2026-11-23.xlsx", "反馈_陈_晨_S004_2026-11-23.xlsx",
                                                    "反馈___S005_2026-11-23.xlsx"])
    assert all(p.parent == tmp_path / "fb" for p in paths)
    assert sorted(r for e in smtp.envelopes for r in e.rcpt_tos) == [
        "chen@example.com", "dots@example.com", "zhangsan@example.com"]


def test_a_batch_killed_after_the_server_accepted_is_not_sent_again(built, smtp, tmp_path):
    """The journal line written the moment the server accepted survives a kill before the batch's end."""
    import json

    warehouse = built.config.warehouse
    journal = warehouse.with_name(warehouse.name + ".deliveries.jsonl")
    journal.write_text(json.dumps({"kind": "feedback", "period": MON.isoformat(), "item": "S001",
                                   "recipient": "zhangsan@example.com", "status": "sent", "reply": "250 OK",
                                   "attempts": 1, "sent_at": "2026-11-23T10:00:00+00:00",
                                   "subject": "日志核对反馈 2026-11-23 张三"}, ensure_ascii=False)
                       + "\n" + '{"kind": "feedback", "per', encoding="utf-8")  # the half line of the kill
    paths, notes = make_feedback(built.config, MON, tmp_path, send=True)
    assert [e.rcpt_tos for e in smtp.envelopes] == [["lisi@example.com"]]
    assert any("已发送过" in n and "zhangsan@example.com" in n for n in notes)
    assert not journal.exists()
    assert built.query("select item, recipient, status, attempts from deliveries order by item") == [
        ("S001", "zhangsan@example.com", "sent", 1), ("S002", "lisi@example.com", "sent", 1)]


def test_messages_carry_a_date_header(built, smtp, tmp_path):
    import datetime as dt

    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    make_report(built.config, "daily", MON, ["html"], tmp_path / "sent", send=True)
    make_feedback(built.config, MON, tmp_path / "fb", send=True)
    after = dt.datetime.now(dt.timezone.utc)
    dates = [parse(e)["Date"].datetime for e in smtp.envelopes]
    assert len(dates) == 3 and all(before <= d <= after for d in dates)  # the report and two feedback mails


def test_an_eml_file_carries_a_date_header(built, tmp_path):
    import datetime as dt

    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    make_report(built.config, "daily", MON, ["html"], tmp_path, send=True)
    message = email.message_from_bytes((tmp_path / "销售日报_2026-11-23.eml").read_bytes(), policy=email.policy.default)
    assert before <= message["Date"].datetime <= dt.datetime.now(dt.timezone.utc)
