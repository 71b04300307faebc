"""Customer matching against known truth.

    .venv/bin/python -m bench.customers_bench [--records 100000] [--seed 1]

The generator makes companies and the ways salespeople write them: full names, spaces and full-width
brackets, region prefixes (天津市 / 天津 / none / （天津）), legal forms changed or dropped, short names
(天津格致咨询), one-character typos, phones in every format or missing, a second contact — and hard
negatives: the same 字号 in another city or another industry, branches of one company, and companies
whose names differ by one character. Scored by pairwise precision / recall / F1, with false merges and
false splits apart, the share of companies reproduced exactly, and the size of the review queue.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections import Counter, defaultdict

from bench.ingest_bench import append_result, machine
from salespipe.customers.match import Record, Settings, blocking_keys, match
from salespipe.customers.names import is_region, parse_name
from salespipe.customers.normalize import normalize_phone
from salespipe.errors import BadValue
from salespipe.ingest.worker import paused_gc

CHARS = ("华泰恒达盛通宏鑫嘉瑞新源金利丰诚信德祥安康明远博奥创凯隆兴旺昌润海天正和中科环宇优联聚力格致睿思"
         "蓝图星辰智慧云峰德顺永发长城鸿运万邦东方红光华夏伟业腾飞远航汇通广厦美佳卓越百川同创开元九州")
CITIES = ["天津"] * 6 + ["北京", "上海", "石家庄", "廊坊", "唐山", "济南"]
LOCAL = {"廊坊": 6, "唐山": 6}  # digits after the first of a local number (others 7: eight-digit numbers)
LOCAL = {c: LOCAL.get(c, 7) for c in CITIES}
AREA = {"天津": "022", "北京": "010", "上海": "021", "石家庄": "0311", "廊坊": "0316", "唐山": "0315", "济南": "0531"}
INDUSTRIES = {"服务": ["企业管理咨询", "信息技术", "物流", "物业服务"], "生产制造": ["机械制造", "电子", "化工", "食品"],
              "贸易": ["国际贸易", "商贸"], "销售": ["营销"]}
SHORT = {"企业管理咨询": "咨询", "信息技术": "信息", "机械制造": "机械", "国际贸易": "贸易", "物业服务": "物业"}
FORMS = ["有限公司"] * 5 + ["股份有限公司", "有限责任公司"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂兰"


def _company(rng: random.Random, trade: str | None = None, city: str | None = None, industry: str | None = None,
             branch: str = "") -> dict:
    category = rng.choice(list(INDUSTRIES))
    industry = industry or rng.choice(INDUSTRIES[category])
    city = city or rng.choice(CITIES)
    category = next((c for c, words in INDUSTRIES.items() if industry in words), category)
    while trade is None or is_region(trade) or parse_name(trade + industry).trade != trade:  # no city, no industry word
        trade = "".join(rng.sample(CHARS, 2))
    return {"trade": trade, "city": city, "industry": industry,
            "category": category, "form": rng.choice(FORMS), "branch": branch,
            "phones": [_landline(rng, city) if rng.random() < 0.5 else
                       f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}" for _ in range(rng.choice([1, 1, 2]))],
            "contacts": [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", GIVEN[rng.randrange(len(GIVEN))]])
                         for _ in range(rng.choice([1, 1, 2]))]}


def _landline(rng: random.Random, city: str) -> str:
    """A number that is valid in that city's numbering plan."""
    while True:
        number = f"{AREA[city]}{rng.randint(2, 8)}{rng.randint(0, 10 ** LOCAL[city] - 1):0{LOCAL[city]}d}"
        try:
            return normalize_phone(number)
        except BadValue:
            continue


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    return text[:i] + rng.choice(CHARS) + text[i + 1:]


def _spell(rng: random.Random, c: dict) -> str:
    """One way a salesperson writes the company's name."""
    region = {"天津": ["天津市", "天津", "", "(天津)"], "北京": ["北京市", "北京", ""], "上海": ["上海市", "上海", ""]}.get(
        c["city"], [c["city"] + "市", c["city"]])
    roll = rng.random()
    form, industry, trade = c["form"], c["industry"], c["trade"]
    if roll < 0.08:
        form = rng.choice(["有限公司", "有限责任公司", "公司", ""])
    elif roll < 0.16:
        industry = SHORT.get(industry, industry)
        form = ""
    elif roll < 0.20:
        industry = _typo(rng, industry)
    prefix = rng.choice(region)
    branch = c["branch"]
    if prefix.startswith("("):
        name = f"{trade}{industry}（{c['city']}）{form}{branch}"
    else:
        name = f"{prefix}{trade}{industry}{form}{branch}"
    if rng.random() < 0.1:
        name = name.replace("有限", " 有限").replace("（", "(").replace("）", ")")
    if rng.random() < 0.05:
        name = name.translate(str.maketrans("()", "（）"))
    return name


def _phone_text(rng: random.Random, phone: str) -> str:
    if phone.startswith("1"):
        return rng.choice([phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"+86 {phone}"])
    digits = 7 if phone[:4] in ("0316", "0315") else 8
    area, local = phone[:-digits], phone[-digits:]
    local_forms = [local] if area == "022" else []  # a bare 8-digit number is read as Tianjin's
    return rng.choice([f"{area}-{local}", f"({area}){local}", f"{area}-{local[:4]} {local[4:]}",
                       f"+86 {area[1:]} {local}", *local_forms])


def generate(n_records: int, seed: int = 1) -> tuple[list[Record], list[int]]:
    """Records (one per distinct name/phone/contact as a day's rows would give) and the true company of each."""
    rng = random.Random(seed)
    companies: list[dict] = []
    registered: set[tuple] = set()  # a registered name is unique within its city

    def add(company: dict) -> None:
        key = (company["trade"], company["city"], company["industry"], company["branch"])
        if key not in registered:
            registered.add(key)
            companies.append(company)
    while len(companies) * 4 < n_records:
        base = _company(rng)
        if (base["trade"], base["city"], base["industry"], "") in registered:
            continue
        add(base)
        roll = rng.random()
        if roll < 0.05:  # the same 字号 in another city
            add(_company(rng, base["trade"], rng.choice([c for c in CITIES if c != base["city"]]), base["industry"]))
        elif roll < 0.10:  # the same 字号 and city, another line of business
            other = rng.choice([w for ws in INDUSTRIES.values() for w in ws if w != base["industry"]])
            add(_company(rng, base["trade"], base["city"], other))
        elif roll < 0.13:  # a branch
            add({**_company(rng, base["trade"], base["city"], base["industry"],
                            branch=rng.choice(["北京分公司", "上海分公司", "滨海分公司"])), "form": base["form"]})
        elif roll < 0.17:  # one character different
            add(_company(rng, _typo(rng, base["trade"]), base["city"], base["industry"]))
    records, truth, seen = [], [], set()
    day = dt.date(2026, 1, 1)
    while len(records) < n_records:
        k = rng.randrange(len(companies))
        c = companies[k]
        name = _spell(rng, c)
        phone = "" if rng.random() < 0.1 else _phone_text(rng, rng.choice(c["phones"]))
        contact = rng.choice(c["contacts"])
        signature = (name, phone, contact)
        if signature in seen:
            continue
        seen.add(signature)
        phones = {normalize_phone(phone)} if phone else set()
        records.append(Record(len(records), {name}, phones, {contact}, set(), {c["category"]},
                              order=(day + dt.timedelta(days=len(records) // 400), len(records))))
        truth.append(k)
    return records, truth


def evaluate(truth: list[int], predicted: dict[int, int], reviews: list) -> dict:
    pairs = lambda n: n * (n - 1) // 2
    joint = Counter((predicted[i], t) for i, t in enumerate(truth))
    by_cluster = Counter(predicted.values())
    by_truth = Counter(truth)
    tp = sum(pairs(n) for n in joint.values())
    predicted_pairs = sum(pairs(n) for n in by_cluster.values())
    true_pairs = sum(pairs(n) for n in by_truth.values())
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    members: dict[int, set] = defaultdict(set)
    for i, t in enumerate(truth):
        members[t].add(predicted[i])
    exact = sum(1 for t, clusters in members.items() if len(clusters) == 1 and
                by_cluster[next(iter(clusters))] == by_truth[t])
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / (precision + recall),
            "false_merge_pairs": predicted_pairs - tp, "false_split_pairs": true_pairs - tp,
            "exact": exact / len(members), "companies": len(members), "reviews": len(reviews)}


def with_oracle_reviews(truth: list[int], predicted: dict[int, int], reviews: list) -> dict[int, int]:
    """The clusters after a person decided every review pair correctly."""
    parent = {c: c for c in predicted.values()}

    def find(c):
        while parent[c] != c:
            c = parent[c]
        return c
    for pair in reviews:
        if truth[pair.a] == truth[pair.b]:
            parent[find(predicted[pair.a])] = find(predicted[pair.b])
    return {i: find(c) for i, c in predicted.items()}


def night(records: list[Record], truth: list[int], size: int, seed: int) -> dict:
    """Issue 13: one evening's `size` records matched onto the master the other records made (their clusters
    as existing customers with codes, as `Profiles` builds them) — only the customers sharing a blocking key
    with the evening's records are compared, as in `master.Profiles.records`. Returns the master's size, the
    seconds of that night's match (with the selection) and the pairwise scores of every record afterwards."""
    rng = random.Random(seed)
    tonight = set(rng.sample(range(len(records)), size))
    before = [r for r in records if r.rid not in tonight]
    clusters = match([Record(i, set(r.names), set(r.phones), set(r.contacts), set(r.cities), set(r.industries))
                      for i, r in enumerate(before)], Settings()).cluster_of
    members: dict[int, list[int]] = defaultdict(list)
    for i, root in clusters.items():
        members[root].append(i)
    master = []
    for n, (root, idx) in enumerate(sorted(members.items())):
        rs = [before[i] for i in idx]
        master.append(Record(0, set().union(*(r.names for r in rs)), set().union(*(r.phones for r in rs)),
                             set().union(*(r.contacts for r in rs)), set().union(*(r.cities for r in rs)),
                             set().union(*(r.industries for r in rs)), code=f"KH{n + 1:06d}"))
    new = [Record(i, set(records[j].names), set(records[j].phones), set(records[j].contacts), set(records[j].cities),
                  set(records[j].industries), order=(i,)) for i, j in enumerate(sorted(tonight))]
    start = time.perf_counter()
    with paused_gc():  # as load_batch matches: a collection of the 100k records' heap here cost 1.5 s in one of two nights
        keys = set().union(*(blocking_keys(r) for r in new))
        existing = [m for m in master if blocking_keys(m) & keys]
        for i, m in enumerate(existing, start=len(new)):
            m.rid = i
        result = match(new + existing, Settings())
    seconds = time.perf_counter() - start
    code_of = {result.cluster_of[m.rid]: m.code for m in existing}
    predicted = {}
    for n, (root, idx) in enumerate(sorted(members.items())):
        for i in idx:
            predicted[before[i].rid] = f"KH{n + 1:06d}"
    for i, j in enumerate(sorted(tonight)):
        root = result.cluster_of[i]
        predicted[j] = code_of.get(root, f"new{root}")
    ordered = {k: predicted[records[k].rid] for k in range(len(records))}
    scores = evaluate(truth, ordered, result.reviews)
    return {"master": len(master), "compared": len(existing), "seconds": seconds, **scores}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="customers_bench")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--night", type=int, default=5_000, help="records of the evening matched onto the master")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    records, truth = generate(args.records, args.seed)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    with paused_gc():  # as load_batch matches
        result = match(records, Settings())
    seconds = time.perf_counter() - start
    auto = evaluate(truth, result.cluster_of, result.reviews)
    decided = evaluate(truth, with_oracle_reviews(truth, result.cluster_of, result.reviews), [])
    wrong_reviews = sum(1 for p in result.reviews if truth[p.a] != truth[p.b])
    lines = [f"### {dt.date.today()} — customer matching: {len(records):,} records of {auto['companies']:,} companies "
             f"(seed {args.seed})", "", f"Machine: {machine()}", "",
             f"Generated in {generated:.1f} s; **matched in {seconds:.1f} s**.", "",
             "| measure | automatic | after the review queue is decided |", "| --- | ---: | ---: |"]
    for key, label in [("precision", "pairwise precision"), ("recall", "pairwise recall"), ("f1", "pairwise F1"),
                       ("false_merge_pairs", "false-merge pairs"), ("false_split_pairs", "false-split pairs"),
                       ("exact", "companies reproduced exactly")]:
        fmt = (lambda v: f"{v:.4f}") if isinstance(auto[key], float) else (lambda v: f"{v:,}")
        lines.append(f"| {label} | {fmt(auto[key])} | {fmt(decided[key])} |")
    lines.append(f"| review queue | {len(result.reviews):,} pairs = {len(result.reviews) / len(records):.2%} of records "
                 f"({wrong_reviews:,} of them different companies) | |")
    evening = night(records, truth, args.night, args.seed)
    lines += ["", f"A night of {args.night:,} records onto the master the other {len(records) - args.night:,} made "
              f"({evening['master']:,} customers, {evening['compared']:,} of them sharing a blocking key with the night): "
              f"**matched in {evening['seconds']:.2f} s**; afterwards pairwise precision {evening['precision']:.4f}, "
              f"recall {evening['recall']:.4f}, F1 {evening['f1']:.4f}, {evening['reviews']:,} new review pairs."]
    append_result("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
