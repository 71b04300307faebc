"""Daily, weekly and monthly reports (HTML + Excel), e-mailed to the managers; feedback workbooks.

    paths = make_report(config, "daily", date(2026, 11, 26), ["html", "xlsx"], out_dir)
    send_report(config, "daily", date(2026, 11, 26), out_dir)

Everything is rendered before anything is sent: a failure while building means no message at all.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from reports.data import KINDS, Report, gather, require_data
from reports.excel import write_excel
from reports.charts import Chart, draw
from reports.render import render_email, render_html, render_text
from salespipe.config import Config
from salespipe.mail import DeliveryFailed, Inline, MailSettings, Outgoing, build_message, content_id, deliver
from salespipe.warehouse import connect


def load_report(config: Config, kind: str, day: dt.date) -> Report:
    settings = config.raw.get("report", {})
    con = connect(config.warehouse, read_only=True)
    try:
        require_data(con, kind, day, config.raw)
        return gather(con, kind, day, int(settings.get("trend_periods", 8)), int(settings.get("top_reasons", 3)),
                      int(settings.get("gantt_months", 12)), config.raw.get("assignment", {}), config.raw)
    finally:
        con.close()


def file_stem(report: Report) -> str:
    """销售日报_2026-11-30 (the day), 销售周报_2026-11-30 (the week's Monday), 销售月报_2026-11 (the month)."""
    period = f"{report.start:%Y-%m}" if report.kind == "monthly" else report.start.isoformat()
    return f"销售{KINDS[report.kind][2]}_{period}"


def write_report(report: Report, formats: list[str], out_dir: Path, charts: list[Chart] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if "html" in formats:
        path = out_dir / f"{file_stem(report)}.html"
        path.write_text(render_html(report, charts), encoding="utf-8")
        paths.append(path)
    if "xlsx" in formats:
        paths.append(write_excel(report, out_dir / f"{file_stem(report)}.xlsx"))
    return paths


def make_report(config: Config, kind: str, day: dt.date, formats: list[str], out_dir: Path,
                send: bool = False) -> tuple[list[Path], list[str]]:
    """Render the report; with send, e-mail it to the managers (or write .eml files without SMTP).
    A manager who already has this period's report is not sent it again; DeliveryFailed names who is missing.
    A period with no data at all raises NoDataForPeriod before anything is written (reports.data.require_data)."""
    report = load_report(config, kind, day)
    charts = draw(report) if send or "html" in formats else []
    paths = write_report(report, formats, out_dir, charts)
    notes: list[str] = []
    if send:
        settings = MailSettings.from_config(config.raw)
        images = [Inline(content_id(f"chart-{c.key}", settings.sender), c.png, f"{c.key}.png") for c in charts]
        html = render_email(report, [p.name for p in paths], [(c.title, i.cid) for c, i in zip(charts, images)])
        message = build_message(report.title, settings.sender, settings.role_addresses(), render_text(report), html,
                                paths, images=images)
        try:
            notes = deliver([Outgoing(kind, report.start, "", file_stem(report), message)], settings, out_dir,
                            config.warehouse, config.writing)
        except DeliveryFailed as exc:
            exc.paths = paths
            raise
    return paths, notes
