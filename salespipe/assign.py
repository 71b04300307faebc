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
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from salespipe.approvals import is_disagreement, open_decisions
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
    recent: int = 0  # leads and recycled customers received in the trailing balance_days

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
    approvers: list[dict] = field(default_factory=list)  # see approvers()

    @property
    def waiting(self) -> dict[str, int]:
        """What needs the managers: leads without an owner, conflicts, customers due for recycling."""
        return {"new": sum(1 for e in self.new if not e.get("code")), "conflicts": len(self.conflicts),
                "recycle": len(self.recycle)}


def settings_of(config_raw: dict) -> dict:
    return config_raw.get("assignment", {})



def candidates(con, day: dt.date, s: dict) -> list[Candidate]:
    """在职 salespeople of a selling role, with their smoothed rates, ratings and current load."""
    found = dicts(con, """
        with rates as (select * from smoothed_rates(?)),
        team as (select sum(closed_customers) / nullif(sum(followed_customers), 0) as win,
                        sum(lost_customers) / nullif(sum(followed_customers), 0) as loss from rates),
        load as (select owner_id, count(*) as n from customers where last_contact > ? group by owner_id),
        recent as (select to_salesperson_id, count(*) as n from assignment_decisions
                   where decision in ('批准', '改派') and action in ('新客户分配', '客户回收')
                     and decided_on > ? and decided_on <= ? group by all)
        select p.salesperson_id, p.name, p.specialties, p.followup_ability, p.communication, p.capacity,
               coalesce(r.smoothed_win_rate, team.win, 0) as win, coalesce(r.smoothed_loss_rate, team.loss, 0) as loss,
               coalesce(r.closed_customers, 0) as closed, coalesce(r.lost_customers, 0) as lost,
               coalesce(r.followed_customers, 0) as followed, r.followup_frequency, coalesce(l.n, 0) as load,
               coalesce(g.n, 0) as recent
        from core_salespeople p left join rates r using (salesperson_id) left join load l on l.owner_id = p.salesperson_id
             left join recent g on g.to_salesperson_id = p.salesperson_id, team
        where p.is_selling and in_service(p.status, p.hired_on, p.left_on, ?, ?)
        order by p.salesperson_id""", [day, day - dt.timedelta(days=int(s.get("recycle_days", 30))),
                                       day - dt.timedelta(days=int(s.get("balance_days", 30))), day, day, day])
    return [Candidate(r["salesperson_id"], r["name"], list(r["specialties"] or []), float(r["win"]), float(r["loss"]),
                      r["closed"], r["lost"], r["followed"], r["followup_frequency"], r["followup_ability"],
                      r["communication"], int(r["capacity"] or 60), int(r["load"]), recent=int(r["recent"]))
            for r in found]


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


class Pick(NamedTuple):
    """The chosen salesperson of one item, and the best other one for the manager to compare with."""
    candidate: Candidate
    points: float
    parts: dict
    runner_up: Candidate | None = None
    runner_up_points: float | None = None
    held: str | None = None  # an approver's decision still waiting for the other(s): its salesperson is kept

    @property
    def gap(self) -> float | None:
        """Score of the chosen minus the runner-up's (negative: the balance chose a lower score)."""
        return None if self.runner_up_points is None else self.points - self.runner_up_points


def fair_share(items: int, people: list[Candidate]) -> float:
    """Leads (and recycled customers) per salesperson if this batch and the trailing window were spread
    evenly: (items + Σ recent) ÷ people, at least 1."""
    return max(1.0, (items + sum(c.recent for c in people)) / max(1, len(people)))


def assign_batch(items: list[Item], people: list[Candidate], s: dict) -> list[Pick | None]:
    """Jointly optimal owners for a batch; None where no eligible salesperson has room.

    The items of one business type are assigned together, the types with the fewest specialists first (then by
    name; items without a type last), each over the room the earlier types left. One column per free slot (room
    under 客户容量, and at most max_batch_share × the batch's mean per person unless that would leave items without
    an owner whom capacity alone would give one); the cost of item i in slot k of person p is −score(i, p) +
    weight_balance × (recent + given + k) ÷ fair share (p's load: the marginal cost rises with the person's
    share, so the total is convex and the batch spreads — assignment.md: load stays balanced) +
    weight_type_balance × k ÷ the type's share (p's k-th of this type): among the specialists of a type the
    leads spread (issue 16: on the demo month one of seven 认证 specialists got 3 of the 9 认证 leads while
    three got none). `scipy.optimize.linear_sum_assignment` minimises the sum, so the same inputs always give
    the same owners. Each pick names the runner-up: the highest-scoring other salesperson with room (by score
    alone, as the manager compares them)."""
    chosen: list[Pick | None] = [None] * len(items)
    if not items or not people:
        return chosen
    share = fair_share(len(items), people)
    cap = max(1, int(float(s.get("max_batch_share", 2.0)) * len(items) / len(people)))
    given = [0] * len(people)
    for need in _type_order(items, people):
        group = [i for i, item in enumerate(items) if item.need_type == need]
        picks, taken = _assign_group([items[i] for i in group], people, s, share, given, cap)
        for i, pick in zip(group, picks):
            chosen[i] = pick
        given = [g + t for g, t in zip(given, taken)]
    return chosen


def _type_order(items: list[Item], people: list[Candidate]) -> list[str | None]:
    specialists = {t: sum(t in c.specialties for c in people) for t in {i.need_type for i in items if i.need_type}}
    typed = sorted(specialists, key=lambda t: (specialists[t], t))
    return typed + ([None] if any(i.need_type is None for i in items) else [])


def _assign_group(items: list[Item], people: list[Candidate], s: dict, share: float, given: list[int],
                  cap: int) -> tuple[list[Pick | None], list[int]]:
    """One business type's items (see assign_batch); returns the picks and how many each person took."""
    scored = [[None if c.salesperson_id in item.exclude else score(item, c, s) for c in people] for item in items]
    points = np.array([[-INFEASIBLE if x is None else x[0] for x in row] for row in scored])
    room = [max(0, min(c.capacity - c.load - c.given - g, len(items))) for c, g in zip(people, given)]
    capped = [min(n, max(0, cap - g)) for n, g in zip(room, given)]
    free = capped if sum(capped) >= min(len(items), sum(room)) else room
    owner = np.repeat(np.arange(len(people)), free)
    taken = [0] * len(people)
    if owner.size == 0:
        return [None] * len(items), taken
    weight, weight_type = float(s.get("weight_balance", 2.0)), float(s.get("weight_type_balance", 2.0))
    need = items[0].need_type
    type_share = max(1.0, len(items) / max(1, sum(need in c.specialties for c in people))) if need else share
    slots = np.concatenate([weight * (c.recent + g + np.arange(n)) / share + weight_type * np.arange(n) / type_share
                            for c, g, n in zip(people, given, free) if n])
    cost = -points[:, owner] + slots
    chosen: list[Pick | None] = [None] * len(items)
    for i, j in zip(*linear_sum_assignment(cost)):
        if cost[i, j] < INFEASIBLE / 2:
            chosen[i] = _pick(scored[i], people, free, owner[j])
            taken[owner[j]] += 1
    return chosen, taken


def _pick(scored: list, people: list[Candidate], free: list[int], p: int) -> Pick:
    others = [(x[0], -q) for q, x in enumerate(scored) if q != p and x is not None and free[q]]
    if not others:
        return Pick(people[p], *scored[p])
    best, q = max(others)
    return Pick(people[p], *scored[p], people[-q], best)


def reason(item: Item, c: Candidate, points: float, parts: dict, s: dict) -> str:
    """The figures that decided a (lead, salesperson) pair, in plain Chinese, ending with the score."""
    bits = []
    if item.need_type:
        bits.append(f"特长{'匹配' if parts['specialty'] else '不含'}（需求：{item.need_type}；特长：{'、'.join(c.specialties) or '未填'}）")
    bits.append(f"成单率 {c.win:.1%}（平滑，近{90}天 {c.closed}/{c.followed}）")
    bits.append(f"丢单率 {c.loss:.1%}（{c.lost}/{c.followed}）")
    bits.append(f"跟进频率 {c.frequency:.1f} 次/客户" if c.frequency is not None else "跟进频率 无记录")
    bits.append(f"跟单能力 {c.ability:g}/5" if c.ability is not None else "跟单能力 未评")
    bits.append(f"沟通技巧 {c.communication:g}/5" if c.communication is not None else "沟通技巧 未评")
    bits.append(f"客户量 {c.load + c.given}/{c.capacity}（含本表已建议）")
    bits.append(f"近{int(s.get('balance_days', 30))}天已分到 {c.recent} 条")
    return "；".join(bits) + f"；得分 {points:.2f}"


def pick_reason(item: Item, pick: Pick, s: dict) -> str:
    """reason() of the chosen salesperson, then the runner-up and the score gap (why not them); for a held pick,
    why the salesperson is kept."""
    text = reason(item, pick.candidate, pick.points, pick.parts, s)
    if pick.held:
        return f"保持已审批的业务员（{pick.held}），以便另一位审批人审批同一建议。{text}"
    if pick.runner_up is None:
        return text + "。没有其他有空余容量的业务员"
    text += f"。次选 {pick.runner_up.label} 得分 {pick.runner_up_points:.2f}，相差 {pick.gap:+.2f}"
    if pick.gap < 0:
        text += f"（次选得分更高，但本表已建议 {pick.runner_up.given} 条、近期已分到 {pick.runner_up.recent} 条：为均衡分配）"
    return text


def recommend(con, day: dt.date, config_raw: dict, assign: bool = True) -> Recommendations:
    """The three lists; with assign=False only what is due, without choosing owners (for summaries)."""
    s = settings_of(config_raw)
    recs = Recommendations(day, candidates=candidates(con, day, s))
    eligible = {c.salesperson_id for c in recs.candidates}
    decided = open_decisions(con, approver_roles(config_raw))
    items = [("new", item) for item in _lead_items(con, recs, s)]
    # 3. recycling: no activity by the owner for N days, or the owner left
    for row in recycle_candidates(con, day, s):
        item = Item(row["name"], row["business_type"], code=row["customer_code"], exclude={row["owner_id"]},
                    details=row)
        if row["due"]:
            items.append(("recycle", item))
        elif row["warn"]:
            recs.recycle_soon.append(row)
    keys = [_matter_key(kind, item) for kind, item in items]
    chosen = _choose(items, [decided.get(key, []) for key in keys], recs.candidates, s) if assign else [None] * len(items)
    for (kind, item), key, pick in zip(items, keys, chosen):
        entry = {**item.details, "item": item, "to": pick.candidate if pick else None, "pick": pick,
                 "approved": decided.get(key, [])}
        (recs.new if kind == "new" else recs.recycle).append(entry)
    for entry in recs.new + recs.recycle:  # after the whole batch: 本表已建议 counts are final
        if entry.get("pick"):
            entry["reason"] = pick_reason(entry["item"], entry["pick"], s)
        elif "item" in entry:
            entry["reason"] = "没有可分配的在职业务员（都已满额或不符合条件）"
    recs.new.sort(key=lambda e: e["lead"]["order"])  # as the leads came, known customers among them
    recs.conflicts = conflicts(con, day, s, {c.salesperson_id: c for c in recs.candidates}, eligible, decided)
    recs.approvers = approvers(con, day, config_raw)
    return recs


def _matter_key(kind: str, item: Item) -> tuple:
    """The key of an item's matter in the approvals (approvals.open_decisions)."""
    return ("新客户分配", item.details["lead"]["lead_id"]) if kind == "new" else ("客户回收", item.code)


def _choose(items: list[tuple[str, Item]], decided: list[list[dict]], people: list[Candidate], s: dict) -> list[Pick | None]:
    """Owners for the batch. An item one approver has already decided (批准 / 改派, waiting for the other) keeps
    that decision's salesperson while they are still eligible, so that the next workbook asks the other approver
    about the same thing (a new recommendation would never match the first decision); the rest are assigned
    jointly (assign_batch) in the room that is left."""
    by_id = {c.salesperson_id: c for c in people}
    chosen: list[Pick | None] = [None] * len(items)
    for i, ((_, item), decisions) in enumerate(zip(items, decided)):
        held = next((d for d in decisions if d["to_salesperson_id"] in by_id
                     and d["to_salesperson_id"] not in item.exclude), None)
        if held is not None:
            person = by_id[held["to_salesperson_id"]]
            chosen[i] = Pick(person, *score(item, person, s), held=held["text"])
            person.given += 1
    rest = [i for i, pick in enumerate(chosen) if pick is None]
    for i, pick in zip(rest, assign_batch([items[i][1] for i in rest], people, s)):
        chosen[i] = pick
        if pick:
            pick.candidate.given += 1
    return chosen


def approver_roles(config_raw: dict) -> list[str]:
    """The 岗位 whose holders must all approve (assignment.md: 行政经理 and 总经理)."""
    return list(settings_of(config_raw).get("approver_roles", ["行政经理", "总经理"]))


def approvers(con, day: dt.date, config_raw: dict) -> list[dict]:
    """People of the roster in service on `day` whose 岗位 is an approver role: salesperson_id, name, role, label."""
    found = dicts(con, """select salesperson_id, name, role from salespeople
                          where role in (select unnest($roles)) and in_service(status, hired_on, left_on, $day, $day)
                          order by list_position($roles, role), salesperson_id""",
                  {"roles": approver_roles(config_raw), "day": day})
    for person in found:
        person["label"] = f"{person['name']}（{person['salesperson_id']}）"
    return found


# Leads still open: no 批准 / 改派 for the company, and no 驳回 — unless (with rejected_leads_return) this lead
# was acquired after the 驳回 (new information). Duplicates of a company are one item: its first lead.
OPEN_LEADS = """
    select l.* from leads l
    where not exists (select 1 from assignment_decisions d join leads x on x.lead_id = d.lead_id
                      where x.name_key = l.name_key and d.decision in ('批准', '改派'))
      and not exists (select 1 from assignment_decisions d join leads x on x.lead_id = d.lead_id
                      where x.name_key = l.name_key and d.decision = '驳回'
                        and not ($again and l.acquired_on > d.decided_on))
    order by l.acquired_on nulls last, l.source_file, l.source_row"""


def open_leads(con, s: dict) -> list[dict]:
    """Leads to recommend (assignment.md 1.), in the order they came, one per company (name_key)."""
    seen, out = set(), []
    for lead in dicts(con, OPEN_LEADS, {"again": bool(s.get("rejected_leads_return", True))}):
        if lead["name_key"] not in seen:
            seen.add(lead["name_key"])
            out.append(lead)
    return out


def _lead_items(con, recs: Recommendations, s: dict) -> list[Item]:
    """Open leads that are not customers become items; those that already are one are listed with their owner."""
    from salespipe.customers.master import find_code

    owners = dict(rows(con, "select customer_code, owner_id from customers"))
    names = dict(rows(con, "select salesperson_id, name from salespeople"))
    items = []
    for order, lead in enumerate(open_leads(con, s)):
        lead["order"] = order
        code = find_code(con, lead["customer_name"])
        if code:
            owner = owners.get(code)
            recs.new.append({"lead": lead, "code": code, "owner": owner, "to": None, "reason":
                             f"已是客户 {code}，负责人 {names.get(owner, owner or '无')}：不是新线索"})
        else:
            items.append(Item(lead["customer_name"], lead["need_type"], details={"lead": lead}))
    return items


def recycle_candidates(con, day: dt.date, s: dict) -> list[dict]:
    """Customers due for recycling on `day` (due), or within recycle_warning_days of it (warn).

    The clock (assignment.md 3.: no activity by the owner for recycle_days) runs from the owner's last activity
    with the customer or from the day the owner got it (an applied 批准 / 改派 that made them the owner;
    else the customer's first_seen), whichever is later: a customer the managers just transferred is the new
    owner's for a full period. After both approvers 驳回 a recycling, the customer is not due again for
    recycle_rejected_days (while its owner is the same), even when its owner has left."""
    default = int(s.get("recycle_days", 30))
    by_class = {k: int(v) for k, v in (s.get("recycle_days_by_class") or {}).items()}
    warn_days = int(s.get("recycle_warning_days", 3))
    rejected_days = int(s.get("recycle_rejected_days", 30))
    # the owners' last activities: the window's rows first (the longest recycle limit + the warning days: nearly every
    # owned customer's owner worked it then), all history only for the customers whose owner did not (bench/scale.py's
    # warehouses: 9,602 owned customers, 161-162 such; 0.08-0.09 / 0.14-0.18 s a call on one / three years when every
    # row of history was resolved and grouped, 0.06-0.07 / 0.10 s — what still grows is the scan of every row's code)
    since = day - dt.timedelta(days=max([default, *by_class.values()]) + warn_days)
    found = dicts(con, """
        with owned as (
            select c.customer_code, c.name, c.owner_id, c.customer_class, c.first_seen, p.name as owner_name,
                   in_service(p.status, p.hired_on, p.left_on, $day, $day) as owner_in_service
            from customers c left join salespeople p on p.salesperson_id = c.owner_id
            where c.owner_id is not null
        ),
        recent as (
            select coalesce(m.customer_code, a.customer_code) as code, a.salesperson_id, max(a.activity_date) as last_day,
                   arg_max(coalesce(a.business_type, a.need_type), a.activity_date) as business_type
            from activities a left join customer_aliases m on m.alias_code = a.customer_code
            where a.activity_date <= $day and a.activity_date > $since group by all
        ),
        idle as (  -- owned customers whose owner has no row in the window
            select o.customer_code, o.owner_id from owned o
            left join recent r on r.code = o.customer_code and r.salesperson_id = o.owner_id
            where r.code is null
        ),
        written as (  -- the codes the idle customers' rows carry: their own and those merged into them
            select customer_code as code from idle
            union select alias_code from customer_aliases where customer_code in (select customer_code from idle)
        ),
        older as (
            select coalesce(m.customer_code, a.customer_code) as code, a.salesperson_id, max(a.activity_date) as last_day,
                   arg_max(coalesce(a.business_type, a.need_type), a.activity_date) as business_type
            from activities a left join customer_aliases m on m.alias_code = a.customer_code
            where a.activity_date <= $day and a.customer_code in (select code from written) group by all
        ),
        touched as (
            select * from recent
            union all
            select o.* from older o join idle i on i.customer_code = o.code and i.owner_id = o.salesperson_id
        ),
        decided as (
            select coalesce(m.customer_code, d.customer_code) as code, d.*
            from assignment_decisions d left join customer_aliases m on m.alias_code = d.customer_code
            where d.customer_code is not null and d.decided_on <= $day
        ),
        received as (  -- the day each owner got the customer
            select code, to_salesperson_id, max(decided_on) as owned_since from decided
            where decision in ('批准', '改派') group by all
        ),
        rejected as (  -- the latest 驳回 of recycling it away from each owner
            select code, from_salesperson_id, max(decided_on) as rejected_on from decided
            where decision = '驳回' and action = '客户回收' group by all
        )
        select o.*, r.owned_since, j.rejected_on, t.business_type,
               coalesce(greatest(t.last_day, r.owned_since), o.first_seen) as last_by_owner
        from owned o
        left join touched t on t.code = o.customer_code and t.salesperson_id = o.owner_id
        left join received r on r.code = o.customer_code and r.to_salesperson_id = o.owner_id
        left join rejected j on j.code = o.customer_code and j.from_salesperson_id = o.owner_id
        order by o.customer_code""", {"day": day, "since": since})
    out = []
    for row in found:
        limit = by_class.get(row["customer_class"] or "", default)
        idle = (day - row["last_by_owner"]).days if row["last_by_owner"] else limit
        row["idle_days"] = idle
        row["days_left"] = min(0, limit - idle) if not row["owner_in_service"] else limit - idle
        quiet = row["rejected_on"] + dt.timedelta(days=rejected_days) if row["rejected_on"] else None
        if quiet is not None and (quiet - day).days > row["days_left"]:
            row["days_left"] = (quiet - day).days  # both approvers said no: not again before `quiet`
        row["due"] = row["days_left"] <= 0
        row["warn"] = not row["due"] and row["days_left"] <= warn_days
        row["why"] = _recycle_why(row, idle, limit, quiet, day)
        if row["due"] or row["warn"]:
            out.append(row)
    return out


def _recycle_why(row: dict, idle: int, limit: int, quiet: dt.date | None, day: dt.date) -> str:
    if not row["owner_in_service"]:
        why = f"负责人 {row['owner_name']} 已离职"
    elif row["owned_since"] is not None and row["owned_since"] >= row["last_by_owner"]:
        why = f"负责人 {row['owner_name']} 自 {row['owned_since'].isoformat()} 接手后已 {idle} 天未跟进（上限 {limit} 天）"
    else:
        why = f"负责人 {row['owner_name']} 已 {idle} 天未跟进（上限 {limit} 天）"
    if quiet is not None:
        why += f"；{row['rejected_on'].isoformat()} 审批人驳回回收" + (f"，{quiet.isoformat()} 前不再建议" if quiet > day else "")
    return why


def conflicts(con, day: dt.date, s: dict, people: dict[str, Candidate], eligible: set[str],
              decided: dict[tuple, list[dict]] | None = None) -> list[dict]:
    """Customers worked by two or more salespeople recently: furthest stage first, then earliest 开发日期,
    then smoothed win rate — unless an approver already chose one (批准 / 改派 waiting for the other approver):
    that one is kept (see _choose)."""
    window = int(s.get("conflict_days", 30))
    # the window's rows first; all history only for the customers worked by two (bench/scale.py's three-year
    # warehouse: 0.27-0.36 s when every row of history was resolved and searched, 0.02 s)
    found = dicts(con, """
        with recent as (
            select coalesce(m.customer_code, a.customer_code) as code, a.salesperson_id, a.activity_date, a.stage
            from activities a left join customer_aliases m on m.alias_code = a.customer_code
            where a.activity_date <= $day and a.activity_date > $since
        ),
        shared as (select code from recent group by code having count(distinct salesperson_id) > 1),
        written as (  -- the codes the shared customers' rows carry: their own and those merged into them
            select code from shared
            union select alias_code from customer_aliases where customer_code in (select code from shared)
        ),
        developed as (
            select coalesce(m.customer_code, a.customer_code) as code, a.salesperson_id,
                   min(a.activity_date) as developed_on
            from activities a left join customer_aliases m on m.alias_code = a.customer_code
            where a.activity_date <= $day and a.customer_code in (select code from written) group by all
        )
        select r.code as customer_code, c.name, c.owner_id, r.salesperson_id, p.name as salesperson,
               max(r.stage) as furthest_stage, d.developed_on
        from recent r join shared using (code) join customers c on c.customer_code = r.code
        left join developed d on d.code = r.code and d.salesperson_id = r.salesperson_id
        left join salespeople p on p.salesperson_id = r.salesperson_id
        group by all order by r.code, r.salesperson_id""", {"day": day, "since": day - dt.timedelta(days=window)})
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
        approved = (decided or {}).get(("冲突客户转移", code), [])
        held = next((d for d in approved if d["to_salesperson_id"] in people), None)
        rule = f"跟进阶段最远者优先，其次开发日期最早，再次平滑成单率。{figures}"
        out.append({"customer_code": code, "name": involved[0]["name"], "owner_id": involved[0]["owner_id"],
                    "to": people[held["to_salesperson_id"] if held else best["salesperson_id"]],
                    "runner_up": people[ranked[1]["salesperson_id"]] if len(ranked) > 1 and not held else None,
                    "approved": approved,
                    "reason": f"保持已审批的业务员（{held['text']}），以便另一位审批人审批同一建议。{rule}" if held else rule})
    return out


def fairness(con, day: dt.date, config_raw: dict) -> list[dict]:
    """The fairness ledger (分配公平性): per selling salesperson in service (or who received something), the
    leads (新客户分配) and recycled customers (客户回收) applied to them in the month of `day` (to `day`) and in
    the trailing fairness_days (default 90), next to the customers they own now and their 客户容量.
    Rows: salesperson_id, name, month_leads, month_recycled, trailing_leads, trailing_recycled, owned, capacity."""
    days = int(settings_of(config_raw).get("fairness_days", 90))
    return dicts(con, """
        with got as (
            select to_salesperson_id as salesperson_id, action, decided_on from assignment_decisions
            where decision in ('批准', '改派') and action in ('新客户分配', '客户回收')
              and decided_on > $since and decided_on <= $day),
        owned as (select owner_id, count(*) as n from customers group by all)
        select p.salesperson_id, p.name,
               count(g.action) filter (where g.action = '新客户分配' and g.decided_on >= $month) as month_leads,
               count(g.action) filter (where g.action = '客户回收' and g.decided_on >= $month) as month_recycled,
               count(g.action) filter (where g.action = '新客户分配') as trailing_leads,
               count(g.action) filter (where g.action = '客户回收') as trailing_recycled,
               coalesce(any_value(o.n), 0) as owned, p.capacity
        from core_salespeople p left join got g using (salesperson_id) left join owned o on o.owner_id = p.salesperson_id
        where p.is_selling group by p.salesperson_id, p.name, p.capacity, p.status, p.hired_on, p.left_on
        having in_service(p.status, p.hired_on, p.left_on, $day, $day) or count(g.action) > 0
        order by p.salesperson_id""", {"since": day - dt.timedelta(days=days), "day": day, "month": day.replace(day=1)})


def waiting_approvals(con, roles: list[str]) -> list[dict]:
    """Approval rows not settled: customer_name, action, decision, approver (姓名（工号）), approved_on, missing (the
    roles still to decide, 、-separated), disagreement (every role decided, differently: 意见不一致 naming each
    decision, e.g. 「意见不一致：吴经理（S091）批准 → 张三（S001）；郑总（S092）驳回」; else empty) and status (missing
    or disagreement: what the matter waits for)."""
    found = dicts(con, """
        with waiting as (
            select a.*, p.name as approver_name, coalesce(a.lead_id, a.customer_code) as matter
            from assignment_approvals a left join salespeople p on p.salesperson_id = a.approver_id
            where a.decision is not null and a.settled_at is null and a.approver_role is not null),
        present as (select action, matter, list(distinct approver_role) as roles from waiting group by all)
        select w.customer_name, w.action, w.matter, w.decision, w.approver_name || '（' || w.approver_id || '）' as approver,
               w.approved_on, array_to_string(list_filter($roles, lambda r: not list_contains(p.roles, r)), '、') as missing
        from waiting w join present p using (action, matter)
        order by w.approved_on, w.source_file, w.source_row""", {"roles": roles})
    decided = open_decisions(con, roles)
    for row in found:
        latest = decided.get((row["action"], row["matter"]), [])
        row["disagreement"] = ("意见不一致：" + "；".join(d["text"] for d in latest)) if is_disagreement(latest, roles) else ""
        row["status"] = row["missing"] or row["disagreement"]
    return found


def rejected_approvals(con, day: dt.date) -> list[dict]:
    """The approval rows rejected by the run(s) of `day`, naming the customer: customer_name, approver (the
    approver's name, or as written), column_name, value, reason, file, row_number."""
    return dicts(con, """
        select r.customer_name, coalesce(p.name || '（' || p.salesperson_id || '）', r.salesperson_name, '') as approver,
               r.column_name, r.value, r.reason, r.file, r.row_number
        from rejects r left join salespeople p using (salesperson_id)
        where r.kind = 'approvals' and r.received_on = ?
        order by r.file, r.sheet, r.row_number, r.column_name""", [day])


# ---------------------------------------------------------------- the workbook

APPROVAL_COLUMNS = ["审批结果", "改派业务员", "审批人", "审批日期"]


def _sheets(recs: Recommendations) -> list[tuple[str, list[str], list[tuple[list, dict]]]]:
    """(title, the columns before the recommendation, [(values, entry)]) of the three sheets."""
    return [
        ("新客户分配", ["线索编号", "客户编码", "客户名称", "联系人", "联系电话", "客户需求", "客户来源", "当前负责人"],
         [([e["lead"].get("lead_id"), e.get("code") or "", e["lead"]["customer_name"], e["lead"].get("contact"),
            e["lead"].get("phone"), e["lead"].get("need_type"), e["lead"].get("source"), e.get("owner") or ""], e)
          for e in recs.new]),
        ("冲突客户转移", ["客户编码", "客户名称", "当前负责人"],
         [([e["customer_code"], e["name"], e["owner_id"] or ""], e) for e in recs.conflicts]),
        ("客户回收", ["客户编码", "客户名称", "当前负责人", "最近跟进", "回收原因"],
         [([e["customer_code"], e["name"], e["owner_id"], e["last_by_owner"], e["why"]], e) for e in recs.recycle]),
    ]


def _runner_up(entry: dict) -> tuple[str, float | None]:
    """(次选业务员, 得分差) of a row: the pick's runner-up and gap, or a conflict's second-ranked person."""
    pick = entry.get("pick")
    if pick is not None:
        return (pick.runner_up.label if pick.runner_up else "", None if pick.gap is None else round(pick.gap, 2))
    other = entry.get("runner_up")
    return (other.label if other else "", None)


def _validations(ws, col: dict, last: int, people: int, approvers: int) -> None:
    """Drop-downs that refuse anything else (showErrorMessage), and a real date for 审批日期."""
    from openpyxl.worksheet.datavalidation import DataValidation

    def add(column: str, message: str, **kwargs) -> None:
        rule = DataValidation(allow_blank=True, showErrorMessage=True, errorTitle="输入无效", error=message, **kwargs)
        ws.add_data_validation(rule)
        letter = ws.cell(2, col[column]).column_letter
        rule.add(f"{letter}3:{letter}{last}")

    add("审批结果", "请从下拉列表选择：批准、改派或驳回", type="list", formula1='"批准,改派,驳回"')
    add("改派业务员", "请从下拉列表选择在职业务员", type="list", formula1=f"'_选项'!$A$1:$A${max(1, people)}")
    add("审批人", "请从下拉列表选择审批人（行政经理或总经理）", type="list",
        formula1=f"'_选项'!$B$1:$B${max(1, approvers)}")
    add("审批日期", "请填写日期，例如 2026-12-01", type="date", operator="greaterThan", formula1="DATE(2000,1,1)")


def write_workbook(recs: Recommendations, out_dir: Path) -> Path:
    """分配建议_YYYY-MM-DD.xlsx (assignment.md): the three sheets, each row with the workbook's date (建议日期: an
    approval dated before it is refused), its recommendation, reasons, runner-up and score gap, the decisions already
    made on it that wait for another approver (已审批), and the empty approval columns; a hidden _选项 sheet holds the drop-downs' lists
    (A: salespeople in service, B: approvers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from salespipe.excel import append_row, set_cell

    wb = Workbook()
    people = [c.label for c in recs.candidates]
    approvers = [a["label"] for a in recs.approvers]
    for index, (title, columns, lines) in enumerate(_sheets(recs)):
        ws = wb.active if index == 0 else wb.create_sheet(title)
        ws.title = title
        ws.append([f"{title}建议（{recs.day.isoformat()}）：请在「审批结果」选择 批准 / 改派 / 驳回（改派请选改派业务员），"
                   f"选择审批人、填写审批日期后放回收件箱；行政经理和总经理都批准后才执行"])
        ws["A1"].font = Font(bold=True)
        header = ["序号", "建议类型", "建议日期", *columns, "建议业务员", "建议业务员工号", "理由", "次选业务员", "得分差",
                  "已审批", *APPROVAL_COLUMNS]
        append_row(ws, header)
        for cell in ws[2]:
            cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        for number, (values, entry) in enumerate(lines, start=1):
            to = entry.get("to")
            append_row(ws, [number, title, recs.day, *values, to.name if to else "", to.salesperson_id if to else "",
                            entry.get("reason") or entry.get("why") or "", *_runner_up(entry),
                            "；".join(d["text"] for d in entry.get("approved", [])), None, None, None, None])
        col = {name: i + 1 for i, name in enumerate(header)}
        _validations(ws, col, max(3, ws.max_row), len(people), len(approvers))
        for name, width in (("客户名称", 30), ("理由", 80), ("建议类型", 12), ("次选业务员", 16), ("审批人", 16),
                            ("审批日期", 12), ("建议日期", 12), ("已审批", 30)):
            ws.column_dimensions[ws.cell(2, col[name]).column_letter].width = width
        for cells in ws.iter_rows(min_row=3, min_col=col["理由"], max_col=col["理由"]):
            cells[0].alignment = Alignment(wrap_text=True, vertical="top")
        for name in ("建议日期", "审批日期"):
            for cells in ws.iter_rows(min_row=3, min_col=col[name], max_col=col[name]):
                cells[0].number_format = "yyyy-mm-dd"
        ws.freeze_panes = "C3"
    options = wb.create_sheet("_选项")
    options.sheet_state = "hidden"
    for column, labels in ((1, people or ["（无）"]), (2, approvers or ["（名册中没有审批人）"])):
        for i, label in enumerate(labels, start=1):
            set_cell(options, i, column, label)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"分配建议_{recs.day.isoformat()}.xlsx"
    wb.save(path)
    return path


def assignment_if_waiting(config, day: dt.date, out_dir: Path) -> tuple[Path | None, Recommendations]:
    """The nightly rule (issue 16): write the workbook whenever leads without an owner, conflicts or customers
    due for recycling exist — not only at month end; (None, recommendations) when nothing waits."""
    recs = _recommend_from(config, day)
    return (write_workbook(recs, out_dir) if any(recs.waiting.values()) else None), recs


def make_assignment(config, day: dt.date, out_dir: Path) -> tuple[Path, Recommendations]:
    """`salespipe assign`: the workbook of `day`, written even when it is empty."""
    recs = _recommend_from(config, day)
    return write_workbook(recs, out_dir), recs


def _recommend_from(config, day: dt.date) -> Recommendations:
    from salespipe.warehouse import connect

    con = connect(config.warehouse, read_only=True)
    try:
        return recommend(con, day, config.raw)
    finally:
        con.close()
