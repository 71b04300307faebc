"""HTML of a report: the full page (plotly charts, plotly.js inline so it opens offline) and the e-mail
body (inline CSS, tables and CSS bars, no script). Every value from a sheet is escaped by jinja2."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader
from plotly.offline import get_plotlyjs

from reports.data import COUNTS, METHODS, RATES, SCORE_COLUMNS, Report
from salespipe.ingest.values import STAGE_NAMES

TEMPLATES = Path(__file__).resolve().parent / "templates"
FONT = "WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif"


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


def as_of(value) -> str:
    return "—（还没有读取过任何文件）" if value is None else f"{value:%Y-%m-%d %H:%M}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(rate=rate, score=score, change=change, money=money, as_of=as_of)
    env.globals.update(COUNTS=COUNTS, RATES=RATES, METHODS=METHODS, SCORE_COLUMNS=SCORE_COLUMNS, STAGE_NAMES=STAGE_NAMES,
                       TONE_COLORS=TONE_COLORS)
    env.globals.update(SHORT_COLUMNS=SHORT_COLUMNS)
    return env


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=40, r=20, t=50, b=40), font=dict(family=FONT),
                      legend=dict(orientation="h", y=-0.2), template="plotly_white")
    return fig


def figures(report: Report) -> list[tuple[str, go.Figure]]:
    people = [p for p in report.people if p["salesperson_id"] is not None]
    names = [f"{p['name']}（{p['salesperson_id']}）" for p in people]  # two people may share a name
    charts = []
    methods = go.Figure([go.Bar(name=label, x=names, y=[p[col] for p in people]) for col, label in METHODS])
    methods.update_layout(barmode="stack")
    charts.append(("methods", _layout(methods, "各业务员联系方式（电话 / 传真 / E-mail / 面访）")))
    periods = [t["period"].isoformat() for t in report.trend]
    trend = go.Figure([go.Scatter(name=label, x=periods, y=[t[col] for t in report.trend], mode="lines+markers")
                       for col, label in [*METHODS, ("closed_customers", "成单客户")]])
    trend.update_xaxes(type="category")
    charts.append(("trend", _layout(trend, "全组趋势（最近各期）")))
    funnel = go.Figure(go.Funnel(y=[f"{s}. {STAGE_NAMES[s]}" for s, _ in report.funnel],
                                 x=[n for _, n in report.funnel], textinfo="value"))
    charts.append(("funnel", _layout(funnel, "跟进阶段漏斗（期间内各客户达到的最远阶段）", 420)))
    if report.kind == "monthly":
        scored = [s for s in report.extra["scores"] if s["salesperson_id"] is not None]
        scores = go.Figure(go.Bar(x=[f"{s['name']}（{s['salesperson_id']}）" for s in scored],
                                  y=[s["composite_score"] for s in scored]))
        charts.append(("scores", _layout(scores, "综合得分")))
        shown = min(GANTT_TOP, len({g["customer_code"] for g in report.extra["gantt"]}))
        charts.append(("gantt", _layout(gantt(report), f"销售业绩跟踪（各客户每月签单金额，按金额前 {GANTT_TOP} 位）",
                                        max(360, 28 * shown + 120))))
    return charts


GANTT_TOP = 40  # customers on the monthly gantt chart, the largest by sales


def gantt(report: Report, top: int = GANTT_TOP) -> go.Figure:
    """Gantt-style: one line per customer (the `top` by sales), a bar over every month with sales,
    labelled with the amount — one trace, so a year of orders stays light."""
    totals: dict[str, float] = {}
    for row in report.extra["gantt"]:
        totals[row["customer"]] = totals.get(row["customer"], 0.0) + float(row["amount"])
    shown = set(sorted(totals, key=lambda c: (-totals[c], c))[:top])
    rows = [r for r in report.extra["gantt"] if r["customer"] in shown]
    ends = [(r["month"].replace(day=28) + dt.timedelta(days=4)).replace(day=1) for r in rows]
    fig = go.Figure(go.Bar(
        x=[(end - r["month"]).days * 86400000 for r, end in zip(rows, ends)],
        base=[r["month"].isoformat() for r in rows], y=[r["customer"] for r in rows], orientation="h",
        text=[f"{float(r['amount']):,.0f}" for r in rows], textposition="inside", marker_color="#2f6db5",
        customdata=[f"{r['month']:%Y-%m}: {float(r['amount']):,.2f} 元" for r in rows],
        hovertemplate="%{y} %{customdata}<extra></extra>", showlegend=False))
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed")
    return fig


def render_html(report: Report) -> str:
    charts = [(key, fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}",
                                config={"displayModeBar": False, "responsive": True})) for key, fig in figures(report)]
    return environment().get_template("report.html.j2").render(r=report, charts=charts, plotly_js=get_plotlyjs())


def render_email(report: Report, attachments: list[str]) -> str:
    peak = max([sum(p[c] for c, _ in METHODS) for p in report.people if p["salesperson_id"]] or [1]) or 1
    return environment().get_template("email.html.j2").render(r=report, peak=peak, attachments=attachments)


def render_text(report: Report) -> str:
    return environment().get_template("email.txt.j2").render(r=report)
