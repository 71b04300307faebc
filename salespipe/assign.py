"""Lead assignment, conflict transfer and recycling recommendations (assignment.md).

Recommendations only: `salespipe assign` writes them into a workbook; 行政经理 and 总经理 decide in it
(批准 / 改派 / 驳回) and the next ingest applies the decisions (ingest/load.py → apply_approvals).
A batch of leads and recycled customers is assigned jointly: one column per free capacity slot of
every eligible salesperson, `scipy.optimize.linear_sum_assignment` over (−score + balance cost).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from salespipe.warehouse import dicts, rows

INFEASIBLE = 1e9


@dataclass
class Candidate:
    salesperson_id: str
    name: str
    specialties: list[str]
    win: float
    loss: float
    closed: int
    lost: int
    followed: int
    frequency: float | None
    ability: float | None
    communication: float | None
    capacity: int
    load: int
    given: int = 0  # recommended in this workbook

    @property
    def label(self) -> str:
        return f"{self.name}（{self.salesperson_id}）"


@dataclass
class Item:
    """A lead or a recycled customer that needs an owner."""
    name: str
    need_type: str | None
    code: str | None = None
    exclude: set[str] = field(default_factory=set)
    details: dict = field(default_factory=dict)


@dataclass
class Recommendations:
    day: dt.date
    new: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    recycle: list[dict] = field(default_factory=list)
    recycle_soon: list[dict] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


def settings_of(config_raw: dict) -> dict:
    return config_raw.get("assignment", {})



def candidates(con, day: dt.date, s: dict) -> list[Candidate]:
    """在职 salespeople of a selling role, with their smoothed rates, ratings and current load."""
    found = dicts(con, """
        with rates as (select * from smoothed_rates(?)),
        team as (select sum(closed_customers) / nullif(sum(followed_customers), 0) as win,
                        sum(lost_customers) / nullif(sum(followed_customers), 0) as loss from rates),
        load as (select owner_id, count(*) as n from customers where last_contact > ? group by owner_id)
        select p.salesperson_id, p.name, p.specialties, p.followup_ability, p.communication, p.capacity,
               coalesce(r.smoothed_win_rate, team.win, 0) as win, coalesce(r.smoothed_loss_rate, team.loss, 0) as loss,
               coalesce(r.closed_customers, 0) as closed, coalesce(r.lost_customers, 0) as lost,
               coalesce(r.followed_customers, 0) as followed, r.followup_frequency, coalesce(l.n, 0) as load
        from core_salespeople p left join rates r using (salesperson_id) left join load l on l.owner_id = p.salesperson_id,
             team
        where p.is_selling and in_service(p.status, p.hired_on, p.left_on, ?, ?)
        order by p.salesperson_id""", [day, day - dt.timedelta(days=int(s.get("recycle_days", 30))), day, day])
    return [Candidate(r["salesperson_id"], r["name"], list(r["specialties"] or []), float(r["win"]), float(r["loss"]),
                      r["closed"], r["lost"], r["followed"], r["followup_frequency"], r["followup_ability"],
                      r["communication"], int(r["capacity"] or 60), int(r["load"])) for r in found]


def score(item: Item, c: Candidate, s: dict) -> tuple[float, dict]:
    parts = {
        "specialty": 1.0 if item.need_type and item.need_type in c.specialties else 0.0,
        "win_rate": c.win,
        "no_loss": 1.0 - c.loss,
        "frequency": min((c.frequency or 0) / 5, 1.0),
        "followup_ability": (c.ability or 3) / 5,
        "communication": (c.communication or 3) / 5,
        "headroom": max(0.0, (c.capacity - c.load) / c.capacity) if c.capacity else 0.0,
    }
    total = sum(float(s.get(f"weight_{key}", 0)) * value for key, value in parts.items())
    return total, parts


def assign_batch(items: list[Item], people: list[Candidate], s: dict) -> list[tuple[Candidate, float, dict] | None]:
    """Jointly optimal owners for a batch; None where no eligible salesperson has room.

    One column per free capacity slot (never more slots than items); slot k of a person costs
    weight_balance × k / capacity more, so that load spreads unless a person is clearly better."""
    if not items or not people:
        return [None] * len(items)
    scored = [[None if c.salesperson_id in item.exclude else score(item, c, s) for c in people] for item in items]
    points = np.array([[-INFEASIBLE if x is None else x[0] for x in row] for row in scored])
    free = [max(0, min(c.capacity - c.load, len(items))) for c in people]
    owner = np.repeat(np.arange(len(people)), free)
    if owner.size == 0:
        return [None] * len(items)
    slot = np.concatenate([np.arange(n) for n in free if n])
    capacity = np.array([max(c.capacity, 1) for c in people])[owner]
    cost = -points[:, owner] + float(s.get("weight_balance", 1.0)) * slot / capacity
    chosen: list[tuple[Candidate, float, dict] | None] = [None] * len(items)
    for i, j in zip(*linear_sum_assignment(cost)):
        if cost[i, j] < INFEASIBLE / 2:
            p = owner[j]
            chosen[i] = (people[p], *scored[i][p])
    return chosen


def reason(item: Item, c: Candidate, points: float, parts: dict, s: dict) -> str:
    bits = []
    if item.need_type:
        bits.append(f"特长{'匹配' if parts['specialty'] else '不含'}（需求：{item.need_type}；特长：{'、'.join(c.specialties) or '未填'}）")
    bits.append(f"成单率 {c.win:.1%}（平滑，近{90}天 {c.closed}/{c.followed}）")
    bits.append(f"丢单率 {c.loss:.1%}（{c.lost}/{c.followed}）")
    bits.append(f"跟进频率 {c.frequency:.1f} 次/客户" if c.frequency is not None else "跟进频率 无记录")
    bits.append(f"跟单能力 {c.ability:g}/5" if c.ability is not None else "跟单能力 未评")
    bits.append(f"沟通技巧 {c.communication:g}/5" if c.communication is not None else "沟通技巧 未评")
    bits.append(f"客户量 {c.load + c.given}/{c.capacity}（含本表已建议）")
    return "；".join(bits) + f"；得分 {points:.2f}"


def recommend(con, day: dt.date, config_raw: dict, assign: bool = True) -> Recommendations:
    """The three lists; with assign=False only what is due, without choosing owners (for summaries)."""
    from salespipe.customers.master import find_code

    s = settings_of(config_raw)
    recs = Recommendations(day, candidates=candidates(con, day, s))
    eligible = {c.salesperson_id for c in recs.candidates}
    owners = dict(rows(con, "select customer_code, owner_id from customers"))
    names = dict(rows(con, "select salesperson_id, name from salespeople"))
    items: list[tuple[str, Item]] = []
    # 1. leads not yet owned (matched against the master first)
    for lead in dicts(con, "select * from leads order by acquired_on nulls last, source_file, source_row", []):
        code = find_code(con, lead["customer_name"])
        if code:
            owner = owners.get(code)
            recs.new.append({"lead": lead, "code": code, "owner": owner, "to": None, "reason":
                             f"已是客户 {code}，负责人 {names.get(owner, owner or '无')}：不是新线索"})
        elif not any(item.name == lead["customer_name"] for _, item in items):
            items.append(("new", Item(lead["customer_name"], lead["need_type"], details={"lead": lead})))
    # 3. recycling: no activity by the owner for N days, or the owner left
    for row in recycle_candidates(con, day, s):
        item = Item(row["name"], row["business_type"], code=row["customer_code"], exclude={row["owner_id"]},
                    details=row)
        if row["due"]:
            items.append(("recycle", item))
        elif row["warn"]:
            recs.recycle_soon.append(row)
    chosen = assign_batch([item for _, item in items], recs.candidates, s) if assign else [None] * len(items)
    for (kind, item), pick in zip(items, chosen):
        entry = {**item.details, "item": item, "to": pick[0] if pick else None}
        if pick:
            pick[0].given += 1
            entry["reason"] = reason(item, pick[0], pick[1], pick[2], s)
        else:
            entry["reason"] = "没有可分配的在职业务员（都已满额或不符合条件）"
        (recs.new if kind == "new" else recs.recycle).append(entry)
    recs.conflicts = conflicts(con, day, s, {c.salesperson_id: c for c in recs.candidates}, eligible)
    return recs


def recycle_candidates(con, day: dt.date, s: dict) -> list[dict]:
    default = int(s.get("recycle_days", 30))
    by_class = {k: int(v) for k, v in (s.get("recycle_days_by_class") or {}).items()}
    warn_days = int(s.get("recycle_warning_days", 3))
    found = dicts(con, """
        with owned as (
            select c.customer_code, c.name, c.owner_id, c.customer_class, c.first_seen, p.name as owner_name,
                   in_service(p.status, p.hired_on, p.left_on, ?, ?) as owner_in_service
            from customers c left join salespeople p on p.salesperson_id = c.owner_id
            where c.owner_id is not null
        ),
        touched as (
            select coalesce(m.customer_code, a.customer_code) as code, a.salesperson_id, max(a.activity_date) as last_day,
                   arg_max(coalesce(a.business_type, a.need_type), a.activity_date) as business_type
            from activities a left join customer_aliases m on m.alias_code = a.customer_code
            where a.activity_date <= ? group by all
        )
        select o.*, coalesce(t.last_day, o.first_seen) as last_by_owner, t.business_type
        from owned o left join touched t on t.code = o.customer_code and t.salesperson_id = o.owner_id
        order by o.customer_code""", [day, day, day])
    out = []
    for row in found:
        limit = by_class.get(row["customer_class"] or "", default)
        idle = (day - row["last_by_owner"]).days if row["last_by_owner"] else limit
        row["idle_days"] = idle
        row["due"] = not row["owner_in_service"] or idle >= limit
        row["warn"] = not row["due"] and idle >= limit - warn_days
        row["why"] = (f"负责人 {row['owner_name']} 已离职" if not row["owner_in_service"]
                      else f"负责人 {row['owner_name']} 已 {idle} 天未跟进（上限 {limit} 天）")
        row["days_left"] = limit - idle
        if row["due"] or row["warn"]:
            out.append(row)
    return out


def conflicts(con, day: dt.date, s: dict, people: dict[str, Candidate], eligible: set[str]) -> list[dict]:
    """Customers worked by two or more salespeople recently: furthest stage first, then earliest 开发日期,
    then smoothed win rate."""
    window = int(s.get("conflict_days", 30))
    found = dicts(con, """
        with resolved as (
            select coalesce(m.customer_code, a.customer_code) as code, a.salesperson_id, a.activity_date, a.stage
            from activities a left join customer_aliases m on m.alias_code = a.customer_code
            where a.activity_date <= ?
        ),
        recent as (select * from resolved where activity_date > ?),
        shared as (select code from recent group by code having count(distinct salesperson_id) > 1)
        select r.code as customer_code, c.name, c.owner_id, r.salesperson_id, p.name as salesperson,
               max(r.stage) as furthest_stage,
               (select min(x.activity_date) from resolved x where x.code = r.code and x.salesperson_id = r.salesperson_id)
                   as developed_on
        from recent r join shared using (code) join customers c on c.customer_code = r.code
        left join salespeople p on p.salesperson_id = r.salesperson_id
        group by all order by r.code, r.salesperson_id""", [day, day - dt.timedelta(days=window)])
    by_customer: dict[str, list[dict]] = {}
    for row in found:
        by_customer.setdefault(row["customer_code"], []).append(row)
    out = []
    for code, involved in by_customer.items():
        ranked = sorted((r for r in involved if r["salesperson_id"] in eligible),
                        key=lambda r: (-(r["furthest_stage"] or 0), r["developed_on"],
                                       -people[r["salesperson_id"]].win, r["salesperson_id"]))
        if not ranked:
            continue
        best = ranked[0]
        figures = "；".join(f"{r['salesperson']}：最远阶段 {r['furthest_stage'] or '—'}，开发日期 {r['developed_on']}，"
                           f"平滑成单率 {people[r['salesperson_id']].win:.1%}" if r["salesperson_id"] in people else
                           f"{r['salesperson']}：不在职或非销售岗位" for r in involved)
        out.append({"customer_code": code, "name": involved[0]["name"], "owner_id": involved[0]["owner_id"],
                    "to": people[best["salesperson_id"]],
                    "reason": f"跟进阶段最远者优先，其次开发日期最早，再次平滑成单率。{figures}"})
    return out


def fairness(con, day: dt.date, config_raw: dict) -> list[dict]:
    """Leads received per salesperson over the trailing days, next to their capacity."""
    days = int(settings_of(config_raw).get("fairness_days", 30))
    return dicts(con, """
        select p.salesperson_id, p.name, p.capacity,
               count(d.customer_code) filter (where d.decision in ('批准', '改派') and d.action = '新客户分配') as leads,
               count(d.customer_code) filter (where d.decision in ('批准', '改派')) as assignments
        from core_salespeople p left join assignment_decisions d
          on d.to_salesperson_id = p.salesperson_id and d.decided_on > ? and d.decided_on <= ?
        where p.is_selling group by all
        having bool_or(in_service(p.status, p.hired_on, p.left_on, ?, ?)) or count(d.customer_code) > 0
        order by p.salesperson_id""", [day - dt.timedelta(days=days), day, day, day])


# ---------------------------------------------------------------- the workbook

APPROVAL_COLUMNS = ["审批结果", "改派业务员", "审批人", "审批日期"]


def write_workbook(recs: Recommendations, out_dir: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from salespipe.excel import append_row, set_cell

    wb = Workbook()
    people = [c.label for c in recs.candidates]
    sheets = [
        ("新客户分配", ["客户编码", "客户名称", "联系人", "联系电话", "客户需求", "客户来源", "当前负责人"],
         [[e.get("code") or "", e["lead"]["customer_name"], e["lead"].get("contact"), e["lead"].get("phone"),
           e["lead"].get("need_type"), e["lead"].get("source"), e.get("owner") or ""] for e in recs.new], recs.new),
        ("冲突客户转移", ["客户编码", "客户名称", "当前负责人"],
         [[e["customer_code"], e["name"], e["owner_id"] or ""] for e in recs.conflicts], recs.conflicts),
        ("客户回收", ["客户编码", "客户名称", "当前负责人", "最近跟进", "回收原因"],
         [[e["customer_code"], e["name"], e["owner_id"], e["last_by_owner"], e["why"]] for e in recs.recycle], recs.recycle),
    ]
    first = True
    for title, columns, values, entries in sheets:
        ws = wb.active if first else wb.create_sheet(title)
        ws.title, first = title, False
        ws.append([f"{title}建议（{recs.day.isoformat()}）：请在「审批结果」选择 批准 / 改派 / 驳回（改派请选改派业务员），"
                   f"填写审批人和日期后放回收件箱"])
        ws["A1"].font = Font(bold=True)
        header = ["序号", "建议类型", *columns, "建议业务员", "建议业务员工号", "理由",
                  *APPROVAL_COLUMNS]
        append_row(ws, header)
        for cell in ws[2]:
            cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        for number, (row, entry) in enumerate(zip(values, entries), start=1):
            to = entry.get("to")
            append_row(ws, [number, title, *row, to.name if to else "", to.salesperson_id if to else "",
                            entry.get("reason") or entry.get("why") or "", None, None, None, None])
        last = max(3, ws.max_row)
        decision = DataValidation(type="list", formula1='"批准,改派,驳回"', allow_blank=True)
        reassign = DataValidation(type="list", formula1=f"'_选项'!$A$1:$A${max(1, len(people))}", allow_blank=True)
        ws.add_data_validation(decision)
        ws.add_data_validation(reassign)
        col = {name: i + 1 for i, name in enumerate(header)}
        letter = lambda name: ws.cell(2, col[name]).column_letter  # noqa: E731
        decision.add(f"{letter('审批结果')}3:{letter('审批结果')}{last}")
        reassign.add(f"{letter('改派业务员')}3:{letter('改派业务员')}{last}")
        for name, width in (("客户名称", 30), ("理由", 80), ("建议类型", 12)):
            ws.column_dimensions[letter(name)].width = width
        for cells in ws.iter_rows(min_row=3, min_col=col["理由"], max_col=col["理由"]):
            cells[0].alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "C3"
    options = wb.create_sheet("_选项")
    options.sheet_state = "hidden"
    for i, label in enumerate(people or ["（无）"], start=1):
        set_cell(options, i, 1, label)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"分配建议_{recs.day.isoformat()}.xlsx"
    wb.save(path)
    return path


def make_assignment(config, day: dt.date, out_dir: Path) -> tuple[Path, Recommendations]:
    from salespipe.warehouse import connect

    con = connect(config.warehouse, read_only=True)
    try:
        recs = recommend(con, day, config.raw)
    finally:
        con.close()
    return write_workbook(recs, out_dir), recs
