"""重点客户跟进表: one 跟单号 (GD + 6 digits) per (customer, business type), its fields kept current.

A follow-up is created when its customer is first recorded with class A, A1, B or B1 and a business
type (推介业务, else 客户需求); numbers follow first appearance and are never reused. After every load the
ledger fields are recomputed from the accepted log rows, and log rows without a 跟单号 get theirs.

An order (销售业绩登记表) links to the follow-up of its customer (after merges) and 业务类型: its 跟单号 when
the sheet gives one (checked on arrival: it must name that customer's follow-up of that type, else the row is
rejected with the reason), otherwise the pair's. A follow-up with a linked order shows 结果 签单 and stage 7,
unless a log row dated after its latest order starts the next round: then its log rows speak again.
"""
from __future__ import annotations

from salespipe.warehouse import append_rows, rewrite_rows, rows, run, scalar

FOLLOWUP_CLASSES = ("A", "A1", "B", "B1")


def create_followups(con, recs: list[dict]) -> int:
    """New follow-ups for this run's accepted log rows (already in order of first appearance)."""

    existing = {(c, t) for c, t in rows(con, "select customer_code, business_type from followups where merged_into is null")}
    top = scalar(con, "select max(cast(substr(followup_no, 3) as integer)) from followups") or 0
    new = []
    merged = dict(rows(con, "select alias_code, customer_code from customer_aliases where alias_code is not null"))
    for rec in recs:
        kind = rec.get("business_type") or rec.get("need_type")
        if rec.get("customer_class") not in FOLLOWUP_CLASSES or not kind or not rec.get("customer_code"):
            continue
        code = merged.get(rec["customer_code"], rec["customer_code"])
        if (code, kind) in existing:
            continue
        existing.add((code, kind))
        top += 1
        new.append({"followup_no": f"GD{top:06d}", "customer_code": code, "business_type": kind,
                    "salesperson_id": rec.get("salesperson_id"), "customer_class": rec.get("customer_class"),
                    "developed_on": rec.get("activity_date"),
                    "first_source": f"{rec['source_file']}#{rec['source_sheet']}!{rec['source_row']}"})
    append_rows(con, "followups", new)
    return len(new)


LOG_EVENTS = """
    select coalesce(m.customer_code, a.customer_code) as code, coalesce(a.business_type, a.need_type) as kind,
           a.activity_date, a.stage, a.result, a.salesperson_id, a.customer_class, a.note,
           (a.activity_date, a.source_file, a.source_row) as k
    from activities a left join customer_aliases m on m.alias_code = a.customer_code
    where coalesce(a.business_type, a.need_type) is not null and {where}"""
LATEST_FOLLOWUP = """
    select code, kind,
           min(activity_date) as developed_on,
           max(activity_date) as last_followup_on,
           arg_max(stage, k) filter (where stage is not null) as last_stage,
           arg_max(result, k) filter (where result is not null) as result,
           arg_max(salesperson_id, k) as salesperson_id,
           arg_max(customer_class, k) filter (where customer_class is not null)
               as customer_class,
           arg_max(note, k) filter (where note is not null) as note
    from ({events}) group by code, kind"""


def check_order_followups(con, recs: list[dict]) -> None:
    """An order row's 跟单号 (input-sheets.md §3), when given, must name a follow-up (or one merged into
    another) of the row's customer and 业务类型; otherwise the row gets a problem (it is rejected with the
    reason). The number is stored as GD + digits, upper case. Rows without a customer code were refused before."""
    given = [r for r in recs if r.get("followup_no") and not r["problems"] and r.get("customer_code")]
    if not given:
        return
    for rec in given:
        rec["followup_no"] = str(rec["followup_no"]).strip().upper()
    known = {no: (code, kind, into) for no, code, kind, into in rows(con, """
        select followup_no, customer_code, business_type, merged_into from followups""")}
    survivor = dict(rows(con, "select alias_code, customer_code from customer_aliases where alias_code is not null"))
    for rec in given:
        number = rec["followup_no"]
        found = known.get(number)
        while found and found[2]:  # a number merged into another: the surviving one
            found = known.get(found[2])
        if found is None:
            rec["problems"].append(("跟单号", number, f"跟单号不存在：{number}（请按日志核对反馈表中的跟单号填写，"
                                                    "或不填，系统按客户和业务类型关联）"))
        elif (found[0], found[1]) != (survivor.get(rec["customer_code"], rec["customer_code"]), rec.get("business_type")):
            rec["problems"].append(("跟单号", number, f"跟单号与本行的客户或业务类型不符：{number} 是客户 {found[0]} 的"
                                                    f"{found[1]}跟进（请核对跟单号，或不填，系统按客户和业务类型关联）"))


def link_orders(con) -> None:
    """Each order of the touched customers (temp table touched_survivors) links to the live follow-up of its
    customer (after merges) and 业务类型, or to none (orders.followup_no). A 跟单号 the sheet gave was checked
    on arrival to be that same follow-up (check_order_followups), so the pair decides in both cases."""
    run(con, """
        update orders o set followup_no = l.followup_no
        from (select x.rowid as r, f.followup_no
              from orders x left join customer_aliases m on m.alias_code = x.customer_code
              left join followups f on f.customer_code = coalesce(m.customer_code, x.customer_code)
                                   and f.business_type = x.business_type and f.merged_into is null
              where coalesce(m.customer_code, x.customer_code) in (select code from touched_survivors)) l
        where o.rowid = l.r and o.followup_no is distinct from l.followup_no""")


def mark_signed(con) -> None:
    """结果 签单 and stage 7 on the touched customers' live follow-ups that have a linked order and no log row
    dated after their latest order (a later row starts the next round: its log values stay)."""
    run(con, """
        update followups f set result = '签单', last_stage = 7
        from (select followup_no, max(order_date) as signed_on from orders
              where followup_no is not null group by all) o
        where o.followup_no = f.followup_no and f.merged_into is null
          and f.customer_code in (select code from touched_survivors)
          and not exists (
              select 1 from activities a left join customer_aliases m on m.alias_code = a.customer_code
              where coalesce(m.customer_code, a.customer_code) = f.customer_code
                and coalesce(a.business_type, a.need_type) = f.business_type and a.activity_date > o.signed_on)""")


def refresh_followups(con, run_id: str | None = None) -> None:
    """Duplicates left by customer merges fold into the older number (over the ledger). Then the ledger
    fields of the touched customers' follow-ups (temp tables touched_survivors / forced_survivors, see
    load.finish_load) from their log rows: where the night's rows all come after the follow-up's last date,
    folded into the current values; otherwise recomputed from all its rows (also when a linked order is dated on or
    after its last row: its 结果 and stage are then the order's, not its rows', and a new round's rows without a
    结果 must not fold into that 签单 — folding the others keeps a night's work off the years of history: on
    bench/scale.py the refresh took 0.24 s onto 1 year and 0.58 s onto 3 years when every linked follow-up was
    recomputed). Their orders are linked and their log rows without a
    跟单号 get theirs; then a linked order marks the follow-up signed (mark_signed)."""
    run(con, """
        update followups f set merged_into = keep.followup_no
        from (select customer_code, business_type, min(followup_no) as followup_no
              from followups where merged_into is null group by all having count(*) > 1) keep
        where f.customer_code = keep.customer_code and f.business_type = keep.business_type
          and f.followup_no <> keep.followup_no and f.merged_into is null""")
    link_orders(con)
    values = """{developed_on} as developed_on, l.last_followup_on as last_followup_on,
                coalesce(l.last_stage, c.last_stage) as last_stage, coalesce(l.result, c.result) as result,
                l.salesperson_id as salesperson_id, coalesce(l.customer_class, c.customer_class) as customer_class,
                coalesce(l.note, c.note) as note"""
    live = "select f.followup_no, l.* from ({latest}) l join followups f on l.code = f.customer_code " \
           "and l.kind = f.business_type and f.merged_into is null"
    run(con, "create or replace temp table appended_followups (followup_no varchar, code varchar, kind varchar)")
    if run_id is not None:  # the night's rows, folded in where they all come after the follow-up's last date
        night = LATEST_FOLLOWUP.format(events=LOG_EVENTS.format(where="a.run_id = $run"))
        run(con, f"""
            insert into appended_followups
            select f.followup_no, l.code, l.kind from ({night}) l
            join followups f on f.customer_code = l.code and f.business_type = l.kind and f.merged_into is null
            where l.code not in (select code from forced_survivors)
              and (f.last_followup_on is null or l.developed_on > f.last_followup_on)
              and not exists (select 1 from orders o where o.followup_no = f.followup_no
                              and o.order_date >= coalesce(f.last_followup_on, o.order_date))""",
            {"run": run_id})
        rewrite_rows(con, "followups", "followup_no",
                     live.format(latest=night) + " where f.followup_no in (select followup_no from appended_followups)",
                     values.format(developed_on="case when c.last_followup_on is null then l.developed_on "
                                                "else c.developed_on end"), {"run": run_id})
    # recomputed from all rows: the merged or corrected customers, and the night's pairs not folded in — only those
    # with a live follow-up (a class C customer's rows have none; recomputing their history found nothing to write
    # and made the night grow with the years: bench/scale.py, 0.30 s onto 1 year, 0.75 s onto 3)
    night_pairs = "select code, kind from ({})".format(LOG_EVENTS.format(where="a.run_id = $run")) if run_id else \
        "select null::varchar as code, null::varchar as kind where false"
    run(con, f"""create or replace temp table recomputed_pairs as
                 select code, kind from ({night_pairs}) n
                 where exists (select 1 from followups f where f.customer_code = n.code and f.business_type = n.kind
                               and f.merged_into is null)
                 except select code, kind from appended_followups""",
        {"run": run_id} if run_id else None)
    if run_id is None or scalar(con, "select count(*) from forced_survivors") or \
            scalar(con, "select count(*) from recomputed_pairs"):  # else no scan of the history at all
        every = LATEST_FOLLOWUP.format(events=LOG_EVENTS.format(
            where="""(coalesce(m.customer_code, a.customer_code) in (select code from forced_survivors)
                      or exists (select 1 from recomputed_pairs p where p.code = coalesce(m.customer_code, a.customer_code)
                                 and p.kind = coalesce(a.business_type, a.need_type)))"""))
        rewrite_rows(con, "followups", "followup_no", live.format(latest=every), values.format(developed_on="l.developed_on"))
    run(con, "drop table appended_followups")
    run(con, "drop table recomputed_pairs")
    run(con, """
        update followups f set headcount = o.headcount
        from (select coalesce(m.customer_code, o.customer_code) as code, o.business_type,
                     arg_max(o.headcount, o.order_date) filter (where o.headcount is not null) as headcount
              from orders o left join customer_aliases m on m.alias_code = o.customer_code
              where coalesce(m.customer_code, o.customer_code) in (select code from touched_survivors)
              group by all) o
        where o.code = f.customer_code and o.business_type = f.business_type and o.headcount is not null""")
    run(con, """
        update activities a set followup_no = f.followup_no
        from followups f, (select alias_code, customer_code from customer_aliases where alias_code is not null
                           union all select customer_code, customer_code from customers) codes
        where a.followup_no is null and codes.alias_code = a.customer_code and f.customer_code = codes.customer_code
          and codes.customer_code in (select code from touched_survivors)
          and f.business_type = coalesce(a.business_type, a.need_type) and f.merged_into is null""")
    mark_signed(con)
