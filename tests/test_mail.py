"""E-mail through a real SMTP server on 127.0.0.1 (aiosmtpd), parsed back as a mail client would."""
import email
import email.policy
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
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    html = body.get_body(("html",)).get_content()
    assert "<script" not in html and "全组合计" in html
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("销售日报_2026-11-23.html", "text/html"),
        ("销售日报_2026-11-23.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    for attachment, path in zip(attachments, paths):
        assert attachment.get_payload(decode=True) == path.read_bytes()
    assert b"filename*=utf-8''" in envelope.content  # RFC 2231 for the Chinese file names
    assert "张三" in body.get_body(("plain",)).get_content()


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
