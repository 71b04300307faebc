"""The customer master: every accepted row linked to one stable code (客户编码 KH + 6 digits).

A run's rows are matched against the master and each other (`match.py`). Certain matches share a
code; uncertain ones get their own code and a pair in `customer_match_review` for a person to decide
in the workbook `salespipe review` writes. A merge keeps the older code and turns the newer into an
alias; codes are never renumbered or reused.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Container
from dataclasses import dataclass

from salespipe.customers.match import Record, Settings, blocking_keys, certain_non_match, match
from salespipe.customers.names import (address_key, district_of_address, normalized_name, parse_name, region_of_address,
                                       without_brackets)
from salespipe.customers.normalize import name_key
from salespipe.warehouse import append_rows, rows, run, scalar

CODE_PREFIX = "KH"


def format_code(number: int, prefix: str = CODE_PREFIX) -> str:
    return f"{prefix}{number:06d}"


def contact_key(contact: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", contact or "").split()).casefold()


@dataclass
class Assigned:
    new_customers: int
    new_reviews: int
    settled_reviews: int = 0  # pending review pairs the run's rows showed to be two customers (left the list)


def match_settings(config_raw: dict) -> Settings:
    given = config_raw.get("matching", {})
    return Settings(auto_merge=float(given.get("auto_merge", 4.0)), review=float(given.get("review", 2.5)),
                    max_block=int(given.get("max_block", 60)))


def _existing_profiles(con) -> dict[str, tuple[set, set, set, set, list[str]]]:
    """Every existing customer's spellings, phones, contacts (as keys), industries and written addresses, from
    customer_evidence (the distinct combinations of its rows, appended by each run).
    Reading it instead of aggregating every activity: on bench/scale.py's three-year warehouse (9,602 customers,
    3.46 M activities) 0.31-0.48 s instead of 1.24-1.92 s."""
    profiles = rows(con, """
        with seen as (
            select customer_code, phone, contact, industry, address from customer_evidence
        ),
        resolved as (
            select coalesce(m.customer_code, s.customer_code) as code, s.*
            from seen s left join customer_aliases m on m.alias_code = s.customer_code
        ),
        details as (
            select code, list(distinct phone) filter (where phone is not null) as phones,
                   list(distinct contact) filter (where contact is not null) as contacts,
                   list(distinct industry) filter (where industry is not null) as industries,
                   list(distinct address) filter (where address is not null) as addresses
            from resolved group by code
        ),
        names as (
            select customer_code as code, list(distinct alias_name) filter (where alias_name is not null) as names
            from customer_aliases group by customer_code
        )
        select c.customer_code, coalesce(n.names, [c.name]), coalesce(d.phones, []), coalesce(d.contacts, []),
               coalesce(d.industries, []), coalesce(d.addresses, []), c.phone, c.contact
        from customers c left join details d on d.code = c.customer_code left join names n on n.code = c.customer_code
        order by c.customer_code""")
    return {code: (set(names) or {code}, set(phones) | ({phone} if phone else set()),
                   {contact_key(c) for c in [*contacts, contact] if c}, set(industries), addresses)
            for code, names, phones, contacts, industries, addresses, phone, contact in profiles}


def address_facts(addresses) -> tuple[set[str], set[str], set[str]]:
    """The cities, the 区/县 and the comparable addresses (address_key) of some written addresses."""
    addresses = [a for a in addresses if a]
    return ({c for c in map(region_of_address, addresses) if c}, {d for d in map(district_of_address, addresses) if d},
            {k for k in map(address_key, addresses) if k})


class Profiles:
    """The existing customers for matching, read from the warehouse once per run and kept current while
    the run's chunks add rows (a merge or a customer made from a lead makes them read again). Match
    records are made only for customers that could share a blocking key with the new records."""

    def __init__(self):
        self.raw: dict[str, tuple[set, ...]] | None = None  # names, phones, contacts, cities, industries, places, addresses
        self.unparsed: dict[str, list[str]] = {}  # written addresses not yet in their customer's cities, places, addresses
        self.built: dict[str, Record] = {}
        self.grams: dict[str, set[str]] = {}
        self.pending: dict[str, list[dict]] = {}  # code -> the run's rows not yet in its profile (`add`)

    def records(self, con, start: int, new: list[Record]) -> list[Record]:
        """The existing customers' records that share a possible blocking key with `new`, numbered from
        `start` (after the new records). A customer left out shares no key with any new record, so
        no pair with it would be scored: the match is the same as with every customer."""
        self._load(con)
        for code in list(self.pending):
            self._current(code)
        phones, contacts, grams = set(), set(), set()
        for record in new:
            for key in blocking_keys(record):
                if key[0] == "phone":
                    phones.add(key[1])
                elif key[0] in ("contact", "person_at"):
                    contacts.add(key[1])
                else:
                    grams.add(key[1][:2])
        records = []
        known = {record.known_as for record in new if record.known_as}
        for code, (names, code_phones, code_contacts, *_) in self.raw.items():
            if code in known or code_phones & phones or code_contacts & contacts or self._grams(code, names) & grams:
                records.append(self._record(code))
        for i, record in enumerate(records, start=start):
            record.rid = i
        return records

    def _load(self, con) -> None:
        if self.raw is None:
            loaded = _existing_profiles(con)  # cities, places and address keys: from the addresses when needed
            self.raw = {code: (names, phones, contacts, set(), industries, set(), set())
                        for code, (names, phones, contacts, industries, _) in loaded.items()}
            self.unparsed = {code: written for code, (*_, written) in loaded.items() if written}
            self.built, self.grams = {}, {}

    def facts(self, code: str) -> tuple[set, ...]:
        """The customer's profile with its addresses' cities, 区/县 and address keys, worked out when first needed:
        a night whose rows are all known spellings needs none (bench/scale.py's night onto three years: 0.28 s under
        pyinstrument for all 9,602 customers' addresses)."""
        found = self.raw[code]
        written = self.unparsed.pop(code, None)
        if written:
            for known, facts in zip((found[3], found[5], found[6]), address_facts(written)):
                known |= facts
        return found

    def new_evidence(self, con, code: str, rec: dict) -> bool:
        """The row carries a phone or a contact its customer `code` was never seen with."""
        self._load(con)
        self._current(code)
        found = self.raw.get(code)
        if found is None:
            return False
        _, phones, contacts, *_ = found
        contact = contact_key(rec.get("contact"))
        return bool((rec.get("phone") and rec["phone"] not in phones) or (contact and contact not in contacts))

    def _grams(self, code: str, names: set[str]) -> set[str]:
        """Every two characters in a row of the customer's names (as parse_name sees them, with and without
        their bracketed parts): a 字号 or a name's head is one of these."""
        found = self.grams.get(code)
        if found is None:
            found = set()
            for name in names:
                for text in {normalized_name(name), without_brackets(name)}:
                    found.update(text[i:i + 2] for i in range(len(text) - 1))
            self.grams[code] = found
        return found

    def _record(self, code: str) -> Record:
        self._current(code)
        record = self.built.get(code)
        if record is None:
            names, phones, contacts, cities, industries, places, addresses = self.facts(code)
            record = self.built[code] = Record(0, set(names), set(phones), set(contacts), set(cities), set(industries),
                                               code=code, places=set(places), addresses=set(addresses))
        return record

    def add(self, recs: list[dict]) -> None:
        """Note what the run's rows (with their codes) tell about each customer — spellings, phones, contacts,
        addresses, industries; it is worked into a customer's profile when that customer is next looked at
        (`_current`). A night of one chunk looks at few: on bench/scale.py's night onto three years, working every
        touched customer out at once took 0.21 s under pyinstrument (mostly parsing addresses), for the two
        customers of the pending review pairs its rows touched."""
        if self.raw is None:
            return
        distinct = {(r.get("customer_code"), r["customer_name"], r.get("phone"), r.get("contact"), r.get("address"),
                     r.get("industry")): r for r in recs}
        for rec in distinct.values():
            if code := rec.get("customer_code"):
                # a customer new in the run takes its place now: records() lists the customers in this order, and
                # the matcher's window over a block too common to compare whole depends on it
                self.raw.setdefault(code, tuple(set() for _ in range(7)))
                self.pending.setdefault(code, []).append(rec)

    def _current(self, code: str) -> None:
        """Work the noted rows of `code` (`add`) into its profile."""
        recs = self.pending.pop(code, None)
        if not recs:
            return
        names, phones, contacts, cities, industries, places, addresses = self.facts(code)
        before = tuple(map(len, self.raw[code]))
        keys = {name_key(n) for n in names}  # one spelling per key
        for rec in recs:
            if (key := name_key(rec["customer_name"])) not in keys:
                names.add(rec["customer_name"])
                keys.add(key)
            if rec.get("phone"):
                phones.add(rec["phone"])
            if rec.get("contact"):
                contacts.add(contact_key(rec["contact"]))
            for known, facts in zip((cities, places, addresses), address_facts([rec.get("address")])):
                known |= facts
            if rec.get("industry"):
                industries.add(rec["industry"])
        if before != tuple(map(len, self.raw[code])):
            self.built.pop(code, None)
            self.grams.pop(code, None)

    def forget(self) -> None:
        self.raw = None
        self.pending = {}


def assign_customers(con, recs: list[dict], run_id: str, now: dt.datetime, settings: Settings,
                     profiles: Profiles | None = None) -> Assigned:
    """Give every record (accepted log / BC rows, in order of first appearance) its `customer_code`."""
    profiles = profiles or Profiles()
    assigned = _assign(con, recs, run_id, now, settings, profiles)
    profiles.add(recs)
    assigned.settled_reviews = _settle_reviews(con, profiles, recs)
    return assigned


def _settle_reviews(con, profiles: Profiles, recs: list[dict]) -> int:
    """Pending review pairs with a customer the run's rows touched, compared again on both customers' profiles as
    they are now: a pair that has become a certain non-match (metrics.md: never merged, never asked) leaves
    customer_match_review. A pair is asked on the evidence of its night — 河北实验中学 beside 天津市河北区实验中学's
    neighbour before either was written with its 区, 天津盛杰国际 before its full name said 国际贸易 beside 盛杰能源科技 —
    and stayed on the list after later rows settled it (blind benchmark, tuning seeds 1 / 5 / 6: 7 / 5 / 7 of
    25 / 15 / 27 pairs). Nothing is recorded as a decision: should later rows make the pair uncertain again, the
    matcher asks again. Returns how many pairs left the list."""
    touched = sorted({r["customer_code"] for r in recs if r.get("customer_code")})
    pending = rows(con, "select left_code, right_code from customer_match_review "
                        "where list_contains(?, left_code) or list_contains(?, right_code)", [touched, touched])
    if not pending:
        return 0
    if profiles.raw is None:  # the run joined codes: read the customers again, with this run's rows
        profiles._load(con)
        profiles.add(recs)
    settled = []
    for left, right in pending:
        if left in profiles.raw and right in profiles.raw:
            a, b = profiles._record(left), profiles._record(right)
            if certain_non_match(a, b):
                settled.append((left, right))
    for left, right in settled:
        run(con, "delete from customer_match_review where left_code = ? and right_code = ?", [left, right])
    return len(settled)


def _assign(con, recs: list[dict], run_id: str, now: dt.datetime, settings: Settings, profiles: Profiles) -> Assigned:
    aliases = dict(rows(con, "select alias_key, customer_code from customer_aliases where alias_key is not null"))
    signatures: dict[tuple, list[dict]] = defaultdict(list)
    for rec in recs:
        key = name_key(rec["customer_name"])
        known = aliases.get(key)
        if known and not profiles.new_evidence(con, known, rec):
            rec["customer_code"] = known  # a spelling seen before, with nothing new: its customer, no matching needed
        else:  # a new spelling, or a known one with a phone or contact its customer never had: matched
            signatures[(key, rec.get("phone"), contact_key(rec.get("contact")), known)].append(rec)
    if not signatures:
        _add_aliases(con, recs, now, aliases)
        return Assigned(0, 0)
    groups = list(signatures.items())
    new_records = []
    for rid, (signature, group) in enumerate(groups):
        first = group[0]
        cities, places, addresses = address_facts([first.get("address")])
        new_records.append(Record(rid, {first["customer_name"]}, {first["phone"]} if first.get("phone") else set(),
                                  {signature[2]} if signature[2] else set(), cities,
                                  {first["industry"]} if first.get("industry") else set(),
                                  order=_order(first), known_as=signature[3], places=places, addresses=addresses))
    existing = profiles.records(con, len(new_records), new_records)
    result = match(new_records + existing, settings, _never(con))
    code_of_cluster = {result.cluster_of[r.rid]: r.code for r in existing}
    for root, codes in result.joined.items():
        code_of_cluster[root] = _join_codes(con, codes, now)
    if result.joined:
        survivor_of = {c: code_of_cluster[root] for root, codes in result.joined.items() for c in codes}
        for rec in recs:  # rows given a joined code by their spelling above
            rec["customer_code"] = survivor_of.get(rec.get("customer_code"), rec.get("customer_code"))
        profiles.forget()
    top = last_code_number(con)
    clusters: dict[int, list] = defaultdict(list)
    for record in new_records:
        clusters[result.cluster_of[record.rid]].append(record)
    created = []
    for root, members in sorted(clusters.items(), key=lambda kv: min(m.order for m in kv[1])):
        if root not in code_of_cluster:
            top += 1
            code_of_cluster[root] = format_code(top)
            created.append(min(members, key=lambda m: m.order))
    for record, (_, group) in zip(new_records, groups):
        for rec in group:
            rec["customer_code"] = code_of_cluster[result.cluster_of[record.rid]]
    _create(con, [groups[r.rid][1][0] for r in created], run_id)
    _add_aliases(con, recs, now, aliases)
    everyone = new_records + existing
    reviews = _record_reviews(con, result.reviews, everyone, result.cluster_of, code_of_cluster, run_id, now)
    return Assigned(len(created), reviews)


def _join_codes(con, codes: list[str], now: dt.datetime) -> str:
    """Existing customers a night's record showed to be one (a certain match, or the matcher's auto-merge
    evidence): the oldest code survives, the others become its aliases, and each merge is recorded in
    customer_match_decisions as decided automatically (so the night refreshes those customers)."""
    survivor = codes[0]
    for other in codes[1:]:
        merge(con, survivor, other)
        append_rows(con, "customer_match_decisions", [{
            "left_code": survivor, "right_code": other, "same": True, "survivor_code": survivor,
            "reviewer": AUTOMATIC, "decided_at": now, "source_file": None, "source_row": None}])
    return survivor


AUTOMATIC = "系统自动合并（同一客户的确定证据）"


def last_code_number(con) -> int:
    """The highest KH number ever given (merged-away codes included: codes are never reused)."""
    return scalar(con, """select max(cast(substr(c, 3) as integer)) from (
        select customer_code c from customers union all select alias_code from customer_aliases)""") or 0


def create_from_lead(con, lead: dict, owner: str, day: dt.date, run_id: str) -> str:
    """An approved lead becomes a customer with the next code, owned by the chosen salesperson."""
    code = format_code(last_code_number(con) + 1)
    record = {**lead, "customer_code": code, "salesperson_id": owner, "row_date": day, "source_file": "分配审批"}
    _create(con, [record], run_id)
    _add_aliases(con, [record], dt.datetime.now(dt.timezone.utc))
    return code


def _order(rec: dict) -> tuple:
    return (rec["row_date"], rec["file_order"], rec["sheet_index"], rec["source_row"])


def _create(con, firsts: list[dict], run_id: str) -> None:

    append_rows(con, "customers", [{
        "customer_code": r["customer_code"], "name": r["customer_name"], "name_key": name_key(r["customer_name"]),
        "contact": r.get("contact"), "phone": r.get("phone"), "address": r.get("address"), "industry": r.get("industry"),
        "customer_class": r.get("customer_class"), "source": r.get("source"), "owner_id": r.get("salesperson_id"),
        "first_seen": r["row_date"], "last_contact": None, "created_from_file": r["source_file"],
        "created_by": r.get("salesperson_id"), "created_run_id": run_id} for r in firsts])


def _add_aliases(con, recs: list[dict], now: dt.datetime, known: Container[str] | None = None) -> None:
    """Every new spelling (name key) as an alias of its record's code; `known`: the keys there are, when
    the caller has read them already."""
    if known is None:
        known = {r[0] for r in rows(con, "select alias_key from customer_aliases where alias_key is not null")}
    new = {}
    for rec in recs:
        key = name_key(rec["customer_name"])
        if key not in known and key not in new:
            new[key] = {"alias_code": None, "alias_name": rec["customer_name"], "alias_key": key,
                        "customer_code": rec["customer_code"], "created_at": now}
    append_rows(con, "customer_aliases", list(new.values()))


def _never(con) -> set[frozenset]:
    return {frozenset(r) for r in rows(con, "select left_code, right_code from customer_match_decisions where not same")}


def _record_reviews(con, pairs, records: list[Record], cluster_of: dict, code_of_cluster: dict, run_id: str,
                    now: dt.datetime) -> int:

    never = _never(con)
    pending = {frozenset(r) for r in rows(con, "select left_code, right_code from customer_match_review")}
    names = dict(rows(con, "select customer_code, name from customers"))
    new = []
    for pair in pairs:
        left, right = (code_of_cluster[cluster_of[pair.a]], code_of_cluster[cluster_of[pair.b]])
        key = frozenset((left, right))
        if left == right or key in never or key in pending:
            continue
        pending.add(key)
        left, right = sorted((left, right))
        new.append({"left_code": left, "right_code": right, "left_name": names.get(left), "right_name": names.get(right),
                    "score": pair.score, "reasons": "；".join(pair.reasons), "created_run_id": run_id,
                    "created_at": now})
    append_rows(con, "customer_match_review", new)
    return len(new)


def find_code(con, name: str) -> str | None:
    """The customer an order or lead names: the same spelling, else the one customer whose name has the
    same core and branch (天津市格致… = 格致…（天津）), else None."""
    key = name_key(name)
    found = rows(con, "select customer_code from customer_aliases where alias_key = ?", [key])
    if found:
        return found[0][0]
    parts = parse_name(name)
    candidates = set()
    for code, alias in rows(con, "select customer_code, alias_name from customer_aliases "
                                 "where alias_name is not null and alias_name like ?", [f"%{parts.core[:2]}%"]):
        other = parse_name(alias)
        if other.key == parts.key and (not parts.region or not other.region or other.region == parts.region):
            candidates.add(code)
    return candidates.pop() if len(candidates) == 1 else None


# ---------------------------------------------------------------- decisions from the review workbook


def merge(con, a: str, b: str) -> str | None:
    """One customer: the older code survives, the newer becomes its alias. Returns the survivor."""
    a, b = resolve(con, a), resolve(con, b)
    if a is None or b is None or a == b:
        return a if a == b else None
    older, newer = sorted((a, b))
    run(con, "update customer_aliases set customer_code = ? where customer_code = ?", [older, newer])
    run(con, "insert into customer_aliases (alias_code, customer_code, created_at) values (?, ?, now())", [newer, older])
    run(con, """update customers set first_seen = least(first_seen, (select first_seen from customers where customer_code = ?))
                where customer_code = ?""", [newer, older])
    run(con, "delete from customers where customer_code = ?", [newer])
    run(con, "update customer_match_review set left_code = ? where left_code = ?", [older, newer])
    run(con, "update customer_match_review set right_code = ? where right_code = ?", [older, newer])
    run(con, "delete from customer_match_review where left_code = right_code")
    run(con, "update followups set customer_code = ? where customer_code = ?", [older, newer])
    return older


def resolve(con, code: str) -> str | None:
    """The surviving code of any code (itself, or the code it was merged into)."""
    found = rows(con, "select customer_code from customers where customer_code = ? union all "
                      "select customer_code from customer_aliases where alias_code = ?", [code, code])
    return found[0][0] if found else None
