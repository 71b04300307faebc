"""Generate a blind, labelled inbox of 销售日志表 workbooks for the customer-matching benchmark.

`generate(seed, companies, out)` writes

- `out/inbox/`: one 销售日志表 per salesperson per day (`日志表_<name>_<yyyymmdd>.xlsx`) and a
  `业务员名册.xlsx` roster;
- `out/truth.csv`: every log row (file, Excel row) with its TRUE company id, the spelling kind, the
  phone/contact evidence of abbreviations and the written values;
- `out/companies.csv`: every true company, its canonical name, its cluster of look-alikes (hard
  negatives) and what happened to it (renamed, contact left, mobile changed …).

Built only from the contract (metrics.md "Customer identity", input-sheets.md), never from the
matcher. Deterministic for a seed.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from . import names as N

START, END = dt.date(2026, 9, 1), dt.date(2026, 10, 30)
HOLIDAYS = {dt.date(2026, 9, 25)} | {dt.date(2026, 10, d) for d in range(1, 8)}  # 中秋, 国庆
WORKDAYS = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)
            if (START + dt.timedelta(days=i)).weekday() < 5 and (START + dt.timedelta(days=i)) not in HOLIDAYS]
FAR = dt.date(2100, 1, 1)
LTD = ["有限公司", "股份有限公司", "有限责任公司"]
LOG_HEADER = ["日期", "业务员", "客户名称", "联系人", "联系电话", "地址", "客户类别", "联系方式", "跟进状态", "结果"]

# how often each spelling kind is tried for a row (inapplicable kinds fall back to the exact name)
KIND_WEIGHTS = {
    "exact": 36, "norm_space": 4, "norm_bracket": 3, "norm_region": 6, "norm_fullwidth": 1.5,
    "legal_other": 3, "legal_none": 4, "factory_form": 0.8, "region_district": 3, "abbrev": 18,
    "typo_homophone": 4, "typo_lookalike": 1.5, "extra_words": 5, "traditional": 2, "swapped": 2,
}
# kinds that are equal to the canonical name after the contract's normalisation
NORM_EQUAL_KINDS = {"exact", "norm_space", "norm_bracket", "norm_region", "norm_fullwidth", "legal_other", "legal_none"}
# the usual contractions of two industry words (characters in order, as the contract requires)
SHORT_FORMS = {("电子", "科技"): ["电科"], ("国际", "贸易"): ["国贸"], ("新材料", "科技"): ["新材"],
               ("精密", "机械"): ["精机"], ("医疗", "器械"): ["医械"], ("机电", "设备"): ["机电"],
               ("生物", "医药"): ["生物医药"], ("5G", "通信技术"): ["5G通信"], ("通信", "技术"): ["通信技术"],
               ("供应链", "管理"): ["供应链"], ("建筑", "工程"): ["建工"], ("装饰", "工程"): ["装饰"],
               ("汽车", "零部件"): ["汽车部件"], ("电力", "设备"): ["电力"], ("信息", "技术"): ["信息技术"]}
ABBREV_EVIDENCE = {"both": 40, "phone_only": 20, "contact_only": 20, "neither": 20}


# ------------------------------------------------------------------------------------------ model
@dataclass
class Contact:
    full: str
    title: str
    prefer_title: bool
    mobile: str
    start: dt.date = START
    end: dt.date = FAR
    new_mobile: str | None = None
    change: dt.date | None = None

    def mobile_at(self, d: dt.date) -> str:
        return self.new_mobile if self.change and d >= self.change else self.mobile

    def display(self, alt: bool = False) -> str:
        return self.title if self.prefer_title != alt else self.full

    def active(self, d: dt.date) -> bool:
        return self.start <= d < self.end


@dataclass
class Company:
    cid: str
    shape: str                 # plain / school / branch / parent
    city: str
    district: str
    zihao: str                 # 字号 (for a school: its name, e.g. 实验小学)
    ind: tuple                 # industry words
    legal: str                 # 有限公司 / 股份有限公司 / 有限责任公司 / 厂 / ''
    style: str                 # pre (天津X) / pre_shi (天津市X) / bracket (X（天津）有限公司) / none
    cluster: str = ""
    relation: str = "plain"    # lookalike / city / branch / school / factory / group / sister / plain
    hq_city: str = ""
    branch_city: str = ""
    address: str = ""
    switchboard: str = ""
    directs: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    extra_contacts: list = field(default_factory=list)
    old: tuple | None = None   # (zihao, ind) before a rename
    rename: dt.date | None = None
    flags: list = field(default_factory=list)
    cls: str = "C"
    owners: list = field(default_factory=list)
    n_rows: int = 5
    abbrevs: list = field(default_factory=list)

    @property
    def canonical(self) -> str:
        return render(self)

    @property
    def old_name(self) -> str:
        return render(self, zihao=self.old[0], ind=self.old[1]) if self.old else ""


def render(c: Company, *, style=None, legal=None, zihao=None, ind=None, district=False) -> str:
    style = style or c.style
    legal = c.legal if legal is None else legal
    z = c.zihao if zihao is None else zihao
    i = c.ind if ind is None else ind
    if c.shape == "school":
        prefix = {"pre": "天津", "pre_shi": "天津市", "none": "", "bracket": "天津市"}[style]
        return prefix + c.district + z
    core = z + ("集团" if c.shape == "parent" else "") + "".join(i)
    if c.shape == "branch":
        return f"{c.hq_city}{core}{legal}{c.branch_city}分公司"
    if district:
        return f"{c.city}市{c.district}{core}{legal}"
    if style == "pre":
        return c.city + core + legal
    if style == "pre_shi":
        return c.city + "市" + core + legal
    if style == "bracket":
        return f"{core}（{c.city}）{legal}"
    return core + legal


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


# ------------------------------------------------------------------------------------ the registry
class Registry:
    """Normalised name → companies written with it. Two different companies may share a key only
    when their names carry different cities or districts (the contract's certain non-match), so the
    contract's "equal normalised names" rule never contradicts the truth."""

    def __init__(self):
        self.by_key: dict[str, list] = defaultdict(list)

    def ok(self, cid: str, name: str) -> bool:
        key = N.name_key(name)
        if not key:
            return False
        cities, districts = N.places_in(name)
        for other_cid, other_name, oc, od in self.by_key.get(key, ()):
            if other_cid == cid:
                continue
            if (cities and oc and cities != oc) or (districts and od and districts != od):
                continue
            # 厂 vs 有限公司 of one 字号: a certain non-match (the generator never gives such a pair a
            # phone in common)
            if {N.legal_form(name), N.legal_form(other_name)} == {"厂", "ltd"}:
                continue
            return False
        return True

    def add(self, cid: str, name: str) -> bool:
        if not self.ok(cid, name):
            return False
        key = N.name_key(name)
        if not any(e[0] == cid and e[1] == name for e in self.by_key[key]):
            self.by_key[key].append((cid, name, *N.places_in(name)))
        return True


# -------------------------------------------------------------------------------------- phones
class Phones:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _new(self, make) -> str:
        while True:
            p = make()
            if p not in self.used:
                self.used.add(p)
                return p

    def mobile(self) -> str:
        r = self.rng
        prefix = r.choice(["13", "13", "15", "15", "18", "18", "17", "19", "16", "14"])
        return self._new(lambda: prefix + str(r.randint(0, 9)) + "".join(str(r.randint(0, 9)) for _ in range(8)))

    def landline(self, city: str) -> str:
        r = self.rng
        if city == "天津":
            return self._new(lambda: "022" + r.choice("2235568") + "".join(str(r.randint(0, 9)) for _ in range(7)))
        _, _, code, digits = N.OTHER_CITIES[city]
        return self._new(lambda: code + str(r.randint(2, 8)) + "".join(str(r.randint(0, 9)) for _ in range(digits - 1)))

    def write(self, digits: str) -> str | int:
        """How a person writes the number in a cell (all forms normalise to `digits`)."""
        r = self.rng
        if digits.startswith("1"):
            form = r.random()
            if form < 0.55:
                return digits
            if form < 0.70:
                return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
            if form < 0.82:
                return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
            if form < 0.90:
                return "+86 " + digits
            if form < 0.94:
                return "+86" + digits
            if form < 0.97:
                return digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            return int(digits)  # typed into a numeric cell
        code_len = 3 if digits[:3] in ("022", "010", "021") else 4
        code, local = digits[:code_len], digits[code_len:]
        form = r.random()
        if form < 0.45:
            return f"{code}-{local}"
        if form < 0.60:
            return digits
        if code == "022" and form < 0.78:
            return local  # a bare 8-digit Tianjin number
        if form < 0.86:
            return f"{code}-{local[:4]} {local[4:]}"
        if form < 0.94:
            return f"({code}){local}"
        return f"{code} {local}"


# ------------------------------------------------------------------------------------ the builder
class Builder:
    def __init__(self, seed: int, n: int):
        self.rng = random.Random(seed)
        self.n = n
        self.phones = Phones(self.rng)
        self.reg = Registry()
        self.companies: list[Company] = []
        self.used_zihao: set[str] = set()
        self.people_used: set[str] = set()
        self.cluster_no = 0

    # ---- pieces
    def zihao(self) -> str:
        r = self.rng
        while True:
            z = r.choice(N.ZIHAO_FIRST) + r.choice(N.ZIHAO_SECOND)
            if r.random() < 0.08:
                z += r.choice(N.ZIHAO_SECOND)
            if len(set(z)) < len(z) or z in self.used_zihao or any(p in z for p in N.PLACE_WORDS):
                continue
            if any(z in u or u in z for u in self.used_zihao if len(u) != len(z)):
                continue
            self.used_zihao.add(z)
            return z

    def person(self) -> tuple[str, str]:
        r = self.rng
        while True:
            s = r.choice(N.SURNAMES)
            g = r.choice(N.GIVEN) + (r.choice(N.GIVEN) if r.random() < 0.6 else "")
            if s + g not in self.people_used and len(set(g)) == len(g):
                self.people_used.add(s + g)
                return s + g, s + r.choice(N.TITLES)

    def contact(self, start=START) -> Contact:
        full, title = self.person()
        return Contact(full, title, self.rng.random() < 0.4, self.phones.mobile(), start=start)

    def address(self, city: str, district: str) -> str:
        r = self.rng
        road = r.choice(N.ROADS[district] if city == "天津" else N.OTHER_CITIES[city][1])
        addr = f"{city}市{district}{road}{r.randint(1, 399)}号"
        if r.random() < 0.4:
            addr += f"{r.choice(N.BUILDINGS)}{r.randint(2, 28)}层"
        return addr

    def new_cluster(self) -> str:
        self.cluster_no += 1
        return f"G{self.cluster_no:04d}"

    def company(self, shape="plain", *, city="天津", district=None, zihao=None, ind=None, legal=None, style=None,
                relation="plain", cluster="", factory=False, hq_city="", branch_city="") -> Company | None:
        r = self.rng
        if district is None:
            district = r.choice(N.TIANJIN_DISTRICTS if city == "天津" else N.OTHER_CITIES[city][0])
        if ind is None:
            ind = r.choice(N.FACTORY_INDUSTRIES) if factory else r.choice(N.INDUSTRIES)
        if legal is None:
            if shape == "school":
                legal = ""
            elif factory:
                legal = "厂"
            else:
                legal = r.choices(LTD, [70, 15, 15])[0]
        if style is None:
            if shape == "school":
                style = "pre_shi"
            elif legal == "厂" or city != "天津":
                style = r.choice(["pre", "pre_shi"])
            else:
                style = r.choices(["pre", "pre_shi", "bracket"], [45, 30, 25])[0]
        c = Company(cid=f"C{len(self.companies) + 1:04d}", shape=shape, city=city, district=district,
                    zihao=zihao or self.zihao(), ind=tuple(ind), legal=legal, style=style, cluster=cluster,
                    relation=relation, hq_city=hq_city, branch_city=branch_city)
        if not self.reg.add(c.cid, c.canonical):
            return None
        c.address = self.address(city, district)
        c.switchboard = self.phones.landline(city)
        k = r.choices([1, 2, 3], [50, 35, 15])[0]
        c.contacts = [self.contact() for _ in range(k)]
        if r.random() < 0.4:
            c.directs = [self.phones.landline(city) for _ in range(r.choice([1, 1, 2]))]
        c.cls = r.choices(["A", "A1", "B", "B1", "C"], [5, 5, 25, 15, 50])[0]
        c.n_rows = 3 + min(55, int(r.expovariate(1 / 9.5)))
        c.abbrevs = self.abbreviations(c)
        self.companies.append(c)
        return c

    def abbreviations(self, c: Company) -> list[str]:
        z, i = c.zihao, c.ind
        forms: list[str] = []
        if c.shape == "parent":
            return []
        if c.shape == "school":
            return [c.district.removesuffix("新区").removesuffix("区") + z]
        if c.shape == "branch":
            short = (i[1] if re.match(r"[0-9A-Za-z]", i[0]) else i[0])[:2] if len(i) == 2 else i[0][:2]
            return [z + short + c.branch_city + "分公司"]
        if len(i) == 2:
            main = i[1] if re.match(r"[0-9A-Za-z]", i[0]) else i[0]
            forms.append(z + main[:2])
            if len(main) == 3:
                forms.append(z + main)
            forms += [z + short for short in SHORT_FORMS.get(i, ())]
        elif len(i[0]) > 2:
            forms.append(z + i[0][:2])
        else:
            forms.append(z)
        if c.city == "天津" and forms:
            forms.append("天津" + forms[0])
        core = N.name_key(c.canonical)
        return [f for f in dict.fromkeys(forms)
                if N.name_key(f) != core and is_subsequence(N.name_key(f), core)]

    # ---- the population
    def build(self):
        r, n = self.rng, self.n
        plan = {
            "lookalike": round(n * 0.125), "city": round(n * 0.02), "branch": round(n * 0.015),
            "school": round(n * 0.015), "factory": round(n * 0.015), "group": round(n * 0.012),
            "sister": round(n * 0.015),
        }
        for _ in range(plan["group"]):
            self.group()
        for _ in range(plan["branch"]):
            self.branches()
        for _ in range(plan["school"]):
            self.schools()
        for _ in range(plan["factory"]):
            self.factory_pair()
        for _ in range(plan["city"]):
            self.city_pair()
        for _ in range(plan["sister"]):
            self.sisters()
        for _ in range(plan["lookalike"]):
            self.lookalike_pair()
        while len(self.companies) < n:
            self.plain()
        del self.companies[n:]
        for c in self.companies:
            self.events(c)

    def plain(self):
        r = self.rng
        city = "天津" if r.random() < 0.88 else r.choice(list(N.OTHER_CITIES))
        c = self.company(city=city, factory=(city == "天津" and r.random() < 0.06))
        if c and r.random() < 0.05 and c.legal != "厂":
            # renamed: the old name is used before the rename, (原…) around it, and sometimes later
            near = [k for k, p in enumerate(c.ind) if p in N.NEAR_INDUSTRY]
            if near and r.random() < 0.4:  # the same 字号, one industry word changed (科技 → 技术)
                k = r.choice(near)
                old = (c.zihao, c.ind[:k] + (N.NEAR_INDUSTRY[c.ind[k]],) + c.ind[k + 1:])
            else:  # a new 字号
                old = (self.zihao(), c.ind)
            old_name = render(c, zihao=old[0], ind=old[1])
            if old[1] != c.ind or old[0] != c.zihao:
                if self.reg.add(c.cid, old_name):
                    c.old = old
                    c.rename = r.choice(WORKDAYS[10:-10])
                    c.n_rows = max(c.n_rows, 8)
                    c.flags.append("renamed")
        return c

    def lookalike_pair(self):
        r = self.rng
        cl = self.new_cluster()
        a = self.company(relation="lookalike", cluster=cl)
        if a is None:
            return
        for _ in range(20):
            mode = r.choices(["homophone", "lookalike", "same_zihao", "near_industry"], [40, 15, 30, 15])[0]
            z, ind = a.zihao, a.ind
            if mode in ("homophone", "lookalike"):
                table = N.HOMOPHONES if mode == "homophone" else N.LOOKALIKES
                pos = [k for k, ch in enumerate(z) if any(x in N.NAME_CHARS for x in table.get(ch, ()))]
                if not pos:
                    continue
                k = r.choice(pos)
                z = z[:k] + r.choice([x for x in table[z[k]] if x in N.NAME_CHARS]) + z[k + 1:]
                if z in self.used_zihao or any(p in z for p in N.PLACE_WORDS):
                    continue
                self.used_zihao.add(z)
            elif mode == "same_zihao":
                ind = r.choice([x for x in N.INDUSTRIES if x != a.ind and x[0] != a.ind[0]])
            else:
                parts = [k for k, p in enumerate(ind) if p in N.NEAR_INDUSTRY]
                if not parts:
                    continue
                k = r.choice(parts)
                ind = ind[:k] + (N.NEAR_INDUSTRY[ind[k]],) + ind[k + 1:]
            b = self.company(zihao=z, ind=ind, relation="lookalike", cluster=cl,
                             legal=a.legal if r.random() < 0.5 else None)
            if b is not None:
                b.flags.append(f"lookalike:{mode}")
                a.flags.append(f"lookalike:{mode}")
                return

    def city_pair(self):
        r = self.rng
        cl = self.new_cluster()
        a = self.company(relation="city", cluster=cl, style=r.choice(["pre", "pre_shi", "bracket"]))
        if a:
            other = r.choice(list(N.OTHER_CITIES))
            self.company(city=other, zihao=a.zihao, ind=a.ind, relation="city", cluster=cl, legal=a.legal)

    def branches(self):
        r = self.rng
        cl = self.new_cluster()
        hq = r.choice(["北京", "上海", "济南", "石家庄"])
        z, ind = self.zihao(), r.choice(N.INDUSTRIES)
        others = [c for c in ["北京", "上海", "廊坊", "唐山", "济南", "石家庄", "沧州"] if c != hq]
        for bc in ["天津", r.choice(others)]:
            self.company("branch", city=bc, zihao=z, ind=ind, legal="有限公司", style="pre", relation="branch",
                         cluster=cl, hq_city=hq, branch_city=bc)
        if r.random() < 0.4:  # the head office is a customer too
            self.company(city=hq, zihao=z, ind=ind, legal="有限公司", style="pre", relation="branch", cluster=cl)

    def schools(self):
        r = self.rng
        cl = self.new_cluster()
        for _ in range(50):
            school = r.choice(N.SCHOOLS)
            d1, d2 = r.sample(["和平区", "河西区", "南开区", "河东区", "河北区", "红桥区"], 2)
            if r.random() < 0.5:
                d1, d2 = "和平区", "河西区"
            if all(self.reg.ok("?", f"天津市{d}{school}") for d in (d1, d2)):
                break
        else:
            return
        for d in (d1, d2):
            c = self.company("school", district=d, zihao=school, ind=(), relation="school", cluster=cl)
            if c:
                for ct in c.contacts:
                    ct.title = ct.title[0] + r.choice(["老师", "主任", "校长", "老师"])

    def factory_pair(self):
        r = self.rng
        cl = self.new_cluster()
        a = self.company(factory=True, relation="factory", cluster=cl, style="pre_shi")
        if a:
            self.company(zihao=a.zihao, ind=a.ind, legal=r.choice(LTD), relation="factory", cluster=cl,
                         style=r.choice(["pre", "pre_shi"]))

    def share(self, a: Company, b: Company, address=True, desk=False, contact=False):
        if address:
            b.address = a.address
            b.flags.append("shares_address")
        if desk:
            b.switchboard = a.switchboard
            b.flags.append("shares_desk")
        if contact:
            b.contacts.insert(0, a.contacts[0])
            b.flags.append("shares_contact")

    def group(self):
        r = self.rng
        cl = self.new_cluster()
        parent = self.company("parent", ind=(), relation="group", cluster=cl, legal=r.choice(["有限公司", "股份有限公司"]),
                              style=r.choice(["pre", "pre_shi"]))
        if not parent:
            return
        for ind in r.sample(N.GROUP_SUB_INDUSTRIES, r.choice([2, 2, 3])):
            sub = self.company(zihao=parent.zihao, ind=ind, relation="group", cluster=cl, style="pre")
            if sub:
                self.share(parent, sub, address=r.random() < 0.7, desk=r.random() < 0.4, contact=r.random() < 0.3)

    def sisters(self):
        r = self.rng
        cl = self.new_cluster()
        a = self.company(relation="sister", cluster=cl)
        if a:
            b = self.company(relation="sister", cluster=cl, district=a.district)
            if b:
                mode = r.choice(["address", "desk", "contact"])
                self.share(a, b, desk=mode == "desk", contact=mode == "contact")

    def events(self, c: Company):
        r = self.rng
        own = [x for x in c.contacts if "shares_contact" not in c.flags or x is not c.contacts[0]]
        if c.n_rows >= 6 and own and r.random() < 0.12:
            old = own[0]
            day = r.choice(WORKDAYS[12:-12])
            old.end = day
            successor = self.contact(start=day)
            c.contacts.append(successor)
            c.flags.append(f"contact_left:{old.full}->{successor.full}")
        if c.n_rows >= 6 and own and r.random() < 0.10:
            x = own[-1] if own[-1].end == FAR else None
            if x:
                x.change = r.choice(WORKDAYS[12:-12])
                x.new_mobile = self.phones.mobile()
                c.flags.append(f"mobile_changed:{x.full}")
        if c.directs:
            c.flags.append("direct_lines")


# -------------------------------------------------------------------------------------- spellings
def spaced(rng: random.Random, s: str) -> str:
    seps = [" ", " ", " ", "\u3000", "\u00a0", "\u200b"]
    pts = sorted(rng.sample(range(1, len(s)), min(len(s) - 1, rng.choice([1, 1, 2, 3]))))
    out, last = [], 0
    for p in pts:
        out.append(s[last:p])
        last = p
    out.append(s[last:])
    return rng.choice(seps).join(out) if rng.random() < 0.5 else " ".join(out)


def variant(c: Company, kind: str, rng: random.Random) -> str | None:
    canon = c.canonical
    plainish = c.shape in ("plain", "parent")
    if kind == "exact":
        return canon
    if kind == "norm_space":
        s = spaced(rng, canon)
        return (" " + s) if rng.random() < 0.1 else s + (" " if rng.random() < 0.1 else "")
    if kind == "norm_bracket":
        if plainish and c.legal != "厂" and c.city == "天津":
            base = canon if c.style == "bracket" else render(c, style="bracket")
            return base.replace("（", "(").replace("）", ")")
        return None
    if kind == "norm_region":
        if c.shape == "school":
            return render(c, style=rng.choice([s for s in ("pre", "none") if s != c.style]))
        if not plainish:
            return None
        if c.city != "天津":
            return render(c, style="pre" if c.style == "pre_shi" else "pre_shi")
        opts = [s for s in ("pre", "pre_shi", "bracket", "none") if s != c.style and not (s == "bracket" and c.legal == "厂")]
        return render(c, style=rng.choice(opts))
    if kind == "norm_fullwidth":
        if re.search(r"[0-9A-Za-z]", canon):
            return canon.translate({ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
        if "（" in canon:
            return None
        return None
    if kind == "legal_other":
        if plainish and c.legal in LTD:
            return render(c, legal=rng.choice([x for x in LTD if x != c.legal]))
        return None
    if kind == "legal_none":
        if plainish and c.legal in LTD:
            style = "none" if c.shape == "parent" and rng.random() < 0.5 else None
            return render(c, legal="", style=style)
        return None
    if kind == "factory_form":
        if c.shape == "plain" and c.city == "天津" and c.legal in LTD and c.ind in N.FACTORY_INDUSTRIES:
            return render(c, legal="厂", style="pre_shi")
        return None
    if kind == "region_district":
        if plainish:
            return render(c, district=True)
        return None
    if kind == "abbrev":
        return rng.choice(c.abbrevs) if c.abbrevs else None
    if kind in ("typo_homophone", "typo_lookalike"):
        table = N.HOMOPHONES if kind == "typo_homophone" else N.LOOKALIKES
        spots = [("z", k) for k, ch in enumerate(c.zihao) if ch in table] * 3
        spots += [("i", (j, k)) for j, part in enumerate(c.ind) for k, ch in enumerate(part) if ch in table]
        if not spots:
            return None
        where, k = rng.choice(spots)
        if where == "z":
            z = c.zihao[:k] + rng.choice(table[c.zihao[k]]) + c.zihao[k + 1:]
            return render(c, zihao=z)
        j, k = k
        part = c.ind[j]
        ind = c.ind[:j] + (part[:k] + rng.choice(table[part[k]]) + part[k + 1:],) + c.ind[j + 1:]
        return render(c, ind=ind)
    if kind == "extra_words":
        if c.city != "天津" and c.shape == "plain" and c.relation != "branch" and rng.random() < 0.6:
            return canon + "驻津办事处"
        return canon + rng.choice(N.EXTRA_WORDS)
    if kind == "traditional":
        s = "".join(N.TRADITIONAL.get(ch, ch) for ch in canon)
        return s if s != canon else None
    if kind == "swapped":
        if len(c.ind) == 2 and not re.search(r"[0-9A-Za-z]", "".join(c.ind)) and c.shape == "plain":
            return render(c, ind=c.ind[::-1])
        return None
    raise ValueError(kind)


# ------------------------------------------------------------------------------------------- rows
@dataclass
class Row:
    company: Company
    date: dt.date
    salesperson: str
    name: str
    kind: str
    contact: str
    phone: str          # normalised digits
    phone_cell: object = None
    evidence: str = ""
    file: str = ""
    row: int = 0
    cells: list = field(default_factory=list)


def make_rows(b: Builder, c: Company, salespeople: list[str]) -> list[Row]:
    r = b.rng
    lo = r.randrange(0, len(WORKDAYS) // 3)
    hi = r.randrange(2 * len(WORKDAYS) // 3, len(WORKDAYS))
    window = WORKDAYS[lo:hi + 1]
    if c.rename:
        window = WORKDAYS
    dates = sorted(r.choice(window) for _ in range(c.n_rows))
    if c.rename:  # make sure there are rows on both sides of the rename
        before = [d for d in WORKDAYS if d < c.rename]
        after = [d for d in WORKDAYS if d >= c.rename]
        dates = sorted(dates[2:] + [r.choice(before), r.choice(after)])
    owner = c.owners[0]
    habit: dict[str, tuple[str, str]] = {}
    rows: list[Row] = []
    full_pairs: list[tuple[str, str]] = []
    canon_key = N.name_key(c.canonical)
    after_rename_seen = False

    def natural(d: dt.date) -> tuple[str, str]:
        active = [x for x in c.contacts if x.active(d)] or c.contacts[-1:]
        x = active[0] if r.random() < 0.7 else r.choice(active)
        u = r.random()
        if u < 0.5:
            phone = x.mobile_at(d)
        elif u < 0.8 or not c.directs:
            phone = c.switchboard
        else:
            phone = r.choice(c.directs)
        return x.display(alt=r.random() < 0.08), phone

    def company_phones(d):
        out = [c.switchboard, *c.directs]
        out += [x.mobile_at(d) for x in c.contacts if x.active(d)]
        return list(dict.fromkeys(out))

    def other_contact(d, seen: set[str]) -> tuple[str, str | None]:
        cands = []
        for x in c.contacts + c.extra_contacts:
            for s in (x.display(), x.display(alt=True)):
                if s not in seen and (x.active(d) or s == x.display(alt=True)):
                    cands.append((s, x.mobile_at(d)))
        if cands and r.random() < 0.7:
            return r.choice(cands)
        x = b.contact(start=d)
        c.extra_contacts.append(x)
        return x.display(), x.mobile_at(d)

    for idx, d in enumerate(dates):
        sp = owner if len(c.owners) == 1 or r.random() < 0.75 else c.owners[1]
        contact, phone = natural(d)
        kind, name = "", ""
        if c.rename and d < c.rename:
            kind, name = "old_name", c.old_name
        elif c.rename and not after_rename_seen and r.random() < 0.8:
            kind, name = "renamed_with_old", f"{c.canonical}（原{c.old_name}）"
        elif c.rename and r.random() < 0.2:
            kind, name = "old_name", c.old_name
        elif idx == 0 and r.random() < 0.75:
            kind, name = "exact", c.canonical
        elif sp in habit and r.random() < 0.45:
            kind, name = habit[sp]
        else:
            kind = r.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
            name = variant(c, kind, r)
            if name is None or not b.reg.add(c.cid, name):
                kind, name = "exact", c.canonical
            elif kind != "exact" and r.random() < 0.5:
                habit[sp] = (kind, name)
        if c.rename and d >= c.rename:
            after_rename_seen = True
        if kind == "factory_form":  # 厂 vs 有限公司 is the same customer only with a phone in common
            phone = c.switchboard
        if kind == "abbrev":
            if not full_pairs:
                kind, name = "exact", c.canonical
            else:
                want = r.choices(list(ABBREV_EVIDENCE), list(ABBREV_EVIDENCE.values()))[0]
                fp = sorted(set(full_pairs))
                full_phones = {p for _, p in fp}
                full_contacts = {ct for ct, _ in fp}
                if want == "both":
                    contact, phone = r.choice(fp)
                if want in ("phone_only", "neither"):
                    contact, own_mobile = other_contact(d, full_contacts)
                    phone = r.choice(sorted(full_phones)) if want == "phone_only" else own_mobile
                if want == "contact_only":
                    contact = r.choice(sorted(full_contacts))
                if want in ("contact_only", "neither") and (phone in full_phones or phone is None):
                    cands = [p for p in company_phones(d) if p not in full_phones]
                    if cands and r.random() < 0.6:
                        phone = r.choice(cands)
                    else:
                        phone = b.phones.landline(c.city) if r.random() < 0.5 else b.phones.mobile()
                        if phone.startswith("0"):
                            c.directs.append(phone)
        row = Row(c, d, sp, name, kind, contact, phone)
        rows.append(row)
        if N.name_key(name) == canon_key and kind in NORM_EQUAL_KINDS:
            full_pairs.append((contact, phone))
    # stages and results
    stage = 1
    for k, row in enumerate(rows):
        if k and r.random() < 0.35:
            stage = min(6, stage + 1)
        row.cells = [stage, "继续跟进"]
    if rows and r.random() < 0.18:
        last = rows[-1]
        last.cells = [7, "签单"] if r.random() < 0.6 else [max(1, last.cells[0]), "丢单"]
    return rows


def label_evidence(rows: list[Row]):
    """An abbreviation's evidence, against every row of its company that is written with a name
    equal to the canonical one after normalisation (the whole run, not only earlier rows)."""
    by_company: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_company[row.company.cid].append(row)
    for cid, rs in by_company.items():
        key = N.name_key(rs[0].company.canonical)
        full = [x for x in rs if x.kind in NORM_EQUAL_KINDS and N.name_key(x.name) == key]
        pairs = {(x.contact, x.phone) for x in full}
        phones = {x.phone for x in full}
        contacts = {x.contact for x in full}
        for row in rs:
            if row.kind != "abbrev":
                continue
            if (row.contact, row.phone) in pairs:
                row.evidence = "both"
            elif row.phone in phones and row.contact in contacts:
                row.evidence = "both_apart"
            elif row.phone in phones:
                row.evidence = "phone_only"
            elif row.contact in contacts:
                row.evidence = "contact_only"
            else:
                row.evidence = "neither"


def guard_abbreviations(rows: list[Row]):
    """An abbreviation written with the phone and contact of a DIFFERENT company's full-name row,
    whose name it abbreviates, would be a certain match by the contract: rewrite it as exact."""
    full_by_pair: dict[tuple, set] = defaultdict(set)
    for row in rows:
        c = row.company
        if row.kind in NORM_EQUAL_KINDS:
            full_by_pair[(row.contact, row.phone)].add(c.cid)
    keys = {}
    for row in rows:
        keys.setdefault(row.company.cid, N.name_key(row.company.canonical))
    for row in rows:
        if row.kind != "abbrev":
            continue
        short = N.name_key(row.name)
        for other in full_by_pair.get((row.contact, row.phone), ()):
            if other != row.company.cid and is_subsequence(short, keys[other]):
                row.kind, row.name = "exact", row.company.canonical
                break


# ---------------------------------------------------------------------------------------- writing
def _address(rng: random.Random, c: Company) -> str:
    a = c.address
    u = rng.random()
    if u < 0.2:
        a = a.replace(f"{c.city}市", "", 1)
    elif u < 0.27 and c.cls == "C":
        a = c.district
    return a


def generate(seed: int, companies: int, out: Path) -> Path:
    """Write the inbox (workbooks + roster), truth.csv and companies.csv under `out`; return the inbox."""
    out = Path(out)
    inbox = out / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    b = Builder(seed, companies)
    b.build()
    r = b.rng
    n_sales = max(4, min(16, companies // 50))
    salespeople: list[str] = []
    while len(salespeople) < n_sales:
        full, _ = b.person()
        salespeople.append(full)
    for c in b.companies:
        c.owners = [r.choice(salespeople)]
        if r.random() < 0.15:
            c.owners.append(r.choice([s for s in salespeople if s != c.owners[0]]))
    rows: list[Row] = []
    for c in b.companies:
        rows.extend(make_rows(b, c, salespeople))
    guard_abbreviations(rows)
    label_evidence(rows)

    # one workbook per salesperson per day
    by_file: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        by_file[(row.salesperson, row.date)].append(row)
    methods = ["电话"] * 11 + ["面访"] * 3 + ["E-mail"] * 3 + ["传真"]
    for (sp, d), rs in sorted(by_file.items()):
        r.shuffle(rs)
        fname = f"日志表_{sp}_{d:%Y%m%d}.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "销售日志表"
        ws.append(LOG_HEADER)
        for k, row in enumerate(rs, start=2):
            row.file, row.row = fname, k
            phone_cell = b.phones.write(row.phone)
            values = [d, sp, row.name, row.contact, phone_cell, _address(r, row.company), row.company.cls,
                      r.choice(methods), str(row.cells[0]), row.cells[1]]
            ws.append(values)
            ws.cell(row=k, column=1).number_format = "yyyy-mm-dd"
            if isinstance(phone_cell, str):
                ws.cell(row=k, column=5).number_format = "@"
            row.phone_cell = phone_cell
        wb.save(inbox / fname)

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "业务员名册"
    ws.append(["工号", "姓名", "岗位", "状态", "入职日期", "邮箱"])
    for k, sp in enumerate(salespeople, start=1):
        ws.append([f"S{k:03d}", sp, "CC", "在职", dt.date(2025, 1, 1), f"s{k:03d}@example.com"])
        ws.cell(row=k + 1, column=5).number_format = "yyyy-mm-dd"
    wb.save(inbox / "业务员名册.xlsx")

    with open(out / "truth.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "row", "company_id", "kind", "evidence", "written_name", "contact", "phone",
                    "salesperson", "date"])
        for row in sorted(rows, key=lambda x: (x.file, x.row)):
            w.writerow([row.file, row.row, row.company.cid, row.kind, row.evidence, row.name, row.contact,
                        row.phone, row.salesperson, row.date.isoformat()])
    with open(out / "companies.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["company_id", "canonical", "cluster", "relation", "city", "district", "old_name",
                    "rename_date", "flags", "rows"])
        counts = defaultdict(int)
        for row in rows:
            counts[row.company.cid] += 1
        for c in b.companies:
            w.writerow([c.cid, c.canonical, c.cluster, c.relation, c.city, c.district, c.old_name,
                        c.rename.isoformat() if c.rename else "", ";".join(c.flags), counts[c.cid]])
    return inbox


if __name__ == "__main__":  # python -m bench.blind_customers.generate SEED COMPANIES OUT
    import sys

    print(generate(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])))
