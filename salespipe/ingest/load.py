"""Writing a Batch into the warehouse, inside the caller's transaction.

Order (independent of the order of files): rosters first, then every row that names a salesperson is
checked against the roster, then 日志表 resubmissions supersede, then customers get codes, then
orders and leads are linked to customers, then everything is inserted and the files recorded.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple


from salespipe.customers.followups import check_order_followups, create_followups, refresh_followups
from salespipe.customers.master import Assigned, Profiles, assign_customers, find_code, merge, resolve
from salespipe.customers.match import Settings
from salespipe.customers.normalize import name_key
from salespipe.approvals import apply_approvals
from salespipe.ingest.batch import Batch
from salespipe.ingest.kinds import SALESPERSON_KINDS
from salespipe.schema import EVIDENCE_OF_ROWS, TABLES
from salespipe.warehouse import append_rows, dicts, object_columns, rewrite_rows, rows, run, scalar

CUSTOMER_KINDS = ("log", "bc")  # rows of these kinds create customers
MONEY = ("amount", "cost", "gross_profit", "paid", "revenue_target", "per_customer_target", "profit_target")
TARGET_TABLE = {"log": "activities", "bc": "bc_registrations", "orders": "orders", "targets": "targets",
                "quality": "quality_ratings", "inspections": "inspections", "leads": "leads",
                "approvals": "assignment_approvals", "roster": "salespeople"}
UPSERT_KEYS = {"targets": ("month", "salesperson_id"), "quality": ("month", "salesperson_id"),
               "roster": ("salesperson_id",)}


@dataclass
class LoadResult:
    rows_accepted: int = 0
    rows_rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    new_customers: int = 0
    superseded_rows: int = 0
    new_reviews: int = 0
    settled_reviews: int = 0  # pending review pairs the rows showed to be two customers
    new_followups: int = 0
    decisions: Counter = field(default_factory=Counter)  # the approval workbook's rows by kind (approvals.KINDS)
    customers_from_leads: int = 0  # customers created by approved leads (also counted in new_customers)
    rows_skipped: int = 0  # non-blank rows that are not data (headers, titles, totals, notes, examples, hints)
    sheets_not_read: list = field(default_factory=list)  # (file, sheet, reason)
    per_file: dict[int, list[int]] = field(default_factory=dict)  # file_id -> [accepted, rejected]
    # rows an earlier chunk of the same run accepted and this chunk's newer files superseded: sha256 -> rows
    withdrawn: Counter = field(default_factory=Counter)

    def absorb(self, other: "LoadResult") -> None:
        """Add a later chunk's result to this one."""
        for name in ("rows_accepted", "rows_rejected", "new_customers", "superseded_rows", "new_reviews",
                     "settled_reviews", "new_followups", "rows_skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.reasons.update(other.reasons)
        self.decisions.update(other.decisions)
        self.customers_from_leads += other.customers_from_leads
        self.sheets_not_read.extend(other.sheets_not_read)
        self.per_file.update(other.per_file)


@lru_cache(maxsize=10_000)
def person_key(name: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split())


# ---------------------------------------------------------------- salespeople


class Roster:
    """The salespeople known after this run's rosters are applied; answers 'who is this row's S?'."""

    def __init__(self, rows: list[tuple]):
        self.by_id = {r[0]: r for r in rows}  # (id, name, status, hired_on, left_on)
        self.by_name: dict[str, list[tuple]] = {}
        for r in rows:
            self.by_name.setdefault(person_key(r[1]), []).append(r)

    @classmethod
    def of(cls, con) -> "Roster":
        """The warehouse's roster (the salespeople table)."""
        return cls(rows(con, "select salesperson_id, name, status, hired_on, left_on from salespeople"))

    def only(self, name: str | None) -> str | None:
        """The salesperson_id of the one salesperson called `name` (as a file name says it: 日志表_张三_20261126),
        None when the roster has nobody or several of that name."""
        matches = self.by_name.get(person_key(name)) if name else None
        return matches[0][0] if matches and len(matches) == 1 else None

    def resolve(self, rec: dict, monthly: bool) -> None:
        staff, name = rec.get("staff_no"), rec.get("salesperson_name")
        person = None
        if staff:
            person = self.by_id.get(staff)
            if person is None:
                rec["problems"].append(("工号", staff, f"工号不在业务员名册中：{staff}"))
        elif name:
            matches = self.by_name.get(person_key(name), [])
            if not matches:
                rec["problems"].append(("业务员", name, f"业务员不在业务员名册中：{name}"))
            elif len(matches) > 1:
                rec["problems"].append(("业务员", name, "业务员重名，请填写工号"))
            else:
                person = matches[0]
        if person is None:
            return
        rec["salesperson_id"] = person[0]
        day = rec.get("row_date")
        if day is not None and not _in_service(person, day, monthly):
            when = day.strftime("%Y-%m") if monthly else day.isoformat()
            rec["problems"].append(("业务员", name or staff, f"业务员在该日期不是在职状态：{person[1]}（{person[0]}），{when}"))


def _in_service(person: tuple, day: dt.date, monthly: bool) -> bool:
    _, _, status, hired, left = person
    if status == "离职" and left is None:
        return False
    first, last = day, day
    if monthly:
        last = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return (hired is None or hired <= last) and (left is None or left >= first)


# ---------------------------------------------------------------- the load


def load_batch(con, batch: Batch, run_id: str, now: dt.datetime, default_capacity: int = 60,
               match_settings: Settings | None = None, selling_roles: tuple[str, ...] = ("CC", "KAE"),
               profiles: Profiles | None = None, assignment: dict | None = None) -> LoadResult:
    """Load one batch (a run, or one chunk of a run); `profiles` carries the customers between chunks;
    `assignment` is the [assignment] configuration (approver roles, weights for an 改派's reasons)."""
    result = LoadResult()
    profiles = profiles or Profiles()
    records = batch.records
    _load_roster(con, records.get("roster", []), default_capacity)
    roster = Roster.of(con)
    for kind in SALESPERSON_KINDS:
        for rec in records.get(kind, []):
            roster.resolve(rec, monthly=kind in ("targets", "quality"))
    result.superseded_rows = _supersede_log(con, batch, now, run_id, result.withdrawn)
    assigned = _assign_customers(con, records, run_id, now, match_settings, profiles)
    result.new_customers, result.new_reviews = assigned.new_customers, assigned.new_reviews
    result.settled_reviews = assigned.settled_reviews
    _apply_match_decisions(con, records.get("match_review", []), now)
    approvals = apply_approvals(con, records.get("approvals", []), now, run_id, selling_roles, assignment)
    result.decisions, result.customers_from_leads = approvals.counts, approvals.customers_created
    result.new_customers += approvals.customers_created
    if records.get("match_review") or records.get("approvals"):
        profiles.forget()  # codes were merged or made from leads: read the customers again next time
    _link_customers(con, records)
    check_order_followups(con, records.get("orders", []))
    for kind, recs in records.items():
        if kind in TARGET_TABLE and kind != "roster":  # rosters were applied first
            _insert(con, kind, [r for r in recs if not r["problems"] and not r.get("superseded_by")], run_id)
    _record_evidence(con, run_id)  # before the next chunk's matching may read the customers again
    number_leads(con)
    if assigned.new_customers:  # only a new customer can be what an earlier lead turned out to be
        _link_earlier_leads(con)
    _keep_superseded(con, records.get("log", []), run_id, now)
    _insert_rejects(con, batch, run_id, now, result, roster)
    append_rows(con, "skipped_rows", [{**row, "run_id": run_id} for row in batch.skipped])
    result.rows_skipped = sum(1 for row in batch.skipped if row["row_number"] is not None)
    result.sheets_not_read = [(r["file"], r["sheet"], r["reason"]) for r in batch.sheet_rejects if r["sheet"]]
    log_rows = sorted((r for r in records.get("log", []) if not r["problems"] and not r.get("superseded_by")),
                      key=lambda r: (r["row_date"], r["file_order"], r["sheet_index"], r["source_row"]))
    result.new_followups = create_followups(con, log_rows)
    return result


def finish_load(con, run_id: str | None = None, now: dt.datetime | None = None) -> None:
    """After the run's last chunk: the latest details of the customers this run touched, and their
    follow-ups — work in proportion to the night, not to the history (issue 19).

    Touched: the codes of the rows this run inserted (log, BC, orders), of rows it replaced by a correction,
    and of the customers a match decision merged. A touched customer whose new rows all come after its last
    contact (the usual evening) gets the night's rows folded into its current values; the others (a
    correction, a merge, a late sheet for an earlier day) are recomputed from all their rows. Without run_id,
    every customer is recomputed (a full refresh: the same result; the tests' reference)."""
    if run_id is None:
        run(con, "create or replace temp table touched_codes as select customer_code as code from customers")
        run(con, "create or replace temp table forced_codes as select code from touched_codes")
    else:
        run(con, """
            create or replace temp table forced_codes as
            select distinct code from (
                select customer_code as code from activities_superseded where superseded_at = $now
                union all select unnest([left_code, right_code, survivor_code]) from customer_match_decisions
                          where decided_at = $now and same)
            where code is not null""", {"now": now})
        run(con, """
            create or replace temp table touched_codes as
            select distinct code from (
                select customer_code as code from activities where run_id = $run
                union all select customer_code from bc_registrations where run_id = $run
                union all select customer_code from orders where run_id = $run
                union all select code from forced_codes)
            where code is not null""", {"run": run_id})
    # the surviving code of each touched (and each forced) code
    for name in ("touched", "forced"):
        run(con, f"""
            create or replace temp table {name}_survivors as
            select distinct coalesce(a.customer_code, t.code) as code
            from {name}_codes t left join customer_aliases a on a.alias_code = t.code""")
    _refresh_customers(con, run_id)
    refresh_followups(con, run_id)
    if run_id is None:
        _record_evidence(con, None)
    for name in ("touched_codes", "forced_codes", "touched_survivors", "forced_survivors"):
        run(con, f"drop table {name}")


def _record_evidence(con, run_id: str | None) -> None:
    """The run's new (customer, phone, contact, industry, address) combinations into customer_evidence, which the
    next runs' matching reads instead of aggregating every activity (on three years, 3.46 M rows: 1.2-1.9 s a
    night). Without run_id (a full refresh), rebuilt from every row."""
    if run_id is None:
        run(con, "delete from customer_evidence")
        run(con, f"insert into customer_evidence {EVIDENCE_OF_ROWS.format(where='true')}")
        return
    run(con, f"""insert into customer_evidence {EVIDENCE_OF_ROWS.format(where='run_id = $run')}
                 except select customer_code, phone, contact, industry, address from customer_evidence""", {"run": run_id})


def _load_roster(con, recs: list[dict], default_capacity: int) -> None:
    good = [r for r in recs if not r["problems"]]
    latest: dict[str, dict] = {}
    for r in sorted(good, key=lambda r: (r["file_order"], r["source_row"])):
        latest[r["salesperson_id"]] = r
    for r in latest.values():
        if r.get("capacity") is None:
            r["capacity"] = default_capacity
        r["name"] = person_key(r["name"])
    if latest:
        ids = list(latest)
        run(con, "delete from salespeople where salesperson_id in (select unnest(?))", [ids])
        _insert(con, "roster", list(latest.values()), None)


class Loaded(NamedTuple):
    """The newest file an earlier run (or an earlier chunk of this one) loaded for a (salesperson, date)."""
    received_at: dt.datetime | None  # its modification time
    sha256: str
    file_name: str | None
    read_on: dt.date  # the day of the run that read it
    run_id: str | None


NEVER = dt.datetime.min.replace(tzinfo=dt.timezone.utc)  # a file whose modification time is unknown: the oldest
STALE = "{days} 的日志比已读取的更正文件旧，已作为被取代的版本保存（以更正文件 {names} 为准）"


def _supersede_log(con, batch: Batch, now: dt.datetime, run_id: str, withdrawn: Counter) -> int:
    """For each (salesperson, date) the rows of the newest file are live and every other file's are kept in
    activities_superseded. Newest: the latest modification time; a tie goes to the file loaded later (a later
    run; within a run, the later in file order). A batch file older than what was loaded before is superseded
    on arrival. Rows this run loaded in an earlier chunk are counted in `withdrawn` (by file) as well."""
    recs = batch.records.get("log", [])
    newest = _newest_in_batch(recs, batch.files)
    if not newest:
        return 0
    con.register("supersede_keys", _keys_frame(newest, {}))
    try:
        loaded = _newest_loaded(con, now)
        stale = {k: e for k, e in loaded.items() if e.received_at is not None and e.received_at > newest[k][0][0]}
        superseded = 0
        for r in recs:
            key = (r.get("salesperson_id"), r.get("activity_date"))
            if key in stale:
                r["superseded_by"], r["superseded_on"] = stale[key].sha256, stale[key].read_on
            elif key in newest and r["file_order"] != newest[key][0][1]:
                r["superseded_by"] = newest[key][1]
            superseded += bool(r.get("superseded_by")) and not r["problems"]
        if any(k in loaded and k not in stale for k in newest):  # the batch is newest for keys loaded before: replace
            con.register("supersede_keys", _keys_frame(newest, stale))
            superseded += _replace_loaded(con, now, run_id, withdrawn)
    finally:
        con.unregister("supersede_keys")
    _explain_stale(batch.files, recs, stale, run_id)
    return superseded


def _newest_in_batch(recs: list[dict], files) -> dict[tuple, tuple[tuple, str]]:
    """(salesperson, date) -> ((modification time, file order), sha256) of the batch's newest file for it."""
    received = {f.sha256: f.received_at or NEVER for f in files}
    newest: dict[tuple, tuple[tuple, str]] = {}
    for r in recs:
        if r.get("salesperson_id") and r.get("activity_date"):
            key = (r["salesperson_id"], r["activity_date"])
            rank = (received.get(r["file_sha256"], NEVER), r["file_order"])
            if key not in newest or rank > newest[key][0]:
                newest[key] = (rank, r["file_sha256"])
    return newest


def _keys_frame(newest: dict, stale: dict) -> dict:
    keys = [(k[0], k[1], w[1]) for k, w in newest.items() if k not in stale]
    return object_columns({name: [key[i] for key in keys] for i, name in enumerate(("sp", "d", "winner"))})


def _newest_loaded(con, now: dt.datetime) -> dict[tuple, Loaded]:
    """Per key of supersede_keys, the newest file already loaded with a live row for it (accepted, or rejected
    and not superseded): a correction whose rows were all rejected still outranks an older original. The keys are
    joined before the union, so only their rows are read (bench/scale.py's three-year warehouse, the keys of a loaded
    day: 0.06-0.10 s when every activity was united first, 0.013 s)."""
    found = rows(con, """
        with live as (
            select k.sp, k.d, a.file_sha256 sha from supersede_keys k
            join activities a on a.salesperson_id = k.sp and a.activity_date = k.d
            union
            select k.sp, k.d, r.file_sha256 from supersede_keys k
            join rejects r on r.salesperson_id = k.sp and r.row_date = k.d
            where r.kind = 'log' and r.superseded_by is null
        ), files as (
            select sha256, max(received_at) received_at, max(ingested_at) ingested_at, any_value(file_name) file_name,
                   any_value(run_id) run_id
            from ingested_files where status in ('ingested', 'superseded') and sha256 in (select sha from live)
            group by sha256
        )
        select l.sp, l.d, f.received_at, l.sha, f.file_name, f.ingested_at, f.run_id
        from live l left join files f on f.sha256 = l.sha
        qualify row_number() over (partition by l.sp, l.d
                                   order by f.received_at desc nulls last, f.ingested_at desc nulls last) = 1""")
    return {(sp, d): Loaded(at, sha, name, _day_of(read, now), run) for sp, d, at, sha, name, read, run in found}


def _day_of(moment: dt.datetime | None, now: dt.datetime) -> dt.date:
    """The calendar day, in the run's time zone, of a moment the warehouse stored (a run's ingested_at)."""
    if moment is None:
        return now.date()
    return moment.astimezone(now.tzinfo).date() if now.tzinfo else moment.date()


def _replace_loaded(con, now: dt.datetime, run_id: str, withdrawn: Counter) -> int:
    """Move the loaded rows of supersede_keys into activities_superseded and mark their rejects superseded."""
    withdrawn.update(dict(rows(con, """
        select a.file_sha256, count(*) from activities a join supersede_keys k
          on a.salesperson_id = k.sp and a.activity_date = k.d where a.run_id = ? group by all""", [run_id])))
    columns = ", ".join(c for c, _, _ in TABLES["activities"][1])
    moved = rows(con, f"""
        insert into activities_superseded ({columns}, superseded_by, superseded_at)
        select a.*, k.winner, ? from activities a join supersede_keys k
          on a.salesperson_id = k.sp and a.activity_date = k.d""", [now])[0][0]
    run(con, """delete from activities a where exists (
        select 1 from supersede_keys k where a.salesperson_id = k.sp and a.activity_date = k.d)""")
    run(con, """
        update rejects r set superseded_by = k.winner, superseded_on = ? from supersede_keys k
        where r.kind = 'log' and r.superseded_by is null and r.salesperson_id = k.sp and r.row_date = k.d""", [now.date()])
    return moved


def _explain_stale(files, recs: list[dict], stale: dict[tuple, Loaded], run_id: str) -> None:
    """A file older than a correction an earlier run read says so in its reason (ingested_files.reason)."""
    told: dict[str, dict[dt.date, set[str]]] = {}
    for r in recs:
        loaded = stale.get((r.get("salesperson_id"), r.get("activity_date")))
        if loaded and loaded.run_id != run_id:  # (a run's own chunks are one evening: nothing to explain)
            days = told.setdefault(r["file_sha256"], {})
            days.setdefault(r["activity_date"], set()).add(loaded.file_name or loaded.sha256)
    for f in files:
        if f.sha256 in told:
            days = told[f.sha256]
            text = STALE.format(days="、".join(d.isoformat() for d in sorted(days)),
                                names="、".join(sorted(set().union(*days.values()))))
            f.reason = f"{f.reason}；{text}" if f.reason else text


def _keep_superseded(con, recs: list[dict], run_id: str, now: dt.datetime) -> None:
    """The batch's 日志表 rows that a newer file replaced before they were ever live are kept like rows that
    were live and then replaced: the trail is the same whatever the chunking. Their customer is the one the
    warehouse knows by that name (none is created for them)."""
    kept = [r for r in recs if not r["problems"] and r.get("superseded_by")]
    codes: dict[str, str | None] = {}
    for r in kept:
        r["run_id"], r["superseded_at"] = run_id, now
        if r.get("customer_code") is None:
            name = r["customer_name"]
            if name not in codes:
                codes[name] = find_code(con, name)
            r["customer_code"] = codes[name]
    append_rows(con, "activities_superseded", kept)


def _assign_customers(con, records: dict, run_id: str, now: dt.datetime, settings, profiles: Profiles) -> Assigned:
    candidates = [r for kind in CUSTOMER_KINDS for r in records.get(kind, [])
                  if not r["problems"] and not r.get("superseded_by")]
    candidates.sort(key=lambda r: (r["row_date"], r["file_order"], r["sheet_index"], r["source_row"]))
    return assign_customers(con, candidates, run_id, now, settings, profiles)


def _link_customers(con, records: dict) -> None:
    """Orders must name a customer in the master; leads are linked when they already are one."""
    found: dict[str, str | None] = {}
    for kind in ("orders", "leads"):
        for rec in records.get(kind, []):
            name = rec.get("customer_name")
            if not name:
                continue
            rec["name_key"] = name_key(name)
            if name not in found:
                found[name] = find_code(con, name)
            rec["customer_code"] = found[name]
            if kind == "orders" and rec["customer_code"] is None and not rec["problems"]:
                rec["problems"].append(("客户名称", name, "客户不在客户库中：请先在销售日志或BC类客户登记表中登记该客户，或核对名称"))


def number_leads(con) -> None:
    """Every lead without a lead_id gets the next XS number, in the order its rows came (file, row)."""
    run(con, """
        update leads set lead_id = n.lead_id from (
            select rowid as r, printf('XS%06d', (select coalesce(max(cast(substr(lead_id, 3) as integer)), 0) from leads)
                   + row_number() over (order by source_file, source_sheet, source_row)) as lead_id
            from leads where lead_id is null) n
        where leads.rowid = n.r""")


def _link_earlier_leads(con) -> None:
    """A lead not yet linked that has since become a customer (a salesperson logged it) links to it."""
    for lead_id, name in rows(con, "select lead_id, customer_name from leads where customer_code is null"):
        code = find_code(con, name or "")
        if code:
            run(con, "update leads set customer_code = ? where lead_id = ?", [code, lead_id])


def _apply_match_decisions(con, recs: list[dict], now: dt.datetime) -> None:
    """是 merges the two codes (the older survives), 否 records that they must never be proposed again."""
    for rec in sorted(recs, key=lambda r: (r["file_order"], r["source_row"])):
        if rec["problems"] or rec.get("same") is None:
            continue
        codes = [rec.get("left_code"), rec.get("right_code")]
        unknown = [c for c in codes if not c or resolve(con, c) is None]
        if unknown:
            rec["problems"].append(("客户编码", "、".join(c or "" for c in unknown), "客户编码不存在，请核对确认表"))
            continue
        survivor = merge(con, *codes) if rec["same"] == "是" else None
        append_rows(con, "customer_match_decisions", [{
            "left_code": codes[0], "right_code": codes[1], "same": rec["same"] == "是", "survivor_code": survivor,
            "reviewer": rec.get("reviewer"), "decided_at": now, "source_file": rec["source_file"],
            "source_row": rec["source_row"]}])
        if rec["same"] == "否":
            run(con, "delete from customer_match_review where (left_code = ? and right_code = ?) "
                     "or (left_code = ? and right_code = ?)", [*codes, *reversed(codes)])


def _insert(con, kind: str, recs: list[dict], run_id: str | None) -> None:
    if not recs:
        return
    table = TARGET_TABLE[kind]
    money = [m for m in MONEY if m in recs[0]]  # a kind's records all have the same fields
    rows = recs  # the staged records are finished with: written in place
    for row in rows:
        row["run_id"] = run_id
        for m in money:
            if row.get(m) is not None:
                row[m] = cents_text(row[m])
    if kind in UPSERT_KEYS and kind != "roster":
        keys = UPSERT_KEYS[kind]
        latest = {}
        for row in sorted(rows, key=lambda r: (r["file_order"], r["source_row"])):
            latest[tuple(row[k] for k in keys)] = row
        rows = list(latest.values())
        con.register("upsert_keys", object_columns({k: [row[k] for row in rows] for k in keys}))
        run(con, f"delete from {table} t using upsert_keys k where " + " and ".join(f"t.{k} = k.{k}" for k in keys))
        con.unregister("upsert_keys")
    append_rows(con, table, rows)


def cents_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _insert_rejects(con, batch: Batch, run_id: str, now: dt.datetime, result: LoadResult,
                    roster: Roster) -> None:
    rows = list(batch.sheet_rejects)
    for row in rows:  # a whole file or sheet: its owner from the file name
        row["salesperson_id"] = roster.only(row["salesperson_name"])
    for kind, recs in batch.records.items():
        for r in recs:
            counts = result.per_file.setdefault(r["file_id"], [0, 0])
            if not r["problems"]:
                counts[0] += 0 if r.get("superseded_by") else 1
                continue
            counts[1] += 1
            for column, value, reason in r["problems"]:
                rows.append({"file": r["source_file"], "sheet": r["source_sheet"], "row_number": r["source_row"],
                             "column_name": column, "value": value, "reason": reason,
                             "salesperson_id": r.get("salesperson_id"),
                             "salesperson_name": r.get("salesperson_name") or r.get("name"), "kind": kind,
                             "row_date": r.get("row_date"), "file_sha256": r["file_sha256"],
                             "superseded_by": r.get("superseded_by"),
                             "superseded_on": (r.get("superseded_on") or now.date()) if r.get("superseded_by") else None,
                             # as typed, so the salesperson finds the row in their own file
                             "customer_name": r.get("customer_name_written") or r.get("customer_name"),
                             "contact": r.get("contact_written") or r.get("contact")})
                result.reasons[_reason_group(reason)] += 1
    result.rows_accepted = sum(c[0] for c in result.per_file.values())
    result.rows_rejected = sum(c[1] for c in result.per_file.values())
    for row in rows:
        row["run_id"] = run_id
        row["received_on"] = now.date()
    append_rows(con, "rejects", rows)


def _reason_group(reason: str) -> str:
    """The reason without the quoted value, for counting (业务员不在业务员名册中：张三 → …中)."""
    return reason.split("：")[0]


# The latest of a customer's rows: by date, then a 日志表 row over a BC registration of the same day, then file
# and row — a total order, so that every run picks the same row (a bare date let ties change between runs).
CUSTOMER_ROWS = """
    select customer_code, activity_date d, (activity_date, 1, source_file, source_row) k,
           contact, phone, address, industry, customer_class from activities {where}
    union all
    select customer_code, register_date, (register_date, 0, source_file, source_row),
           contact, phone, address, industry, customer_class from bc_registrations {where}"""
LATEST_CUSTOMER = """
    select customer_code, max(d) as last_contact, min(d) as first_row,
           arg_max(contact, k) filter (where contact is not null) as contact,
           arg_max(phone, k) filter (where phone is not null) as phone,
           arg_max(address, k) filter (where address is not null) as address,
           arg_max(industry, k) filter (where industry is not null) as industry,
           arg_max(customer_class, k) filter (where customer_class is not null) as customer_class
    from ({rows}) group by customer_code"""


def _refresh_customers(con, run_id: str | None) -> None:
    """Each touched customer's contact details and last contact: the latest non-empty values of its rows
    (temp tables touched_codes / forced_codes, see finish_load)."""
    values = """l.last_contact as last_contact, coalesce(l.contact, c.contact) as contact,
                coalesce(l.phone, c.phone) as phone, coalesce(l.address, c.address) as address,
                coalesce(l.industry, c.industry) as industry,
                coalesce(l.customer_class, c.customer_class) as customer_class"""
    run(con, "create or replace temp table appended_codes (code varchar)")
    if run_id is not None:  # the night's rows, folded in where they all come after the last contact
        night = LATEST_CUSTOMER.format(rows=CUSTOMER_ROWS.format(where="where run_id = $run"))
        run(con, f"""
            insert into appended_codes
            select l.customer_code from ({night}) l join customers c using (customer_code)
            where l.customer_code not in (select code from forced_codes)
              and (c.last_contact is null or l.first_row > c.last_contact)""", {"run": run_id})
        rewrite_rows(con, "customers", "customer_code",
                     f"select * from ({night}) where customer_code in (select code from appended_codes)", values,
                     {"run": run_id})
    run(con, "create or replace temp table recomputed_codes as "
             "select code from touched_codes except select code from appended_codes")
    if scalar(con, "select count(*) from recomputed_codes"):  # else no scan of the history at all
        every = LATEST_CUSTOMER.format(rows=CUSTOMER_ROWS.format(
            where="where customer_code in (select code from recomputed_codes)"))
        rewrite_rows(con, "customers", "customer_code", every, values)
    run(con, "drop table appended_codes")
    run(con, "drop table recomputed_codes")
