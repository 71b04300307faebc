"""What a report shows, read from the marts (the same views analysts query), as plain Python data."""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from salespipe.assign import fairness, recommend, recycle_candidates, rejected_approvals, waiting_approvals
from salespipe.ingest.values import STAGE_NAMES
from salespipe.warehouse import dicts, rows
from salespipe.workdays import feedback_deadline, previous_workday, workdays_between

KINDS = {
    # kind: (grain of activity_counts, period column of its mart, Chinese name)
    "daily": ("day", "activity_date", "日报"),
    "weekly": ("week", "week_start", "周报"),
    "monthly": ("month", "month", "月报"),
}
COUNTS = [("calls", "电话量"), ("faxes", "传真量"), ("emails", "e-mail量"), ("visits", "面访量"),
          ("bc_customers", "BC类客户量"), ("closed_customers", "成单客户量"), ("lost_customers", "丢单客户量"),
          ("new_customers", "新增客户量")]
RATES = [("win_rate", "成单率"), ("loss_rate", "丢单率")]
LOSSES = {"lost_customers", "loss_rate"}  # figures where more is worse: an increase is shown as bad (red)
METHODS = [("calls", "电话"), ("faxes", "传真"), ("emails", "E-mail"), ("visits", "面访")]
SCORE_COLUMNS = [("revenue_score", "销售收入"), ("profit_score", "销售利润"), ("visits_score", "实际拜访数"),
                 ("active_rank_score", "活跃客户数"), ("service_rank_score", "销售执行"), ("per_customer_score", "单户销量"),
                 ("ability_score", "能力"), ("quality_score", "素质"), ("composite_score", "综合")]


WEEKDAYS = "一二三四五六日"


def day_label(day: dt.date) -> str:
    """11-27（周五）"""
    return f"{day:%m-%d}（周{WEEKDAYS[day.weekday()]}）"


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, last day, first day of the previous calendar period) of the period containing `day`."""
    if kind == "daily":
        return day, day, day - dt.timedelta(days=1)
    if kind == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6), start - dt.timedelta(days=7)
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, end, (start - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Comparison:
    """What 较上期 compares: this period's rows up to `through` against the previous period's rows from
    `previous_start` to `previous_through`. `label` names it ("较 11-20（周五）", "较上周（11-16 ~ 11-22）");
    `partial` is the note of a period not yet over ("（本周截至周一，与上周同期比较）"), else ""."""
    through: dt.date
    previous_start: dt.date
    previous_through: dt.date
    label: str
    partial: str = ""


def comparison(kind: str, day: dt.date, config_raw: dict | None = None) -> Comparison:
    """The daily against the previous workday of the work calendar; the weekly / monthly against the previous
    week / month. A week or month whose last workday is still to come (the report's day is before it) counts
    its rows up to the day and compares them with the previous period's first as many workdays."""
    start, end, previous_start = period_bounds(kind, day)
    if kind == "daily":
        before = previous_workday(day, config_raw)
        return Comparison(day, before, before, f"较 {day_label(before)}")
    previous_end = start - dt.timedelta(days=1)
    unit, whole = ("周", f"{previous_start:%m-%d} ~ {previous_end:%m-%d}") if kind == "weekly" else ("月", f"{previous_start:%Y-%m}")
    workdays = workdays_between(start, end, config_raw)
    if not workdays or day >= workdays[-1]:
        return Comparison(end, previous_start, previous_end, f"较上{unit}（{whole}）")
    done = [d for d in workdays if d <= day]
    before = workdays_between(previous_start, previous_end, config_raw)
    if not done:  # the day is before the period's first workday: as many calendar days
        cut = min(previous_end, previous_start + (day - start))
    else:
        cut = before[len(done) - 1] if len(done) <= len(before) else previous_end
    matched = sum(1 for d in before if d <= cut)
    span = day_label(previous_start) if cut == previous_start else f"{day_label(previous_start)} ~ {day_label(cut)}"
    days = (f"各 {len(done)} 个工作日" if matched == len(done) else f"本{unit} {len(done)} 个、上{unit} {matched} 个工作日"
            if done else f"本{unit}尚无工作日，取同样多的日历天数")
    upto = f"周{WEEKDAYS[day.weekday()]}" if kind == "weekly" else day_label(day)
    return Comparison(day, previous_start, cut, f"较上{unit}同期（{span}）",
                      f"（本{unit}截至{upto}，与上{unit}同期比较：{days}）")


@dataclass
class Report:
    kind: str
    title: str
    start: dt.date
    end: dt.date
    people: list[dict]  # one per salesperson, then the team row last
    previous: dict[str | None, dict]  # salesperson_id -> previous period's row
    quality: dict
    trend: list[dict]
    funnel: list[dict]  # funnel(): stage, name, customers (reached at least it), conversion
    extra: dict = field(default_factory=dict)
    comparison: Comparison | None = None  # what 较上期 compares, named
    data_as_of: dt.datetime | None = None  # 数据截至: the latest ingest run in the warehouse (local time)
    definitions: list[tuple[str, str]] = field(default_factory=list)  # 口径: (figure, definition)
    drill: dict = field(default_factory=dict)  # drill_down(): (salesperson_id, column) -> the customers and rows counted

    def behind(self, person: dict, column: str) -> list[dict]:
        """The customers (and their rows) behind a count cell; [] for the team row and empty cells."""
        return self.drill.get((person["salesperson_id"], column), [])

    @property
    def team(self) -> dict:
        return self.people[-1] if self.people and self.people[-1]["salesperson_id"] is None else {}

    @property
    def no_previous(self) -> str:
        """「上月（2026-10）没有数据，无法比较」 when the compared period has no activity row at all (not even the
        team's), else "": said instead of a 较上期 of dashes (issue 15)."""
        if self.previous or self.comparison is None:
            return ""
        return f"{self.comparison.label.removeprefix('较').strip()}没有数据，无法比较"

    def change(self, person: dict, column: str):
        """Current minus previous (counts), or in percentage points (rates); None without a previous value."""
        before = self.previous.get(person["salesperson_id"], {}).get(column)
        now = person.get(column)
        if before is None or now is None:
            return None
        return (now - before) * (100 if column.endswith("_rate") else 1)

    def tone(self, person: dict, column: str) -> str:
        """"good", "bad" or "" for the change of `column`: more is good, but more 丢单 / a higher 丢单率 is bad."""
        value = self.change(person, column)
        if not value:
            return ""
        return "good" if (value > 0) != (column in LOSSES) else "bad"



def gather(con, kind: str, day: dt.date, trend_periods: int = 8, top_reasons: int = 3,
           gantt_months: int = 12, assignment: dict | None = None, config_raw: dict | None = None) -> Report:
    assignment = assignment or {}
    grain, column, name = KINDS[kind]
    start, end, _ = period_bounds(kind, day)
    compared = comparison(kind, day, config_raw)
    order = "order by salesperson_id is null, salesperson_id"
    people = activity(con, grain, column, start, compared.through, f"period = ? {order}", [start])
    previous = {r["salesperson_id"]: r for r in activity(con, grain, column, compared.previous_start,
                                                          compared.previous_through, "period = ?", [compared.previous_start])}
    label = start.isoformat() if kind == "daily" else f"{start.isoformat()} ~ {end.isoformat()}"
    report = Report(kind, f"销售{name}（{label}）", start, end, people, previous,
                    quality(con, start, end, top_reasons), trend(con, grain, column, start, end, trend_periods),
                    funnel(con, start, end), comparison=compared, data_as_of=data_as_of(con, config_raw),
                    definitions=definitions(kind, config_raw), drill=drill_down(con, start, compared.through))
    roster = roster_people(con)
    recs = recommend(con, compared.through, {"assignment": assignment, "scores": {}}, assign=False)
    if kind == "daily":
        report.extra["recycle"] = recycle_list(con, end, assignment, recs)
        report.extra["leavers"] = by_row(leaver_rows(con, end))
        report.extra.update(awaiting_managers(con, end, assignment, recs))
    if kind == "weekly":
        report.extra["stage_moves"] = stage_moves(con, start, end)
        report.extra["reconciliation"] = reconciliation(con, start, end)
    if kind == "monthly":
        report.quality["corrections"] = corrections(con, start, end, config_raw)
        report.extra.update(monthly(con, start, end, gantt_months))
        report.extra["scores_shared"] = shared_reasons(report.extra["scores"])
        if compared.through != end:
            recs = recommend(con, end, {"assignment": assignment, "scores": {}}, assign=False)
        report.extra["assignment"] = {**recs.waiting, "leads_known": sum(1 for e in recs.new if e.get("code"))}
        report.extra["fairness"] = fairness(con, end, {"assignment": assignment})
        report.extra["fairness_days"] = int(assignment.get("fairness_days", 90))
        report.extra["reconciliation"] = reconciliation(con, start, end)
    sheets = attendance(con, start, compared.through, config_raw)
    mark_people(report, roster, sheets)
    label_everyone(report, roster)
    report.extra["actions"] = actions(con, report, sheets, roster, assignment, recs)
    return report


RECONCILIATION_ISSUES = ("日志签单但没有登记订单", "登记了订单但日志中没有签单")


def reconciliation(con, start: dt.date, end: dt.date) -> list[dict]:
    """签单核对 for the weekly and monthly (issue 15, "Closed means one thing"): the rows of the view
    mart_order_reconciliation dated in [start, end] (read from order_reconciliation bounded to them) — log rows
    saying 签单 with no order of that salesperson and customer within [reconciliation] window_days, and orders with
    no such log row. Rows: issue (one of RECONCILIATION_ISSUES), salesperson_id, name, customer_code, customer_name,
    event_date, business_type, followup_no (None where unknown), source_file, source_row; the first issue first,
    then by date."""
    return dicts(con, """
        select issue, salesperson_id, name, customer_code, customer_name, event_date, business_type, followup_no,
               source_file, source_row
        from order_reconciliation(from_date := ?, to_date := ?)
        order by issue = ? desc, event_date, salesperson_id, customer_code, source_file, source_row""",
                 [start, end, RECONCILIATION_ISSUES[0]])


def require_data(con, kind: str, day: dt.date, config_raw: dict | None = None) -> None:
    """Raise NoDataForPeriod (Chinese reason: "2026-11-29（周日）没有任何数据：……") when the period of `kind`
    containing `day` has no accepted row (log, BC, order; inspection, target or rating), no rejected row and no
    file read in it (issue 15: a Sunday or a future --date renders no empty report)."""
    from salespipe.errors import NoDataForPeriod

    start, end, _ = period_bounds(kind, day)
    zone = (config_raw or {}).get("ingest", {}).get("timezone", "Asia/Shanghai")
    found = rows(con, """
        select (select count(*) from core_events where event_date between $s and $e)  -- (not exists: DuckDB 2.0
              + (select count(*) from rejects where coalesce(row_date, received_on) between $s and $e)  -- answers
              + (select count(*) from ingested_files  -- false for exists over the core_events view)
                 where cast(timezone($zone, ingested_at) as date) between $s and $e)
              + (select count(*) from inspections where inspect_date between $s and $e)
              + (select count(*) from targets where month between $s and $e)
              + (select count(*) from quality_ratings where month between $s and $e) > 0,
            (select max(event_date) from core_events)""", {"s": start, "e": end, "zone": zone})[0]
    if found[0]:
        return
    period = (f"{start.isoformat()}（周{WEEKDAYS[start.weekday()]}）" if kind == "daily" else
              f"{start.isoformat()} ~ {end.isoformat()} 这一周" if kind == "weekly" else f"{start:%Y-%m} 这个月")
    latest = f"最近有数据的日期是 {found[1].isoformat()}" if found[1] else "数据仓库中还没有任何数据"
    raise NoDataForPeriod(f"{period}没有任何数据：没有已接受或退回的行，也没有在这期间读取的文件（{latest}），未生成{KINDS[kind][2]}",
                          f"no data for the {kind} report of {start.isoformat()}..{end.isoformat()}: no accepted or "
                          "rejected row and no file read in the period; nothing written")


def data_as_of(con, config_raw: dict | None = None) -> dt.datetime | None:
    """数据截至: when the latest ingest run read the inbox (any file it saw), in the configured time zone."""
    from zoneinfo import ZoneInfo

    latest = rows(con, "select max(ingested_at) from ingested_files")[0][0]
    if latest is None:
        return None
    zone = ZoneInfo((config_raw or {}).get("ingest", {}).get("timezone", "Asia/Shanghai"))
    return latest.astimezone(zone) if latest.tzinfo else latest.replace(tzinfo=zone)


# 口径: metrics.md's definitions of the figures a report shows, in Chinese (metrics.md, "Activity counts" and
# "Rates"; "Sales figures" and "Performance score" for the monthly). Change them together with metrics.md.
DEFINITIONS = [
    ("电话量 / 传真量 / e-mail量 / 面访量", "期间内该业务员已接受（未退回、未被更正文件取代）的日志行中，联系方式为 电话 / 传真 / E-mail / 面访 的行数"),
    ("BC类客户量", "期间内该业务员已接受的行（日志或BC类客户登记表）中客户类型记为 B、B1 或 C 的不同客户数"),
    ("成单客户量", "期间内该业务员有签单事件的不同客户数：一张订单（销售业绩登记表），或一行结果为「签单」的日志"),
    ("丢单客户量", "期间内该业务员有结果为「丢单」的日志行、且期间内没有该业务员签单事件的不同客户数"),
    ("新增客户量", "客户编码由该业务员在期间内交来的行新建的客户数"),
    ("成单率", "成单客户量 ÷ 跟进客户量；跟进客户量 = 期间内该业务员有任何已接受的行或订单的不同客户数；跟进客户量为 0 时显示「—」"),
    ("丢单率", "丢单客户量 ÷ 跟进客户量（分母同成单率）；跟进客户量为 0 时显示「—」"),
    ("全组合计", "联系方式各项与不合格行数为各人之和（含无法识别业务员的行）；客户数在全组内去重（一个客户由两人跟进只计一次），比率由全组自己的计数算出"),
    ("周、月的计数", "由期间内的行直接计算，不是每日去重计数之和"),
    ("不合格行数", "该业务员在期间内被退回的行（无法识别业务员的行只计入全组）"),
    ("跟进阶段漏斗", "第 k 阶段的客户数 = 期间内（按日志日期）至少达到第 k 阶段的不同客户数：客户的阶段取其期间内已接受日志行中"
     "填写的最大跟进状态，期间以前的行不计；期间内有签单（订单或结果为签单的日志行）的客户算作达到第 7 阶段「签订订单」，所以第 7 阶段的客户数即全组的成单客户量；转化率 = 第 k 阶段客户数 ÷ 第 k−1 阶段客户数，前一阶段为 0 时显示「—」"),
    ("较上期", "日报与工作日历上的上一个工作日比较（周一与上周五或调休的周六，节后第一天与节前最后一个工作日）；"
     "周报、月报与上一周、上一月比较；未结束的周、月只计到报告日，与上一期同样多的工作日比较。计数为差值，比率为百分点"),
]
MONTHLY_DEFINITIONS = [
    ("销售收入 / 毛利", "期间内销售业绩登记表的合同金额之和 / 毛利之和（未填毛利时为合同金额 − 成本）"),
    ("完成率", "销售收入 ÷ 销售收入目标"),
    ("逾期应收", "约定回款日期早于报告日期且已回款少于合同金额的订单；金额 = 合同金额 − 已回款"),
]


def definitions(kind: str, config_raw: dict | None = None) -> list[tuple[str, str]]:
    """The 口径 a report of `kind` shows; the monthly's score weights are those of the configuration."""
    if kind != "monthly":
        return list(DEFINITIONS)
    w = {"weight_revenue": 0.4, "weight_profit": 0.2, "weight_visits": 0.1, "weight_active_rank": 0.1,
         "weight_service_rank": 0.1, "weight_per_customer": 0.1, "quality_share": 0.3,
         **(config_raw or {}).get("scores", {})}
    pct = {k: f"{float(v) * 100:g}%" for k, v in w.items() if k.startswith("weight_")}
    quality_share = float(w["quality_share"])
    return [*DEFINITIONS, *MONTHLY_DEFINITIONS,
            ("业绩评估（第八章 表17）", f"销售收入 {pct['weight_revenue']}：100 × 销售收入 ÷ 销售收入目标；"
             f"销售利润 {pct['weight_profit']}：100 + 毛利较上月增长的百分数；实际拜访数 {pct['weight_visits']}：100 + 面访量较上月增长的百分数；"
             f"活跃客户数 {pct['weight_active_rank']}：100 + 20 × （上月名次 − 本月名次），上月无名次为 100；"
             f"销售执行 {pct['weight_service_rank']}：同样的名次规则，按当月日常业务检查总得分的平均；"
             f"单户销量 {pct['weight_per_customer']}：100 × 单户销量 ÷ 单户销量目标"),
            ("能力 / 素质 / 综合", f"能力 = 有数据的子项按权重加权平均（缺少的子项不计，权重按比例放大）；"
             f"素质 = 工作职责、工作态度、业务基本技能三项评分的平均；综合 = {quality_share:g} × 素质 + {1 - quality_share:g} × 能力，"
             "任一项为空时综合为空；全组合计行只有各子项，不计能力、素质、综合与排名"),
            ("缺少或按默认值计的项目", "每个为空或按默认值计入的子项及原因：未设目标、首月无上期数据或排名（排名项按 100 计）、"
             "上期为 0 无法计算增长、本月没有检查记录或评分")]


def awaiting_managers(con, day: dt.date, assignment: dict, recs=None) -> dict:
    """For the daily: what the recommendations workbook holds (waiting: new / conflicts / recycle counts), the
    approval rows waiting for another approver, and the approval rows rejected today (with their customer).
    `recs`: recommend(con, day, …, assign=False) when the caller already has it."""
    recs = recs or recommend(con, day, {"assignment": assignment}, assign=False)
    roles = list(assignment.get("approver_roles", ["行政经理", "总经理"]))
    return {"waiting": recs.waiting, "waiting_approvals": waiting_approvals(con, roles),
            "rejected_approvals": rejected_approvals(con, day)}


# a salesperson who has left by $day: no feedback (the address may be gone; their rows go to the 行政经理)
LEFT = "p.status = '离职' and (p.left_on is null or p.left_on < $day)"
PROBLEM_COLUMNS = """coalesce(r.row_date, r.received_on) as day, r.customer_name, r.contact, r.column_name,
                     r.value, r.reason, r.kind, r.file, r.sheet, r.row_number"""


def leaver_rows(con, day: dt.date) -> list[dict]:
    """The rows handed in for `day` by salespeople who had left by then (rejected as not in service, and any
    other problem of theirs that day), for the 行政经理: salesperson, name, left_on and the problem's columns."""
    return dicts(con, f"""select p.salesperson_id, p.name, p.left_on, {PROBLEM_COLUMNS} from rejects r
        join salespeople p on p.salesperson_id = r.salesperson_id
        where r.superseded_by is null and coalesce(r.row_date, r.received_on) = $day and ({LEFT})
        order by p.salesperson_id, r.file, r.sheet, r.row_number nulls first, r.column_name""", {"day": day})


def by_row(problems: list[dict]) -> list[dict]:
    """One entry per row handed in (salesperson, file, sheet, row number; a file-level problem has no row), in the
    order of `problems` (leaver_rows' rows, one per problem): the first problem's columns and `reasons`, every
    distinct reason of that row (issue 15: the daily listed a row once per reason)."""
    found: dict[tuple, dict] = {}
    for q in problems:
        entry = found.setdefault((q["salesperson_id"], q["file"], q["sheet"], q["row_number"]), {**q, "reasons": []})
        if q["reason"] not in entry["reasons"]:
            entry["reasons"].append(q["reason"])
    return list(found.values())


# the same problem (person, day, column, customer) still open — in the correcting file again: reject r not settled
SAME_PROBLEM_OPEN = """select 1 from rejects o where o.superseded_by is null and o.salesperson_id = r.salesperson_id
    and o.row_date = r.row_date and o.column_name is not distinct from r.column_name
    and o.customer_name is not distinct from r.customer_name"""


def corrections(con, start: dt.date, end: dt.date, config_raw: dict | None = None) -> list[dict]:
    """Per salesperson, the 日志表 rows rejected with a date in [start, end] (superseded ones included: they
    were rejected when handed in) and what became of them: corrected_in_time (replaced by a file saved by the
    deadline — the next workday at [feedback] deadline — with that problem gone), corrected_late, open.
    Rows: salesperson_id, name, rejected_rows, corrected_in_time, corrected_late, open."""
    found = rows(con, f"""
        select r.salesperson_id, p.name, r.row_date, r.file_sha256, r.sheet, r.row_number,
               bool_and(r.superseded_by is not null and not exists ({SAME_PROBLEM_OPEN})) as settled,
               max(f.received_at) as received_at
        from rejects r join salespeople p using (salesperson_id)
        left join ingested_files f on f.sha256 = r.superseded_by and f.status = 'ingested'
        where r.kind = 'log' and r.row_number is not null and r.row_date between ? and ?
        group by all order by r.salesperson_id""", [start, end])
    deadlines = {day: feedback_deadline(day, config_raw) for day in {r[2] for r in found}}
    out: dict[str, dict] = {}
    for sp, name, day, _, _, _, settled, received_at in found:
        person = out.setdefault(sp, {"salesperson_id": sp, "name": name, "rejected_rows": 0, "corrected_in_time": 0,
                                     "corrected_late": 0, "open": 0})
        person["rejected_rows"] += 1
        if not settled:
            person["open"] += 1
        elif received_at is not None and received_at <= deadlines[day]:
            person["corrected_in_time"] += 1
        else:
            person["corrected_late"] += 1
    return list(out.values())


def quality(con, start: dt.date, end: dt.date, top_reasons: int) -> dict:
    """The salespeople's data quality: rejected rows per person and their commonest reasons. The approval
    workbook's rejected rows are the approvers' (退回的审批行, awaiting_managers), not counted here.
    per_person rows: salesperson_id, name, rows, reasons (["联系电话没有填写（必填）（2）", …]: the reason and
    the rows it was given for, at most `top_reasons`) and top_reason ((reason, rows) of the commonest, or None)."""
    per_person = dicts(con, """
        select r.salesperson_id, coalesce(p.name, '（无法识别业务员）') as name,
               count(distinct (r.file, r.sheet, r.row_number)) as rows
        from rejects r left join salespeople p using (salesperson_id)
        where r.superseded_by is null and r.row_number is not null and r.kind <> 'approvals'
          and coalesce(r.row_date, r.received_on) between ? and ?
        group by all order by rows desc, r.salesperson_id""", [start, end])
    reasons = rows(con, """
        select salesperson_id, split_part(reason, '：', 1) as reason, count(distinct (file, sheet, row_number)) as n
        from rejects where superseded_by is null and row_number is not null and kind <> 'approvals'
          and coalesce(row_date, received_on) between ? and ?
        group by all order by n desc, reason""", [start, end])
    for person in per_person:
        own = [(r, n) for sp, r, n in reasons if sp == person["salesperson_id"]]
        person["reasons"] = [f"{r}（{n}）" for r, n in own][:top_reasons]
        person["top_reason"] = own[0] if own else None
    files = rows(con, """select file_name, reason from ingested_files where status = 'rejected'
                         and cast(ingested_at at time zone 'Asia/Shanghai' as date) between ? and ? order by file_name""",
                 [start, end])
    pending = rows(con, "select count(*) from customer_match_review")[0][0]
    return {"per_person": per_person, "unreadable": files, "pending_reviews": pending}


def activity(con, grain: str, column: str, first: dt.date, last: dt.date, where: str, params: list) -> list[dict]:
    """Rows of the activity mart of `grain` (mart_activity_daily/weekly/monthly, same columns), computed
    only over the whole periods from `first` to `last`: the same figures, without computing the year."""
    return dicts(con, f"""select period as {column}, * exclude (period)
                          from activity_counts(?, from_date := ?, to_date := ?) where {where}""",
                 [grain, first, last, *params])


# How far back the trend looks for its periods with data: half as many again as `periods` periods first (a team
# that worked on every workday finds them all there, weekends skipped), then this many times `periods`, then all
# history.
TREND_WINDOW = 3
PERIOD_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92, "half": 183, "year": 366}


def trend(con, grain: str, column: str, start: dt.date, end: dt.date, periods: int) -> list[dict]:
    """The team's last `periods` periods that have any data, up to this one. The search for them reads only
    the last 1.5 × periods periods, or TREND_WINDOW × periods, when those hold enough (issue 19: the report's cost
    must not grow with the years of history; the monthly's search of 3 × 8 months read two years of bench/scale.py's
    three-year warehouse, one of the one-year one: 0.036-0.051 s against 0.016-0.022 s; 12 months 0.026-0.031 s)."""
    span = dt.timedelta(days=PERIOD_DAYS[grain] * periods)
    first = None
    for since in (end - span * 3 / 2, end - span * TREND_WINDOW, None):
        found = rows(con, """
            select count(*), min(p) from (
                select distinct period_start(?, d) as p
                from (select event_date as d from core_events where in_range(event_date, ?, ?)
                      union all select row_date from rejected_rows(from_date := ?, to_date := ?)
                      union all select first_seen from customers where in_range(first_seen, ?, ?))
                order by p desc limit ?)""", [grain, *[since, end] * 3, periods])[0]
        first = found[1]
        if found[0] >= periods:
            break
    if first is None:
        return []
    found = activity(con, grain, column, first, end, "salesperson_id is null and period <= ? order by period desc limit ?",
                     [start, periods])
    return [{"period": r[column], **{k: r[k] for k in ("calls", "faxes", "emails", "visits", "closed_customers",
                                                       "active_customers")}} for r in reversed(found)]


def funnel(con, start: dt.date, end: dt.date) -> list[dict]:
    """The follow-up funnel (reports.md "follow-up stage funnel (1-7)"): for k = 1..7, the customers who reached
    at least stage k in the period — a customer's stage is the furthest 跟进状态 of its accepted log rows dated
    in [start, end] (merged codes resolved, as core_events does); rows before the period do not count. A customer
    with a 签单 event in the period (an order, or a log row with 结果 签单: metrics.md's 成单客户量) reached 7 签订订单,
    so the last step is the team's 成单客户量 (issue 15: "closed means one thing"; before, 成单客户量 20 beside
    签订订单 9 on the demo month).
    Rows: {"stage": k, "name": STAGE_NAMES[k], "customers": count_k, "conversion": count_k / count_(k-1)}
    (a fraction 0..1; None for stage 1 and when count_(k-1) is 0)."""
    counted = dict(rows(con, """
        with reached as (
            select customer_code, greatest(coalesce(max(stage) filter (where source = 'log'), 0),
                                           case when bool_or(is_signed) then 7 else 0 end) as stage
            from core_events where event_date between ? and ? group by customer_code having stage > 0
        )
        select k.stage, count(r.customer_code) from range(1, 8) as k(stage)
        left join reached r on r.stage >= k.stage group by k.stage""", [start, end]))
    steps, before = [], None
    for stage in range(1, 8):
        count = counted.get(stage, 0)
        steps.append({"stage": stage, "name": STAGE_NAMES[stage], "customers": count,
                      "conversion": count / before if before else None})
        before = count
    return steps


# The count cells of the activity table that open to the rows behind them: (column, what the list names).
# Method counts count rows; the other columns count distinct customers (metrics.md, "Activity counts").
ROW_COUNTS = ("calls", "faxes", "emails", "visits")
DRILL_SQL = """
    with events as (
        select * from core_events where event_date between $start and $through and salesperson_id is not null
    ),
    pairs as (  -- activity_counts' pairs: a 丢单 counts only without a 签单 of the same salesperson and customer
        select salesperson_id, customer_code, bool_or(is_signed) as signed from events group by all
    ),
    behind as (
        select salesperson_id, case method when '电话' then 'calls' when '传真' then 'faxes'
               when 'E-mail' then 'emails' when '面访' then 'visits' end as col, customer_code,
               source_file, source_sheet, source_row
        from events where source = 'log' and method in ('电话', '传真', 'E-mail', '面访')
        union all
        select salesperson_id, 'bc_customers', customer_code, source_file, source_sheet, source_row
        from events where source in ('log', 'bc') and customer_class in ('B', 'B1', 'C')
        union all
        select salesperson_id, 'closed_customers', customer_code, source_file, source_sheet, source_row
        from events where is_signed
        union all
        select e.salesperson_id, 'lost_customers', e.customer_code, e.source_file, e.source_sheet, e.source_row
        from events e join pairs p using (salesperson_id, customer_code)
        where e.source = 'log' and e.result = '丢单' and not p.signed
        union all  -- the row that created the code: the creator's first row that day in the file it came from
        select c.created_by, 'new_customers', c.customer_code, c.created_from_file,
               arg_min(e.source_sheet, e.source_row), min(e.source_row)
        from customers c left join events e on e.customer_code = c.customer_code and e.salesperson_id = c.created_by
             and e.event_date = c.first_seen and e.source_file = c.created_from_file
        where c.created_by is not null and c.first_seen between $start and $through group by all
    )
    select b.salesperson_id, b.col, b.customer_code, c.name as customer, b.source_file, b.source_sheet, b.source_row
    from behind b left join customers c using (customer_code)
    order by b.salesperson_id, b.col, b.customer_code, b.source_file, b.source_sheet, b.source_row"""


# Customers listed under one count cell of the report's drill-down, and files under one customer; the others are
# counted (「……另有 N 个客户」, 「……另有 N 个文件」). Without limits a month of 60 salespeople × 80 rows a day
# (bench/scale.py) made a 15.3 MB report to attach to the mail; the demo month's is 0.47 MB either way.
DRILL_LIMIT = 20
DRILL_FILES = 5


def drill_down(con, start: dt.date, through: dt.date) -> dict[tuple[str, str], list[dict]]:
    """What each salesperson's count cell of the activity table counted, for the report's drill-down:
    {(salesperson_id, column): [{"customer_code", "customer", "rows": [{"file", "sheet", "rows": [2, 5]}]}]},
    customers by code, one entry per customer. For ROW_COUNTS the cell equals the number of rows listed, for
    the other COUNTS the number of customers (the same predicates as activity_counts over core_events, dated
    in [start, through]). A new customer created from the 分配审批 has its file and no row."""
    found: dict[tuple[str, str], dict[str, dict]] = {}
    for sp, col, code, customer, file, sheet, row in rows(con, DRILL_SQL, {"start": start, "through": through}):
        entry = found.setdefault((sp, col), {}).setdefault(code, {"customer_code": code, "customer": customer, "rows": []})
        place = entry["rows"][-1] if entry["rows"] and (entry["rows"][-1]["file"], entry["rows"][-1]["sheet"]) == (file, sheet) else None
        if place is None:
            place = {"file": file, "sheet": sheet, "rows": []}
            entry["rows"].append(place)
        if row is not None:
            place["rows"].append(row)
    return {key: list(by_code.values()) for key, by_code in found.items()}


# How far before the week stage_moves first looks for a follow-up's stage before it (then all history, for the rest)
STAGE_LOOKBACK_DAYS = 28


def stage_moves(con, start: dt.date, end: dt.date) -> list[dict]:
    """The follow-ups worked in the week (a log row with a 跟进状态 dated in it): followup_no, customer_code, customer,
    salesperson, salesperson_id, business_type, stage_before (the last stage before the week; None: new this week),
    stage_now (at the week's end), result (the latest row's 结果, 签单 and 丢单 included: a follow-up closed in the
    week is a move the managers want to see, issue 15) and changed (stage_now differs from stage_before, or the
    follow-up is new); the largest advance first.
    The stage before the week is read from the STAGE_LOOKBACK_DAYS before it, and from all history only for the
    follow-ups with no row then: on bench/scale.py's warehouses ~6,100 follow-ups are worked in a week, each with a
    row in the 4 weeks before, and reading their whole history took 0.14-0.19 / 0.35-0.44 s on one / three years,
    0.047 s on either now."""
    found = dicts(con, """
        with worked as (  -- only the follow-ups worked in the week: their history, not everyone's
            select distinct followup_no from activities
            where activity_date between $start and $end and followup_no is not null and stage is not null
        ),
        recent as (  -- their rows from the lookback to the week's end
            select a.followup_no, a.activity_date, a.stage, a.result, a.source_row from activities a
            where a.activity_date between $since and $end and a.followup_no in (select followup_no from worked)
              and a.stage is not null
        ),
        quiet as (  -- those with no row in the lookback: their earlier rows say the stage before the week
            select followup_no from worked
            except select followup_no from recent where activity_date < $start
        ),
        rows_ as (
            select * from recent
            union all
            select a.followup_no, a.activity_date, a.stage, a.result, a.source_row from activities a
            where a.activity_date < $since and a.followup_no in (select followup_no from quiet) and a.stage is not null
        ),
        moved as (
            select followup_no,
                   arg_max(stage, (activity_date, source_row)) filter (where activity_date < $start) as stage_before,
                   arg_max(stage, (activity_date, source_row)) as stage_now,
                   arg_max(result, (activity_date, source_row)) as result
            from rows_ group by followup_no
            having count(*) filter (where activity_date >= $start) > 0
        )
        select m.followup_no, f.customer_code, c.name as customer, p.name as salesperson, f.salesperson_id, f.business_type,
               m.stage_before, m.stage_now, m.result
        from moved m join followups f using (followup_no)
        left join customers c on c.customer_code = f.customer_code
        left join salespeople p on p.salesperson_id = f.salesperson_id
        order by m.stage_now - coalesce(m.stage_before, 0) desc, m.followup_no""",
        {"start": start, "end": end, "since": start - dt.timedelta(days=STAGE_LOOKBACK_DAYS)})
    for move in found:
        move["changed"] = move["stage_before"] != move["stage_now"]
    return found


def monthly(con, start: dt.date, end: dt.date, gantt_months: int) -> dict:
    """The monthly's own parts: scores (mart_scores_monthly's rows of the month, from score_marts bounded to it, so
    that only the month and its comparison period are computed: 0.12 / 0.33 s on bench/scale.py's one- / three-year
    warehouse with the view filtered, 0.06 s on either), sales (per salesperson with activity in the month: revenue
    and gross profit in 元, revenue_target, completion as a fraction), gantt (each customer's orders per month over
    the last gantt_months months, from gantt_first), overdue (receivables_overdue on `end`)."""
    scores = dicts(con, "select period as month, * exclude (period) "
                        "from score_marts('month', from_period := ?, to_period := ?) "
                        "order by salesperson_id is null, composite_rank nulls last, salesperson_id", [start, start])
    sales = dicts(con, """
        select s.salesperson_id, s.name, coalesce(sum(o.amount), 0) as revenue,
               coalesce(sum(o.gross_profit), 0) as gross_profit, any_value(t.revenue_target) as revenue_target
        from (select salesperson_id, name from activity_counts('month', from_date := ?, to_date := ?)
              where salesperson_id is not null) s
        left join orders o on o.salesperson_id = s.salesperson_id and o.order_date between ? and ?
        left join targets t on t.salesperson_id = s.salesperson_id and t.month = ?
        group by all order by s.salesperson_id""", [start, end, start, end, start])
    for row in sales:
        row["completion"] = (float(row["revenue"]) / float(row["revenue_target"])) if row["revenue_target"] else None
    back = start.year * 12 + start.month - gantt_months  # the first of the last `gantt_months` months, this one included
    first = dt.date(back // 12, back % 12 + 1, 1)
    gantt = dicts(con, """
        select coalesce(m.customer_code, o.customer_code) as customer_code, c.name as customer,
               date_trunc('month', o.order_date)::date as month, sum(o.amount) as amount
        from orders o left join customer_aliases m on m.alias_code = o.customer_code
        left join customers c on c.customer_code = coalesce(m.customer_code, o.customer_code)
        where o.order_date between ? and ? group by all order by customer_code, month""", [first, end])
    overdue = dicts(con, "select * from receivables_overdue(?) order by days_overdue desc, customer_code", [end])
    return {"scores": scores, "sales": sales, "gantt": gantt, "gantt_first": first, "overdue": overdue}


def shared_reasons(scores: list[dict]) -> list[str]:
    """The 缺少或按默认值计的项目 (mart_scores_monthly's `missing`) that every salesperson of `scores` has — said
    once above the scores table as 「全员：……」 — in the order of the first salesperson's list; [] with fewer than
    two salespeople. Sets each row's `own_missing`: its `missing` without them (the team row included).
    Issue 15: the same four reasons repeated under all twelve people of the demo month."""
    people = [s for s in scores if s["salesperson_id"] is not None]
    shared = ([r for r in (people[0]["missing"] or []) if all(r in (p["missing"] or []) for p in people[1:])]
              if len(people) > 1 else [])
    for row in scores:
        row["own_missing"] = [r for r in (row["missing"] or []) if r not in shared]
    return shared


# ---- people: who is who (工号 where two share a 姓名), who left, who handed in no sheet (issue 15) ----

def roster_people(con) -> dict[str, dict]:
    """Every person of the roster: salesperson_id -> {name, label, status, left_on}. `label` is the 姓名 alone,
    or 姓名（工号） when another person of the roster has the same 姓名 (input-sheets.md, 业务员名册: two people
    with one 姓名 are told apart by 工号). It compares with the whole roster, not only the report's people, so
    that a person's label is the same in every report, period and table (a namesake who left, or who had no
    rows this period, still shares the name in the lists, the history and the managers' minds)."""
    found = dicts(con, """select salesperson_id, name, status, left_on,
                                 count(*) over (partition by name) > 1 as shared
                          from salespeople order by salesperson_id""")
    return {r["salesperson_id"]: {"name": r["name"], "status": r["status"], "left_on": r["left_on"],
                                  "label": f"{r['name']}（{r['salesperson_id']}）" if r["shared"] else r["name"]}
            for r in found}


def label_of(roster: dict[str, dict], salesperson_id: str | None, name: str | None) -> str | None:
    """The roster's label of `salesperson_id`; `name` when the 工号 is not in the roster (or None: the team)."""
    known = roster.get(salesperson_id) if salesperson_id else None
    return known["label"] if known else name


def _label(rows: list[dict], roster: dict[str, dict], id_key: str = "salesperson_id", name_key: str = "name",
           to: str = "label") -> None:
    for row in rows:
        row[to] = label_of(roster, row.get(id_key), row.get(name_key))


def label_everyone(report: Report, roster: dict[str, dict]) -> None:
    """Give every person row of the report its `label` (owners: `owner_label`; stage moves: `salesperson_label`)."""
    for rows in (report.people, report.quality["per_person"], report.quality.get("corrections", []),
                 report.extra.get("leavers", []), *(report.extra.get(k, []) for k in ("scores", "sales", "fairness"))):
        _label(rows, roster)
    _label(report.extra.get("stage_moves", []), roster, name_key="salesperson", to="salesperson_label")
    _label(report.extra.get("recycle", []), roster, "owner_id", "owner_name", "owner_label")
    for row in report.extra.get("overdue", []):
        row["label"] = label_of(roster, row.get("salesperson_id"), row.get("salesperson_id"))


def attendance(con, first: dt.date, last: dt.date, config_raw: dict | None = None) -> dict[str, dict]:
    """Per selling salesperson in service on at least one workday from `first` to `last` (the work calendar;
    in service per the roster's 状态, 入职日期 and 离职日期, the in_service macro): {"workdays": in service on
    so many workdays, "handed_in": of which a 日志表 came for so many, "missing": the others}. A sheet counts as
    handed in for a day when any of the person's log rows of that day is stored: accepted, superseded by a
    correction, or rejected (a file whose every row was rejected was handed in)."""
    days = workdays_between(first, last, config_raw)
    if not days:
        return {}
    found = rows(con, """
        with due as (
            select s.salesperson_id, d.day from core_salespeople s cross join (select unnest(?::date[]) as day) d
            where s.is_selling and in_service(s.status, s.hired_on, s.left_on, d.day, d.day)),
        sent as (
            select salesperson_id, activity_date as day from activities where activity_date between ? and ?
            union select salesperson_id, activity_date from activities_superseded where activity_date between ? and ?
            union select salesperson_id, coalesce(row_date, received_on) from rejects
            where kind = 'log' and salesperson_id is not null and coalesce(row_date, received_on) between ? and ?)
        select d.salesperson_id, count(*), count(s.day) from due d
        left join sent s on s.salesperson_id = d.salesperson_id and s.day = d.day
        group by all""", [days, first, last, first, last, first, last])
    return {sp: {"workdays": n, "handed_in": sent, "missing": n - sent} for sp, n, sent in found}


def _zero_row(template: dict, salesperson_id: str, name: str) -> dict:
    """A row shaped as `template` (a row of the activity mart) with every count 0 and no rates."""
    period = next(iter(template))  # activity() selects the period column first
    row = {key: None if key.endswith("_rate") or key == "followup_frequency" else 0 for key in template}
    return {**row, period: template[period], "salesperson_id": salesperson_id, "name": name}


def mark_people(report: Report, roster: dict[str, dict], sheets: dict[str, dict]) -> None:
    """The activity rows' statuses: `missing_days` (workdays in service without a 日志表) and `left_on` (a
    salesperson who left in or before the period), and `marks`, their Chinese text ("未交日志" for the
    daily, "未交日志 2 天" for a week or month, "离职 11-20"). A salesperson in service with no sheet and
    no row in the period gets a row of their own (all counts 0) so that the status shows."""
    if report.people:
        present = {p["salesperson_id"] for p in report.people}
        absent = [_zero_row(report.people[0], sp, roster.get(sp, {}).get("name", sp)) for sp in sorted(sheets)
                  if sp not in present and sheets[sp]["missing"]]
        team = [p for p in report.people if p["salesperson_id"] is None]
        report.people[:] = sorted([p for p in report.people if p["salesperson_id"] is not None] + absent,
                                  key=lambda p: p["salesperson_id"]) + team
    for person in report.people:
        sp = person["salesperson_id"]
        missing = sheets.get(sp, {}).get("missing", 0) if sp else 0
        known = roster.get(sp) if sp else None
        left = known and (known["left_on"] is not None and known["left_on"] <= report.end
                          or known["left_on"] is None and known["status"] == "离职")
        person["missing_days"], person["left_on"] = missing, known["left_on"] if left else None
        person["marks"] = [*([("未交日志" if report.kind == "daily" else f"未交日志 {missing} 天")] if missing else []),
                           *([f"离职 {known['left_on']:%m-%d}" if known["left_on"] else "离职"] if left else [])]


def below_median(report: Report, sheets: dict[str, dict], column: str) -> dict:
    """Who is below the team's median of `column` (calls, visits) in the period. The median is taken over the
    salespeople in service who handed in at least one 日志表 in the period (a person with no sheet is listed as
    未交日志 instead, not as a zero); an even count takes the mean of the two middle values; "below" is strictly
    less (a tie with the median is not below). A salesperson who left in the period (marked 离职) is not counted:
    there is no one to act on. Returns {"median", "of" (people counted), "below": [{label, value}]}."""
    counted = [p for p in report.people if p["salesperson_id"] and not p.get("left_on")
               and sheets.get(p["salesperson_id"], {}).get("handed_in")]
    if not counted:
        return {"median": None, "of": 0, "below": []}
    middle = statistics.median(p[column] for p in counted)
    below = sorted((p for p in counted if p[column] < middle), key=lambda p: (p[column], p["salesperson_id"]))
    return {"median": middle, "of": len(counted), "below": [{"label": p["label"], "value": p[column]} for p in below]}


def outcomes(con, first: dt.date, last: dt.date, roster: dict[str, dict]) -> dict[str, list[dict]]:
    """The customers signed and lost from `first` to `last`, one row per (salesperson, customer) as 成单客户量 and
    丢单客户量 count them (metrics.md): signed — an order or a 签单 log row; lost — a 丢单 log row and no 签单
    event of that salesperson. Rows: customer_code, customer, salesperson_id, label, day (the latest such event),
    analysis (结果分析: the follow-up ledger's 结果分析 when filled, else the 备注 of the 签单 / 丢单 row or order),
    amount (signed: the sum of that salesperson's orders for that customer from `first` to `last`, 元, a Decimal;
    None without an order) and unlogged (signed: a 签单 log row of the pair is among 签单核对's 日志签单但没有登记订单
    rows of the period, reconciliation; False for the lost). Issue 15: each 成单 line says its order or 未登记订单."""
    found = dicts(con, """
        with ev as (
            select a.activity_date as day, a.salesperson_id, coalesce(m.customer_code, a.customer_code) as code,
                   a.result, a.note, a.followup_no, coalesce(a.business_type, a.need_type) as business_type, a.source_row
            from activities a left join customer_aliases m on m.alias_code = a.customer_code
            where a.activity_date between $first and $last and a.result in ('签单', '丢单')
            union all
            select o.order_date, o.salesperson_id, coalesce(m.customer_code, o.customer_code), '签单', o.note,
                   o.followup_no, o.business_type, o.source_row
            from orders o left join customer_aliases m on m.alias_code = o.customer_code
            where o.order_date between $first and $last),
        explained as (
            select ev.*, coalesce(nullif(trim(f.result_analysis), ''), nullif(trim(ev.note), '')) as analysis
            from ev left join followups f on f.merged_into is null and (f.followup_no = ev.followup_no
                 or ev.followup_no is null and f.customer_code = ev.code and f.business_type = ev.business_type)
            where ev.salesperson_id is not null and ev.code is not null),
        pairs as (
            select salesperson_id, code, bool_or(result = '签单') as signed,
                   max(day) filter (where result = '签单') as signed_on, max(day) as lost_on,
                   arg_max(analysis, (day, source_row)) filter (where result = '签单' and analysis is not null) as why_signed,
                   arg_max(analysis, (day, source_row)) filter (where analysis is not null) as why_lost
            from explained group by all),
        order_sums as (  -- the salesperson's orders for the customer in the period (元)
            select o.salesperson_id, coalesce(m.customer_code, o.customer_code) as code, sum(o.amount) as amount
            from orders o left join customer_aliases m on m.alias_code = o.customer_code
            where o.order_date between $first and $last and o.salesperson_id is not null group by all),
        unlogged as (  -- 签单核对's 日志签单但没有登记订单 rows of the period
            select distinct salesperson_id, customer_code as code
            from order_reconciliation(from_date := $first, to_date := $last) where issue = $issue)
        select p.code as customer_code, c.name as customer, p.salesperson_id, s.name, p.signed,
               case when p.signed then p.signed_on else p.lost_on end as day,
               case when p.signed then p.why_signed else p.why_lost end as analysis,
               case when p.signed then o.amount end as amount, p.signed and u.code is not null as unlogged
        from pairs p left join customers c on c.customer_code = p.code
        left join salespeople s on s.salesperson_id = p.salesperson_id
        left join order_sums o on o.salesperson_id = p.salesperson_id and o.code = p.code
        left join unlogged u on u.salesperson_id = p.salesperson_id and u.code = p.code
        order by day, p.salesperson_id, p.code""", {"first": first, "last": last, "issue": RECONCILIATION_ISSUES[0]})
    _label(found, roster)
    return {"signed": [r for r in found if r["signed"]], "lost": [r for r in found if not r["signed"]]}


def recycle_list(con, day: dt.date, assignment: dict, recs=None) -> list[dict]:
    """Every customer due for recycling on `day` (days_left ≤ 0, and every customer of an owner who has left) and
    those within recycle_warning_days of it, most overdue first (assign.recycle_candidates: one rule). `recs`:
    recommend(con, day, …, assign=False) when the caller has it — its rows are these, not read again (0.07-0.19 s
    a read on bench/scale.py's one- and three-year warehouses)."""
    if recs is not None and recs.day == day:
        found = [entry["item"].details for entry in recs.recycle] + recs.recycle_soon
    else:
        found = recycle_candidates(con, day, assignment)
    for row in found:
        row["status"] = recycle_status(row)
    return sorted(found, key=lambda r: (r["days_left"], r["customer_code"]))


def recycle_status(row: dict) -> str:
    """"已到期（负责人已离职）", "已到期 3 天", "今天到期" or "还剩 2 天" (days_left of recycle_candidates)."""
    days = row["days_left"]
    if not row["owner_in_service"] and days <= 0:
        return "已到期（负责人已离职）"
    return f"已到期 {-days} 天" if days < 0 else "今天到期" if days == 0 else f"还剩 {days} 天"


def actions(con, report: Report, sheets: dict[str, dict], roster: dict[str, dict], assignment: dict, recs) -> dict:
    """需要处理, what the mail body and the report open with: missing (in-service salespeople with workdays
    without a 日志表: label, days), below (电话量 / 面访量 below the team's median, below_median), signed and lost
    customers (outcomes), recycle (due or nearly due, recycle_list), conflicts (customers worked by two or more
    salespeople, awaiting the managers: customer, owner label, suggested salesperson's label), rejected (per
    person: label, rows, reason — the commonest — and reason_rows, the rows it was given for). The people rows must
    carry their labels (label_everyone)."""
    recycle = report.extra.get("recycle")
    if recycle is None:
        recycle = recycle_list(con, report.comparison.through, assignment, recs)
        _label(recycle, roster, "owner_id", "owner_name", "owner_label")
    return {
        "missing": [{"label": p["label"], "days": p["missing_days"]} for p in report.people if p.get("missing_days")],
        "below": {column: below_median(report, sheets, column) for column in ("calls", "visits")},
        **outcomes(con, report.start, report.comparison.through, roster),
        "recycle": recycle,
        "conflicts": [{"customer_code": c["customer_code"], "customer": c["name"],
                       "owner_label": label_of(roster, c["owner_id"], c["owner_id"]),
                       "to_label": label_of(roster, c["to"].salesperson_id, c["to"].name)} for c in recs.conflicts],
        "rejected": [{"label": q["label"], "rows": q["rows"], "reason": (q["top_reason"] or ("", 0))[0],
                      "reason_rows": (q["top_reason"] or ("", 0))[1]} for q in report.quality["per_person"]],
    }
