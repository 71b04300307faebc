"""HTML of a report: the full page (charts as inline SVG, drill-down with <details>; opens offline, no
script) and the e-mail body (inline CSS, tables, the charts as PNG images referenced by cid:, no script).
Every value from a sheet is escaped by jinja2; the SVG comes from reports/charts.py, whose text matplotlib
escapes."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from reports.charts import Chart, draw
from reports.data import COUNTS, DRILL_FILES, DRILL_LIMIT, METHODS, RATES, SCORE_COLUMNS, Report
from salespipe.ingest.values import STAGE_NAMES

TEMPLATES = Path(__file__).resolve().parent / "templates"


def rate(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def score(value) -> str:
    return "—" if value is None else f"{value:.1f}"


def change(value, is_rate: bool = False) -> str:
    if value is None:
        return "—"
    if is_rate:
        return f"{value:+.1f}个百分点" if value else "0"
    return f"{value:+,.0f}" if value else "0"


def money(value) -> str:
    return "—" if value is None else f"{float(value):,.2f}"


# The mail's activity table at 390 px: two rows per person under short headers (no header wraps one character a line)
SHORT_COLUMNS = [("calls", "电话"), ("faxes", "传真"), ("emails", "E-mail"), ("visits", "面访"), ("bc_customers", "BC类客户"),
                 ("closed_customers", "成单客户"), ("lost_customers", "丢单客户"), ("new_customers", "新增客户"),
                 ("win_rate", "成单率"), ("loss_rate", "丢单率")]
TONE_COLORS = {"good": "#1a7f37", "bad": "#c62828"}  # the HTML report's .good / .bad, the e-mail's inline colours


# The mail body on a phone (issue 15): any list shows at most this many entries, then 「……另有 N 个，见附件报告」;
# the attached HTML report and Excel keep the full lists.
MAIL_LIST_LIMIT = 10


def more(entries, limit: int = MAIL_LIST_LIMIT) -> str:
    """「……另有 2 个，见附件报告」 for a list of 12 (the entries beyond `limit`), "" for a list of `limit` or fewer."""
    extra = len(list(entries)) - limit
    return f"……另有 {extra} 个，见附件报告" if extra > 0 else ""


def nonzero(parts, empty: str = "无") -> str:
    """The clauses of a sentence of counts without those about zero items: [("新客户分配", 3, "条"),
    ("客户回收", 0, "条")] → "新客户分配 3 条"; `empty` when every count is 0 (issue 15: no 「另有 0 条…」)."""
    said = [f"{name} {count} {unit}" for name, count, unit in parts if count]
    return "，".join(said) if said else empty


def amount_yuan(value) -> str:
    """An order amount in 元 as the mail shows it: 6,000 元, 1,234.50 元."""
    number = float(value)
    return f"{number:,.0f} 元" if number == int(number) else f"{number:,.2f} 元"


def as_of(value) -> str:
    return "—（还没有读取过任何文件）" if value is None else f"{value:%Y-%m-%d %H:%M}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(rate=rate, score=score, change=change, money=money, as_of=as_of, more=more, yuan=amount_yuan)
    env.globals.update(COUNTS=COUNTS, RATES=RATES, METHODS=METHODS, SCORE_COLUMNS=SCORE_COLUMNS, STAGE_NAMES=STAGE_NAMES,
                       TONE_COLORS=TONE_COLORS)
    env.globals.update(SHORT_COLUMNS=SHORT_COLUMNS, LIMIT=MAIL_LIST_LIMIT, nonzero=nonzero, DRILL_LIMIT=DRILL_LIMIT,
                       DRILL_FILES=DRILL_FILES)
    return env


def render_html(report: Report, charts: list[Chart] | None = None) -> str:
    """The full report page; `charts` as drawn by reports.charts.draw (drawn here when not given)."""
    svgs = [(c.key, c.title, Markup(c.svg)) for c in (draw(report) if charts is None else charts)]
    return environment().get_template("report.html.j2").render(r=report, charts=svgs)


def render_email(report: Report, attachments: list[str], images: list[tuple[str, str]] = ()) -> str:
    """The mail body; `images`: (title, cid) of each chart's PNG part, shown as <img src="cid:…">."""
    return environment().get_template("email.html.j2").render(r=report, attachments=attachments, images=images)


def render_text(report: Report) -> str:
    return environment().get_template("email.txt.j2").render(r=report)
