"""Applying the decisions of the recommendations workbook (assignment.md, the approval loop).

The handbook: the customer-information administrator recommends, the 行政经理 **and** the 总经理 approve,
then the database changes. A row of the workbook is one approver's decision on one matter (a lead, or a
customer to transfer or recycle). It is kept in `assignment_approvals`; the matter is decided when every
approver role (`[assignment] approver_roles`) has a decision on it and they agree on the outcome (the same new
owner, or 驳回) — then the change is applied and written to `assignment_decisions`. Until then the row waits
for the other approver(s); a later decision of the same role replaces that role's earlier one.

A row with a problem (unknown decision, a 审批日期 that is missing, earlier than the workbook or later than
the ingest day, a 审批人 who is not an approver, a salesperson not in service, a customer that does not exist) is
rejected whole with a Chinese reason, and nothing of it is applied. People are checked as of the ingest day (the
date written is checked on its own first: a wrong date must not make a real approver look like a stranger).

Every row of the workbook is counted in exactly one kind (KINDS): 未填, 退回, 重复（已记录） (the same decision
of the same approver came in before), 待第二审批人 (another approver's decision is missing), 意见不一致 (every
approver decided, differently), or the outcome applied (批准 / 改派 / 驳回) for the rows the load settled.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import NamedTuple

from salespipe.customers.master import create_from_lead, find_code, resolve
from salespipe.customers.normalize import name_key
from salespipe.warehouse import append_rows, dicts, rows, run, scalar

KINDS = ("批准", "改派", "驳回", "未填", "待第二审批人", "意见不一致", "重复（已记录）", "退回")  # the summary's order
NEW_LEAD = "新客户分配"
_BRACKETED_ID = re.compile(r"[（(]\s*([A-Za-z0-9_-]+)\s*[)）]")
_WORKBOOK_DAY = re.compile(r"分配建议_(\d{4}-\d{2}-\d{2})")  # the name write_workbook gives its file


class Approver(NamedTuple):
    salesperson_id: str
    name: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.name}（{self.salesperson_id}）"


def _key(text: str) -> str:
    from salespipe.ingest.load import person_key  # (load imports this module)

    return person_key(text)


def find_approver(con, text: str | None, day: dt.date, roles: list[str]) -> tuple[Approver | None, str | None]:
    """(approver, problem) for a 审批人 written as 姓名（工号）, 工号, 姓名, or the role (行政经理) when one
    person in service holds it. Approvers are the roster's people in service whose 岗位 is one of `roles`."""
    people = [Approver(*r) for r in rows(con, """
        select salesperson_id, name, role from salespeople
        where role in (select unnest(?)) and in_service(status, hired_on, left_on, ?, ?)
        order by list_position(?, role), salesperson_id""", [roles, day, day, roles])]
    allowed = "、".join(p.label for p in people) or "名册中没有这样的人"
    rule = f"审批人须为名册中岗位为{'、'.join(roles)}的在职人员：{allowed}"
    if not text or not text.strip():
        return None, f"缺少审批人：请从下拉列表选择（{rule}）"
    match = _BRACKETED_ID.search(text)
    key = (match[1] if match else text).strip()
    found = [p for p in people if p.salesperson_id.upper() == key.upper() or p.name == _key(key)] \
        or [p for p in people if p.role == key]
    if len(found) > 1:
        return None, f"审批人重名，请从下拉列表选择带工号的审批人：{text}"
    if not found:
        return None, f"不是审批人：{text}（{rule}）"
    return found[0], None


def who(con, text: str | None, day: dt.date, selling_roles: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(salesperson id, problem) for a salesperson written as 姓名（工号）, 工号 or a unique 姓名;
    they must hold a selling role and be 在职 on the day."""
    from salespipe.ingest.load import _in_service

    if not text:
        return None, "缺少业务员"
    match = _BRACKETED_ID.search(text)
    key = (match[1] if match else text).strip()
    found = rows(con, "select salesperson_id, name, status, hired_on, left_on, role from salespeople "
                      "where upper(salesperson_id) = ? or name = ?", [key.upper(), _key(key)])
    if len(found) != 1:
        return None, f"业务员不存在或重名：{text}"
    sp, name, status, hired, left, role = found[0]
    if not _in_service((sp, name, status, hired, left), day, False) or (role and role not in selling_roles):
        return None, f"业务员不在职或不是销售岗位：{text}"
    return sp, None


# ---------------------------------------------------------------- one row


class Matter(NamedTuple):
    """What a row decides about: a lead (new customer) or a customer (transfer, recycling)."""
    action: str
    lead: dict | None  # the leads row (新客户分配)
    code: str | None  # the customer: existing, or None for a lead that is not one yet

    @property
    def key(self) -> tuple:
        return (self.action, self.lead["lead_id"] if self.lead else self.code)


def _matter(con, rec: dict) -> tuple[Matter | None, str | None]:
    action = rec.get("action") or ""
    if action == NEW_LEAD:
        lead = dicts(con, "select * from leads where lead_id = ?", [rec["lead_id"]]) if rec.get("lead_id") else \
            dicts(con, "select * from leads where name_key = ? order by lead_id limit 1",
                  [name_key(rec.get("customer_name") or "")])
        if not lead:
            return None, "线索不存在：请核对线索编号或客户名称"
        return Matter(action, lead[0], find_code(con, lead[0]["customer_name"])), None
    code = resolve(con, rec["customer_code"]) if rec.get("customer_code") else find_code(con, rec.get("customer_name") or "")
    if code is None:
        return None, "客户不存在：请核对客户编码或客户名称"
    return Matter(action, None, code), None


def workbook_day(rec: dict) -> dt.date | None:
    """The day of the recommendations workbook a row comes from: its 建议日期 column, else the date in the file
    name (分配建议_YYYY-MM-DD, a workbook written before that column existed); None when neither says."""
    if rec.get("recommended_on"):
        return rec["recommended_on"]
    found = _WORKBOOK_DAY.search(rec.get("source_file") or "")
    return dt.date.fromisoformat(found[1]) if found else None


def date_problem(rec: dict, today: dt.date) -> str | None:
    """Why a decided row's 审批日期 cannot be true, or None: missing (the handbook wants a dated approval), before
    the workbook was written, or after the ingest day."""
    day, written = rec.get("approved_on"), workbook_day(rec)
    if day is None:
        return "缺少审批日期：请填写审批的日期，例如 " + today.isoformat()
    if written is not None and day < written:
        return f"审批日期早于建议表日期：{day.isoformat()} 早于 {written.isoformat()}"
    if day > today:
        return f"审批日期晚于今天：{day.isoformat()} 晚于 {today.isoformat()}"
    return None


def check_row(con, rec: dict, day: dt.date, roles: list[str], selling_roles: tuple[str, ...]):
    """(approver, matter, new owner) of a decided row, or None after adding the row's problems. The approver
    is named on the row even when something else is wrong, so the rejected row reaches them in their feedback.
    `day` is the ingest day: the 审批日期 is checked first (date_problem), the people as of `day`."""
    problem = date_problem(rec, day)
    if problem:
        written = rec.get("approved_on")
        rec["problems"].append(("审批日期", written.isoformat() if written else "", problem))
    approver, problem = find_approver(con, rec.get("approver"), day, roles)
    if approver:
        rec["salesperson_id"], rec["salesperson_name"] = approver.salesperson_id, approver.name
    else:
        rec["salesperson_name"] = rec.get("approver")
        rec["problems"].append(("审批人", rec.get("approver") or "", problem))
    to = None
    if rec["decision"] in ("批准", "改派"):
        column, text = ("改派业务员", rec.get("reassign_to")) if rec["decision"] == "改派" else \
            ("建议业务员工号", rec.get("recommended_id"))
        to, problem = who(con, text, day, selling_roles)
        if problem:
            rec["problems"].append((column, text or "", problem))
    matter, problem = _matter(con, rec)
    if problem:
        rec["problems"].append(("客户编码", rec.get("lead_id") or rec.get("customer_code") or rec.get("customer_name") or "",
                                problem))
    return None if rec["problems"] else (approver, matter, to)


def open_decisions(con, roles: list[str]) -> dict[tuple, list[dict]]:
    """(action, lead id or customer code) -> the latest decision not yet settled of each approver role who has one,
    in role order: approver_role, decision, to_salesperson_id, approved_on and text, e.g.
    「吴经理（S091）批准 → 封兰英（S108）」 (what the workbook's 已审批 column and the daily report show)."""
    found = dicts(con, """
        select a.action, coalesce(a.lead_id, a.customer_code) as matter, a.approver_role, a.decision,
               a.to_salesperson_id, a.approved_on,
               coalesce(p.name, a.approver) || '（' || a.approver_id || '）' || a.decision
                 || coalesce(' → ' || t.name || '（' || a.to_salesperson_id || '）', '') as text
        from assignment_approvals a left join salespeople p on p.salesperson_id = a.approver_id
        left join salespeople t on t.salesperson_id = a.to_salesperson_id
        where a.decision is not null and a.settled_at is null and a.approver_role is not null
        order by a.approved_on nulls first, a.source_file, a.source_row""")
    latest: dict[tuple, dict[str, dict]] = {}
    for row in found:  # oldest first, as Approvals._stored: the last one of a role is its decision
        latest.setdefault((row["action"], row["matter"]), {})[row["approver_role"]] = row
    return {key: [by_role[role] for role in roles if role in by_role] for key, by_role in latest.items()}


def is_disagreement(decisions: list[dict], roles: list[str]) -> bool:
    """Every approver role decided and they differ (not the same new owner, or not all 驳回)."""
    outcomes = {(d["decision"] == "驳回", d["to_salesperson_id"]) for d in decisions}
    return len(decisions) == len(roles) and len(outcomes) > 1


# ---------------------------------------------------------------- the loop


class Approvals:
    """The decisions of one load: counts per kind (KINDS) and the customers created from leads."""

    def __init__(self, con, now: dt.datetime, run_id: str, roles: list[str], selling_roles: tuple[str, ...],
                 assignment: dict):
        self.con, self.now, self.run_id = con, now, run_id
        self.roles, self.selling_roles, self.assignment = roles, selling_roles, assignment
        self.counts: Counter = Counter()
        self.customers_created = 0
        self.pending: dict[tuple, list[dict]] = {}  # this batch's accepted decisions, by matter
        self.matters: dict[tuple, Matter] = {}
        self.repeats: dict[tuple, list[dict]] = {}  # this batch's repeated decisions (counted 重复（已记录）), by matter

    def take(self, rec: dict) -> None:
        """One row of the workbook (rows in file and row order)."""
        day = self.now.date()  # people are checked as of the ingest day, whatever date was written
        if rec["problems"]:
            approver, _ = find_approver(self.con, rec.get("approver"), day, self.roles)
            if approver:  # the rejected row goes back to the approver who filled it (their feedback)
                rec["salesperson_id"], rec["salesperson_name"] = approver.salesperson_id, approver.name
            else:
                rec["salesperson_name"] = rec.get("approver")  # as written, for the daily report
            self.counts["退回"] += 1
            return
        if not rec.get("decision"):
            self.counts["未填"] += 1
            return
        checked = check_row(self.con, rec, day, self.roles, self.selling_roles)
        if checked is None:
            self.counts["退回"] += 1
            return
        approver, matter, to = checked
        rec.update(approver_id=approver.salesperson_id, approver_role=approver.role, to_salesperson_id=to,
                   lead_id=matter.lead["lead_id"] if matter.lead else None, customer_code=matter.code)
        same = self._repeated(rec, matter)
        if same is not None:  # the same decision came in before (another copy of the workbook): already recorded
            rec["settled_at"] = same.get("settled_at")  # stored settled, as the one it repeats
            self.repeats.setdefault(matter.key, []).append(rec)  # settled with it if it is settled later in this load
            self.counts["重复（已记录）"] += 1
            return
        self.pending.setdefault(matter.key, []).append(rec)
        self.matters[matter.key] = matter
        decided = self._agreed(matter)
        if decided is not None:
            self._apply(matter, decided)

    def _repeated(self, rec: dict, matter: Matter) -> dict | None:
        """The earlier row (this batch's or stored) with the same approver role, decision, new owner and date."""
        same = [r for r in self.pending.get(matter.key, []) + self._stored(matter, settled=None)
                if (r["approver_role"], r["decision"], r["to_salesperson_id"], r["approved_on"]) ==
                (rec["approver_role"], rec["decision"], rec["to_salesperson_id"], rec.get("approved_on"))]
        return same[-1] if same else None

    def _stored(self, matter: Matter, settled: bool | None) -> list[dict]:
        """The matter's approvals already in the warehouse (settled or not, or all with None), oldest first."""
        where = {None: "true", True: "settled_at is not null", False: "settled_at is null"}[settled]
        column, value = ("lead_id", matter.lead["lead_id"]) if matter.lead else ("customer_code", matter.code)
        return dicts(self.con, f"""select * from assignment_approvals where action = ? and {column} = ?
                                   and decision is not null and approver_role is not null and {where}
                                   order by approved_on nulls first, source_file, source_row""", [matter.action, value])

    def _agreed(self, matter: Matter) -> list[dict] | None:
        """The latest waiting decision of every approver role when there is one for each and they agree on the
        outcome (the same new owner, or none for 驳回); else None (the row waits)."""
        latest = self._latest(matter)
        if any(role not in latest for role in self.roles):
            return None
        outcomes = {(r["decision"] == "驳回", r["to_salesperson_id"]) for r in latest.values()}
        return [latest[role] for role in self.roles] if len(outcomes) == 1 else None

    def _latest(self, matter: Matter) -> dict[str, dict]:
        """The latest decision not yet settled of each approver role on the matter (stored, then this batch's)."""
        latest: dict[str, dict] = {}
        for rec in self._stored(matter, settled=False) + self.pending.get(matter.key, []):
            if not rec.get("settled_at"):
                latest[rec["approver_role"]] = rec
        return latest

    def count_open(self) -> None:
        """After the last row: this batch's decided rows that nothing settled are 意见不一致 when every approver role
        has decided the matter (differently), else 待第二审批人; the settled ones count as what was applied."""
        for key, recs in self.pending.items():
            matter_roles = set(self._latest(self.matters[key]))
            for rec in recs:
                if rec.get("settled_at"):
                    self.counts[rec["applied_kind"]] += 1
                elif all(role in matter_roles for role in self.roles):
                    self.counts["意见不一致"] += 1
                else:
                    self.counts["待第二审批人"] += 1

    def _apply(self, matter: Matter, agreed: list[dict]) -> None:
        last = agreed[-1]
        kind = "驳回" if last["decision"] == "驳回" else ("改派" if any(r["decision"] == "改派" for r in agreed) else "批准")
        day = max(r.get("approved_on") or self.now.date() for r in agreed)
        to = None if kind == "驳回" else last["to_salesperson_id"]
        code = matter.code
        before = scalar(self.con, "select owner_id from customers where customer_code = ?", [code]) if code else None
        if to is not None:
            if code is None:
                code = create_from_lead(self.con, matter.lead, to, day, self.run_id)
                self.customers_created += 1
            run(self.con, "update customers set owner_id = ? where customer_code = ?", [to, code])
        if matter.lead and code:
            run(self.con, "update leads set customer_code = ? where name_key = ? and customer_code is null",
                [code, matter.lead["name_key"]])
        append_rows(self.con, "assignment_decisions", [{
            "decided_on": day, "customer_code": code, "from_salesperson_id": before, "to_salesperson_id": to,
            "decision": kind, "approver": "、".join(self._label(r["approver_id"]) for r in agreed),
            "reason": self._reason(matter, last, to) if kind == "改派" else last.get("reason"),
            "source_file": last["source_file"], "action": matter.action, "source_row": last["source_row"],
            "recorded_at": self.now, "lead_id": matter.lead["lead_id"] if matter.lead else None}])
        run(self.con, f"""update assignment_approvals set settled_at = ? where action = ? and settled_at is null
                          and {'lead_id' if matter.lead else 'customer_code'} = ?""", [self.now, *matter.key])
        for rec in self.pending[matter.key] + self.repeats.get(matter.key, []):
            if not rec.get("settled_at"):
                rec["settled_at"], rec["applied_kind"] = self.now, kind

    def _label(self, salesperson_id: str) -> str:
        name = scalar(self.con, "select name from salespeople where salesperson_id = ?", [salesperson_id])
        return f"{name}（{salesperson_id}）"

    def _reason(self, matter: Matter, rec: dict, to: str) -> str:
        """An 改派's reasons, recomputed for the chosen salesperson with the recommendation's figures."""
        from salespipe.assign import Item, candidates, reason, score

        if not scalar(self.con, "select count(*) from duckdb_functions() where function_name = 'smoothed_rates'"):
            return f"改派：{rec.get('reason') or ''}"  # no model built yet (a first run): the workbook's text
        day = rec.get("approved_on") or self.now.date()
        chosen = next((c for c in candidates(self.con, day, self.assignment) if c.salesperson_id == to), None)
        if chosen is None:
            return f"改派：{rec.get('reason') or ''}"
        need = matter.lead["need_type"] if matter.lead else scalar(self.con, """
            select arg_max(coalesce(business_type, need_type), activity_date) from activities where customer_code = ?""",
            [matter.code])
        item = Item(rec.get("customer_name") or "", need)
        return f"改派给 {chosen.label}：" + reason(item, chosen, *score(item, chosen, self.assignment), self.assignment)


def apply_approvals(con, recs: list[dict], now: dt.datetime, run_id: str,
                    selling_roles: tuple[str, ...] = ("CC", "KAE"), assignment: dict | None = None) -> Approvals:
    """批准 applies the recommendation, 改派 applies it with the named salesperson, 驳回 changes nothing — each
    once every approver role agrees (see the module). Rows in file, sheet and row order. Returns the counts."""
    assignment = assignment or {}
    roles = list(assignment.get("approver_roles", ["行政经理", "总经理"]))
    approvals = Approvals(con, now, run_id, roles, selling_roles, assignment)
    for rec in sorted(recs, key=lambda r: (r["file_order"], r["source_sheet"], r["source_row"])):
        approvals.take(rec)
    approvals.count_open()
    return approvals
