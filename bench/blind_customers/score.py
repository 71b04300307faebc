"""Score a warehouse's customer matching against the blind truth written by generate.py.

`score(inbox_truth, warehouse)`: pairwise precision / recall / F1 over log-row pairs (predicted same
iff same surviving customer_code; true same iff same company id), the review list as a share of
customers, the F1 once every review pair is decided by the truth, and the worst false merges and
false splits by name.
"""
from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import duckdb


def _c2(n: int) -> int:
    return n * (n - 1) // 2


def _prf(cells: Counter) -> tuple[float, float, float]:
    codes, comps = Counter(), Counter()
    for (code, cid), n in cells.items():
        codes[code] += n
        comps[cid] += n
    tp = sum(_c2(n) for n in cells.values())
    pred = sum(_c2(n) for n in codes.values())
    true = sum(_c2(n) for n in comps.values())
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _truth_files(path: Path) -> tuple[Path, Path]:
    path = Path(path)
    if path.is_file():
        return path, path.parent / "companies.csv"
    for folder in (path, path.parent):
        if (folder / "truth.csv").exists():
            return folder / "truth.csv", folder / "companies.csv"
    raise FileNotFoundError(f"no truth.csv at or beside {path}")


def _query(con, sql: str) -> list[tuple]:
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error:
        return []


def score(inbox_truth: Path, warehouse: Path, worst: int = 20) -> dict:
    truth_path, companies_path = _truth_files(inbox_truth)
    with open(truth_path, encoding="utf-8") as fh:
        truth = {(r["file"], int(r["row"])): r for r in csv.DictReader(fh)}
    companies = {}
    if companies_path.exists():
        with open(companies_path, encoding="utf-8") as fh:
            companies = {r["company_id"]: r for r in csv.DictReader(fh)}

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        acts = _query(con, "SELECT source_file, source_row, customer_code FROM activities")
        alias_rows = _query(con, "SELECT alias_code, customer_code FROM customer_aliases WHERE alias_code IS NOT NULL")
        review = _query(con, "SELECT left_code, right_code, left_name, right_name, score, reasons FROM customer_match_review")
        customers = dict(_query(con, "SELECT customer_code, name FROM customers"))
    finally:
        con.close()

    alias = {a: c for a, c in alias_rows if a != c}

    def resolve(code):
        seen = set()
        while code in alias and code not in seen:
            seen.add(code)
            code = alias[code]
        return code

    # join activities to the truth by (file name, Excel row)
    code_of: dict[tuple, str] = {}
    for f, row, code in acts:
        if f is None or row is None:
            continue
        code_of[(Path(str(f)).name, int(row))] = resolve(code)
    scored = {k: v for k, v in code_of.items() if k in truth}
    missing = Counter(truth[k]["kind"] for k in truth if k not in code_of)

    cells = Counter((code, truth[k]["company_id"]) for k, code in scored.items())
    p, r, f1 = _prf(cells)
    codes_used = {code for code, _ in cells}
    comps_used = {cid for _, cid in cells}

    # review pairs, decided by the truth: merge when the two codes' rows are mostly one company
    by_code: dict[str, Counter] = defaultdict(Counter)
    for (code, cid), n in cells.items():
        by_code[code][cid] += n
    major = {code: cnt.most_common(1)[0][0] for code, cnt in by_code.items()}
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    review_true = 0
    review_pairs = {tuple(sorted((resolve(a), resolve(b)))) for a, b, *_ in review}
    for a, b in review_pairs:
        if a in major and b in major and major[a] == major[b]:
            review_true += 1
            parent[find(a)] = find(b)
    after = Counter()
    for (code, cid), n in cells.items():
        after[(find(code), cid)] += n
    pa, ra, fa = _prf(after)

    def relation(a: str, b: str) -> str:
        ca, cb = companies.get(a, {}), companies.get(b, {})
        if ca.get("cluster") and ca.get("cluster") == cb.get("cluster"):
            rel = ca.get("relation", "?")
            if rel == "lookalike":
                mode = next((f for f in ca.get("flags", "").split(";") if f.startswith("lookalike:")), "")
                rel = mode or rel
            return rel
        if ca.get("relation") == cb.get("relation") == "school":
            return "school"  # the same school name in two districts, from two different pairs
        return "unrelated"

    def names_in(code, cid, k=3):
        c = Counter(truth[key]["written_name"] for key, cc in scored.items() if cc == code and truth[key]["company_id"] == cid)
        return [n for n, _ in c.most_common(k)]

    def canonical(cid):
        return companies.get(cid, {}).get("canonical", cid)

    # false merges: codes holding more than one company
    merges, merge_kinds = [], Counter()
    for code, cnt in by_code.items():
        if len(cnt) < 2:
            continue
        main = cnt.most_common(1)[0][0]
        for other, n in cnt.items():
            if other != main:
                merge_kinds[relation(main, other)] += n
        ids = sorted(cnt)
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                merges.append((cnt[a] * cnt[b], code, a, b))
    merges.sort(reverse=True)
    worst_merges = [{
        "pairs": w, "code": code, "relation": relation(a, b),
        "a": canonical(a), "a_written": names_in(code, a), "b": canonical(b), "b_written": names_in(code, b),
    } for w, code, a, b in merges[:worst]]

    # false splits: companies spread over more than one code
    by_comp: dict[str, Counter] = defaultdict(Counter)
    for (code, cid), n in cells.items():
        by_comp[cid][code] += n
    splits, split_kinds = [], Counter()
    for cid, cnt in by_comp.items():
        if len(cnt) < 2:
            continue
        main = cnt.most_common(1)[0][0]
        for key, code in scored.items():
            t = truth[key]
            if t["company_id"] == cid and code != main:
                split_kinds[t["kind"] + (f"/{t['evidence']}" if t["evidence"] else "")] += 1
        ids = sorted(cnt, key=lambda c: -cnt[c])
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                splits.append((cnt[a] * cnt[b], cid, a, b))
    splits.sort(reverse=True)

    def kinds_in(code, cid):
        return sorted({truth[k]["kind"] + (f"/{truth[k]['evidence']}" if truth[k]["evidence"] else "")
                       for k, cc in scored.items() if cc == code and truth[k]["company_id"] == cid})

    worst_splits = [{
        "pairs": w, "company": canonical(cid), "code_a": a, "a_written": names_in(a, cid),
        "code_b": b, "b_written": names_in(b, cid), "b_kinds": kinds_in(b, cid),
    } for w, cid, a, b in splits[:worst]]

    # what the review list holds: for a pair of one company, the spelling kinds of the smaller code's rows (what a
    # person is asked to join); for two companies, how they are related
    review_kinds = Counter()
    review_reasons = {tuple(sorted((resolve(a), resolve(b)))): (score_, reasons) for a, b, _, _, score_, reasons in review}
    review_list = []
    for a, b in review_pairs:
        if a not in major or b not in major:
            kind = "code without scored rows"
        elif major[a] == major[b]:
            small = min((a, b), key=lambda c: sum(by_code[c].values()))
            kind = "same company: " + "+".join(kinds_in(small, major[a]))
        else:
            kind = "two companies: " + relation(major[a], major[b])
        review_kinds[kind] += 1
        score_, reasons = review_reasons[(a, b)]
        review_list.append({"kind": kind, "score": score_, "reasons": reasons,
                            "a": names_in(a, major.get(a)), "b": names_in(b, major.get(b))})
    review_list.sort(key=lambda r: r["kind"])

    n_customers = len(customers) or len(codes_used)
    return {
        "review_by_kind": dict(review_kinds.most_common()), "review_list": review_list,
        "rows_truth": len(truth), "rows_scored": len(scored), "rows_missing": sum(missing.values()),
        "missing_by_kind": dict(missing.most_common()),
        "true_companies": len(comps_used), "codes": len(codes_used), "customers": n_customers,
        "precision": p, "recall": r, "f1": f1,
        "review_pairs": len(review_pairs), "review_true": review_true,
        "review_share": len(review_pairs) / n_customers if n_customers else 0.0,
        "precision_after_review": pa, "recall_after_review": ra, "f1_after_review": fa,
        "false_split_rows_by_kind": dict(split_kinds.most_common()),
        "false_merge_rows_by_relation": dict(merge_kinds.most_common()),
        "worst_merges": worst_merges, "worst_splits": worst_splits,
    }


def format_details(result: dict, top: int = 20) -> str:
    out = []
    if result["rows_missing"]:
        out.append(f"rows not in activities (rejected?): {result['rows_missing']} {result['missing_by_kind']}")
    out.append("false-split rows by spelling kind: " + ", ".join(
        f"{k} {v}" for k, v in result["false_split_rows_by_kind"].items()))
    out.append("false-merge rows by relation: " + ", ".join(
        f"{k} {v}" for k, v in result["false_merge_rows_by_relation"].items()))
    out.append("review pairs by kind: " + ", ".join(f"{k} {v}" for k, v in result.get("review_by_kind", {}).items()))
    out.append("review list (kind, score, names of either code, reasons):")
    for r in result.get("review_list", []):
        out.append(f"  [{r['kind']}] {r['score']:.2f} {r['a']} | {r['b']}  — {r['reasons']}")
    out.append(f"worst false merges (row pairs, code, relation):")
    for m in result["worst_merges"][:top]:
        out.append(f"  {m['pairs']:5d} {m['code']} [{m['relation']}] {m['a']} {m['a_written']}  +  {m['b']} {m['b_written']}")
    out.append(f"worst false splits (row pairs, company: code A names | code B names, kinds):")
    for s in result["worst_splits"][:top]:
        out.append(f"  {s['pairs']:5d} {s['company']}: {s['code_a']} {s['a_written']} | {s['code_b']} {s['b_written']} {s['b_kinds']}")
    return "\n".join(out)


if __name__ == "__main__":  # python -m bench.blind_customers.score TRUTH WAREHOUSE
    import json
    import sys

    res = score(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({k: v for k, v in res.items() if not k.startswith("worst")}, ensure_ascii=False, indent=1))
    print(format_details(res))
