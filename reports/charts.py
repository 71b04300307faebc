"""The report's charts as static images drawn with matplotlib: inline SVG in the HTML report, PNG in the
e-mail body (mail clients do not show SVG). No script anywhere.

    charts = draw(report)        # [Chart(key, title, svg, png), ...]

spec/reports.md says "plotly charts"; issue 15 overrides it: each mail must be ≤ 1.5 MB with its
attachments, and the charts must show with scripts off (mobile previews, mail clients). Measured on the demo
month (`./run demo`: 12 salespeople, 2026-11, reports of 11-30), `len(message.as_bytes())`:

    mail      plotly.js inline in the HTML   static charts   (its HTML report: before → after)
    daily     6,614,916 bytes                  244,882        4,859,564 →  96,004
    weekly    6,631,983 bytes                  259,066        4,869,390 → 104,372
    monthly   6,669,169 bytes                  806,922        4,887,695 → 471,971 (most of it the drill-down)

tests/test_demo.py keeps each mail ≤ 1.5 MB.

Font: the CJK font WenQuanYi Micro Hei (Debian's fonts-wqy-microhei; .ci/run installs it), then the other
families of FONTS. When none of the CJK families is installed, matplotlib falls back to DejaVu Sans and warns
"UserWarning: Glyph … missing from font(s) DejaVu Sans" for each Chinese character: the PNG images then show
the Chinese labels as empty boxes (the numbers, bars and colours are still right); nothing fails. The SVG keeps its text as text
(svg.fonttype none), so the browser draws it with whatever CJK font the reader's machine has.

Sizes are set for a phone: 4.8 in wide (461 CSS px for the SVG), 11 pt text (10 pt in legends and bar
labels), shown with max-width:100%, so at 390 px the text is still 11-12 px; PNG at 160 dpi (768 px wide,
sharp on a 1.6× screen).
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import matplotlib
from matplotlib.figure import Figure

from reports.data import METHODS, Report

FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "DejaVu Sans"]
WIDTH = 4.8  # inches; the SVG's intrinsic width is 72 × 4.8 pt = 461 CSS px
PNG_DPI = 160
PNG_COLORS = 64  # the charts' few colours and the anti-aliased edges between them
COLORS = {"calls": "#2f6db5", "faxes": "#8e44ad", "emails": "#27ae60", "visits": "#e67e22",
          "closed_customers": "#c0392b", "scores": "#2f6db5", "funnel": "#2f6db5", "gantt": "#2f6db5"}
STYLE = {"font.family": "sans-serif", "font.sans-serif": FONTS, "font.size": 11, "axes.unicode_minus": False,
         "text.parse_math": False,  # names from sheets are text: a $ is a dollar sign, never mathtext
         "svg.fonttype": "none", "svg.hashsalt": "salespipe", "axes.spines.top": False, "axes.spines.right": False,
         "legend.frameon": False}
GANTT_TOP = 40  # customers on the monthly 销售业绩跟踪 chart, the largest by sales


@dataclass(frozen=True)
class Chart:
    """One chart: key (methods / trend / funnel / scores / gantt), its Chinese title, the SVG text
    (without XML prolog, to inline in HTML) and the PNG bytes (for the mail)."""
    key: str
    title: str
    svg: str
    png: bytes


def label(person: dict) -> str:
    """A salesperson's category label: `label` (name with 工号 where two share a name) or the name."""
    return person.get("label") or person["name"]


def draw(report: Report) -> list[Chart]:
    """Every chart of the report: methods, trend, funnel; the monthly adds scores and gantt."""
    with matplotlib.rc_context(STYLE):
        figures = [("methods", "各业务员联系方式（电话 / 传真 / E-mail / 面访）", methods(report)),
                   ("trend", "全组趋势（最近各期）", trend(report)),
                   ("funnel", "跟进阶段漏斗（至少达到各阶段的客户数，及较上一阶段的转化率）", funnel(report))]
        if report.kind == "monthly":
            figures.append(("scores", "综合得分", scores(report)))
            figures.append(("gantt", f"销售业绩跟踪（各客户每月签单金额，{gantt_shown(report)}）", gantt(report)))
        return [Chart(key, title, _svg(fig), _png(fig)) for key, title, fig in figures]


def gantt_shown(report: Report) -> str:
    """What the gantt shows, for its title: 「按金额前 40 位」 when there are GANTT_TOP customers or more, else
    「共 9 位，按金额排列」 or 「期间内没有订单」 (issue 15: 「前 40 位」 over 9 lines)."""
    customers = len({g["customer_code"] for g in report.extra.get("gantt", [])})
    if customers >= GANTT_TOP:
        return f"按金额前 {GANTT_TOP} 位"
    return f"共 {customers} 位，按金额排列" if customers else "期间内没有订单"


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    return text[text.index("<svg"):]


def _png(fig: Figure) -> bytes:
    """The figure as an 8-bit palette PNG (PNG_COLORS colours: a third of the full-colour file's size)."""
    from PIL import Image

    drawn = io.BytesIO()
    fig.savefig(drawn, format="png", dpi=PNG_DPI, metadata={"Software": None})
    out = io.BytesIO()
    Image.open(drawn).convert("RGB").quantize(PNG_COLORS).save(out, format="png", optimize=True)
    return out.getvalue()


def _figure(rows: int, row_height: float = 0.32, extra: float = 0.9) -> Figure:
    return Figure(figsize=(WIDTH, extra + row_height * max(rows, 1)), layout="constrained")


def _empty(ax, text: str = "本期没有数据") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#888")
    ax.set_axis_off()


def methods(report: Report) -> Figure:
    """Stacked horizontal bars: per salesperson (top to bottom as in the table) the rows by 联系方式, the total at the end."""
    people = [p for p in report.people if p["salesperson_id"] is not None]
    fig = _figure(len(people))
    ax = fig.subplots()
    if not people:
        _empty(ax)
        return fig
    lines = range(len(people))  # positions, not names: two salespeople may share a name
    left = [0] * len(people)
    for col, name in METHODS:
        values = [p[col] for p in people]
        ax.barh(lines, values, left=left, color=COLORS[col], label=name, height=0.65)
        left = [a + b for a, b in zip(left, values)]
    for y, total in enumerate(left):
        ax.text(total, y, f" {total}", va="center", fontsize=10)
    ax.set_yticks(lines, [label(p) for p in people])
    ax.set_ylim(len(people) - 0.5, -0.5)
    ax.set_xlim(0, max(max(left), 1) * 1.12)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, fontsize=10, handlelength=1, columnspacing=1)
    return fig


def period_label(kind: str, period: dt.date) -> str:
    """11-23 for a day or a week (its Monday), 11月 for a month (2026年1月 for January)."""
    if kind != "monthly":
        return f"{period:%m-%d}"
    return f"{period.year}年{period.month}月" if period.month == 1 else f"{period.month}月"


def trend(report: Report) -> Figure:
    """Lines over the last periods with data: the team's rows by 联系方式 and its 成单客户."""
    fig = Figure(figsize=(WIDTH, 3.2), layout="constrained")
    ax = fig.subplots()
    if not report.trend:
        _empty(ax)
        return fig
    periods = [period_label(report.kind, t["period"]) for t in report.trend]
    for col, name in [*METHODS, ("closed_customers", "成单客户")]:
        ax.plot(periods, [t[col] for t in report.trend], marker="o", markersize=3, color=COLORS[col], label=name)
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelrotation=45 if len(periods) > 6 else 0, labelsize=9)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=5, fontsize=10, handlelength=1.2, columnspacing=0.8)
    return fig


def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def funnel(report: Report) -> Figure:
    """A real funnel: per stage 1-7 a centred bar as wide as the customers who reached at least that stage,
    its name and count above it, and the conversion from the stage before."""
    steps = report.funnel
    fig = _figure(len(steps), row_height=0.5, extra=0.3)
    ax = fig.subplots()
    widest = max([s["customers"] for s in steps] or [0])
    if not widest:
        _empty(ax, "本期没有填写跟进状态的日志行")
        return fig
    for y, step in enumerate(steps):
        n = step["customers"]
        ax.barh(y, max(n, widest * 0.004), left=(widest - n) / 2, height=0.42, color=COLORS["funnel"])
        ratio = "" if step["stage"] == 1 else f"，较上一阶段 {percent(step['conversion'])}"
        ax.text(0, y - 0.26, f"{step['stage']}. {step['name']}：{n} 位客户{ratio}", fontsize=10, va="bottom")
    ax.set_ylim(len(steps) - 0.5, -0.85)
    ax.set_xlim(0, widest)
    ax.set_axis_off()
    return fig


def scores(report: Report) -> Figure:
    """综合得分 per salesperson, best first; a salesperson without a 综合 (a sub-score missing) is shown as —."""
    scored = [s for s in report.extra["scores"] if s["salesperson_id"] is not None]
    fig = _figure(len(scored))
    ax = fig.subplots()
    if not scored:
        _empty(ax)
        return fig
    scored.sort(key=lambda s: (s["composite_score"] is None, -(s["composite_score"] or 0)))
    values = [float(s["composite_score"] or 0) for s in scored]
    ax.barh(range(len(scored)), values, color=COLORS["scores"], height=0.6)
    for y, s in enumerate(scored):
        text = "—" if s["composite_score"] is None else f"{float(s['composite_score']):.1f}"
        ax.text(values[y], y, f" {text}", va="center", fontsize=10)
    ax.set_yticks(range(len(scored)), [label(s) for s in scored])
    ax.set_ylim(len(scored) - 0.5, -0.5)
    ax.set_xlim(0, max(max(values), 1) * 1.15)
    return fig


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def short_amount(value: float) -> str:
    """12800 -> 1.3万, 8000 -> 8000: fits a month's bar."""
    return f"{value / 10000:.1f}万" if value >= 10000 else f"{value:.0f}"


def short_name(name: str | None, code: str, width: int = 10) -> str:
    name = name or code
    return name if len(name) <= width else name[:width - 1] + "…"


def gantt(report: Report, top: int = GANTT_TOP) -> Figure:
    """Gantt-style 销售业绩跟踪: one line per customer (the `top` by the sales shown, largest first), a bar over
    every month with sales, labelled with the amount; months in Chinese (11月, 2026年1月)."""
    rows = report.extra["gantt"]
    totals: dict[str, float] = {}
    for row in rows:
        totals[row["customer_code"]] = totals.get(row["customer_code"], 0.0) + float(row["amount"])
    shown = sorted(totals, key=lambda c: (-totals[c], c))[:top]
    fig = _figure(len(shown), row_height=0.24, extra=0.8)
    ax = fig.subplots()
    if not shown:
        _empty(ax, "期间内没有订单")
        return fig
    months = months_between(report.extra.get("gantt_first") or min(r["month"] for r in rows), report.end)
    place = {m: i for i, m in enumerate(months)}
    line = {code: i for i, code in enumerate(shown)}
    for row in rows:
        if row["customer_code"] in line and row["month"] in place:
            x, y = place[row["month"]], line[row["customer_code"]]
            ax.barh(y, 0.92, left=x + 0.04, height=0.7, color=COLORS["gantt"])
            ax.text(x + 0.5, y, short_amount(float(row["amount"])), ha="center", va="center", color="white", fontsize=8)
    names = {r["customer_code"]: r["customer"] for r in rows}
    ax.set_yticks(range(len(shown)), [short_name(names.get(c), c) for c in shown], fontsize=10)
    ax.set_xticks([i + 0.5 for i in range(len(months))],
                  [f"{m.year}年{m.month}月" if i == 0 or m.month == 1 else f"{m.month}月" for i, m in enumerate(months)],
                  fontsize=9, rotation=45)
    ax.set_xlim(0, len(months))
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.xaxis.tick_top()
    return fig

