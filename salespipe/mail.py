"""Building and sending messages with the standard library (EmailMessage + smtplib).

multipart/alternative (plain text + HTML without scripts) inside multipart/mixed with the attachments;
non-ASCII file names are encoded per RFC 2231 by the default policy. The password comes only from the
environment variable named in [mail].password_env. Without a host, messages are written as .eml files.
"""
from __future__ import annotations

import mimetypes
import os
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from salespipe.errors import SalespipeError

MIME = {".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ".html": ("text", "html"), ".eml": ("message", "rfc822")}


@dataclass
class MailSettings:
    host: str
    port: int
    security: str
    user: str
    password: str | None
    sender: str
    retries: int
    recipients: dict[str, list[str]]
    retry_wait: float = 2.0

    @classmethod
    def from_config(cls, raw: dict) -> "MailSettings":
        mail = raw.get("mail", {})
        password_env = mail.get("password_env", "SALESPIPE_SMTP_PASSWORD")
        return cls(host=os.environ.get("SALESPIPE_SMTP_HOST", mail.get("host", "")),
                   port=int(os.environ.get("SALESPIPE_SMTP_PORT", mail.get("port", 587))),
                   security=mail.get("security", "starttls"), user=mail.get("user", ""),
                   password=os.environ.get(password_env), sender=mail.get("sender", "salespipe@localhost"),
                   retries=int(mail.get("retries", 3)), recipients=dict(mail.get("recipients", {})),
                   retry_wait=float(mail.get("retry_wait_seconds", 2.0)))

    def role_addresses(self, roles: tuple[str, ...] = ("行政经理", "总经理")) -> list[str]:
        return [address for role in roles for address in self.recipients.get(role, [])]


def build_message(subject: str, sender: str, to: list[str], text: str, html: str,
                  attachments: list[Path]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr(("销售数据管道", sender))
    message["To"] = ", ".join(to)
    message["Message-ID"] = make_msgid(domain=sender.split("@")[-1] or "salespipe")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for path in attachments:
        maintype, subtype = MIME.get(path.suffix) or (mimetypes.guess_type(path.name)[0] or "application/octet-stream").split("/")
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message


def _temporary(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError))


def send(message: EmailMessage, settings: MailSettings) -> None:
    """Send one message; temporary failures are retried, the last failure raises SalespipeError."""
    for attempt in range(1, settings.retries + 1):
        try:
            _send_once(message, settings)
            return
        except Exception as exc:
            if not _temporary(exc) or attempt == settings.retries:
                raise SalespipeError(f"邮件发送失败：{message['Subject']}", f"sending failed: {exc!r}") from exc
            time.sleep(settings.retry_wait * attempt)


def _send_once(message: EmailMessage, settings: MailSettings) -> None:
    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, context=ssl.create_default_context(), timeout=30)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=30)
    with client:
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.send_message(message)


def deliver(messages: list[tuple[str, EmailMessage]], settings: MailSettings, out_dir: Path) -> list[str]:
    """Send every (name, message), or write name.eml files when no SMTP host is configured."""
    if not settings.host:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, message in messages:
            path = out_dir / f"{name}.eml"
            path.write_bytes(bytes(message))
            written.append(f"未配置 SMTP 服务器，邮件已写入 no SMTP host configured, written to {path}")
        return written
    for _, message in messages:
        send(message, settings)
    return [f"已发送 sent: {message['Subject']} → {message['To']}" for _, message in messages]
