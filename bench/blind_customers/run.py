"""Run the blind customer-matching benchmark: generate, ingest with the real CLI, score.

    python -m bench.blind_customers.run --seeds 1 2 3 4 --companies 600

Seed 1 is the tuning seed; report seeds 2-4. Everything is written to a temporary folder (its own
config copy points inbox/archive/rejected/reports there), nothing lands in data/.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .generate import generate
from .score import format_details, score

ROOT = Path(__file__).resolve().parents[2]
SALESPIPE = ROOT / ".venv" / "bin" / "salespipe"


def temp_config(tmp: Path) -> Path:
    text = (ROOT / "config" / "salespipe.toml").read_text(encoding="utf-8")
    paths = {"inbox": tmp / "inbox", "archive": tmp / "archive", "rejected": tmp / "rejected",
             "reports": tmp / "reports", "demo": tmp / "demo", "warehouse": tmp / "w.duckdb"}
    for key, value in paths.items():
        text, n = re.subn(rf'(?m)^{key}\s*=\s*"[^"]*"', f'{key} = "{value.as_posix()}"', text, count=1)
        if not n:
            raise SystemExit(f"config has no [paths] {key}")
    cfg = tmp / "config" / "salespipe.toml"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(text, encoding="utf-8")
    return cfg


def nights(inbox: Path) -> list[Path]:
    """The inbox split into one folder per working day, as the nightly flow sees it: each evening's sheets are
    one run, matched against the customers of the evenings before (the roster goes with the first)."""
    days: dict[str, list[Path]] = {}
    for path in sorted(inbox.iterdir()):
        found = re.search(r"_(\d{8})\.", path.name)
        days.setdefault(found[1] if found else "", []).append(path)
    first = days.pop("", [])
    folders = []
    for i, day in enumerate(sorted(days)):
        folder = inbox.parent / "nights" / day
        folder.mkdir(parents=True)
        for path in days[day] + (first if i == 0 else []):
            path.rename(folder / path.name)
        folders.append(folder)
    return folders


def run_seed(seed: int, companies: int, keep: bool = False, nightly: bool = False) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"blind_customers_{seed}_"))
    try:
        inbox = generate(seed, companies, tmp)
        cfg = temp_config(tmp)
        warehouse = tmp / "w.duckdb"
        env = dict(os.environ, DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false",
                   SALESPIPE_WAREHOUSE=str(warehouse))
        t0 = time.perf_counter()
        for folder in nights(inbox) if nightly else [inbox]:
            cmd = [str(SALESPIPE), "ingest", str(folder), "--warehouse", str(warehouse), "--config", str(cfg)]
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
            with open(tmp / "ingest.log", "a", encoding="utf-8") as log:
                log.write(f"=== {folder.name}\n" + proc.stdout + "\n--- stderr ---\n" + proc.stderr)
            if proc.returncode != 0:
                raise RuntimeError(f"seed {seed}: ingest of {folder.name} failed ({proc.returncode}), see "
                                   f"{tmp / 'ingest.log'}:\n" + proc.stderr[-2000:])
        seconds = time.perf_counter() - t0
        result = score(tmp / "truth.csv", warehouse)
        result.update(seed=seed, seconds=seconds, folder=str(tmp) if keep else "")
        return result
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


HEADER = (f"{'seed':>4} {'rows':>6} {'cos':>4} {'codes':>5} {'prec':>6} {'recall':>6} {'F1':>6} "
          f"{'review':>6} {'share':>6} {'F1 rev':>6} {'secs':>6}")


def line(r: dict) -> str:
    return (f"{r['seed']:>4} {r['rows_scored']:>6} {r['true_companies']:>4} {r['codes']:>5} "
            f"{r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f} {r['review_pairs']:>6} "
            f"{r['review_share']:>6.1%} {r['f1_after_review']:>6.3f} {r['seconds']:>6.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--companies", type=int, default=600)
    ap.add_argument("--details", action="store_true", help="print the commonest error kinds and the worst cases")
    ap.add_argument("--worst", type=int, default=20, help="how many worst merges/splits --details prints")
    ap.add_argument("--keep", action="store_true", help="keep each seed's temporary folder (inbox, warehouse, log)")
    ap.add_argument("--json", type=Path, help="write all results to this file")
    ap.add_argument("--nightly", action="store_true",
                    help="ingest each working day's sheets as its own run, as the nightly flow does (else one run)")
    args = ap.parse_args(argv)

    results = []
    print(HEADER, flush=True)
    for seed in args.seeds:
        r = run_seed(seed, args.companies, keep=args.keep, nightly=args.nightly)
        results.append(r)
        print(line(r) + ("  (tuning)" if seed == 1 else "") + (f"  {r['folder']}" if r["folder"] else ""), flush=True)
    rep = [r for r in results if r["seed"] != 1]
    if len(rep) > 1:
        mean = {k: sum(r[k] for r in rep) / len(rep) for k in
                ("precision", "recall", "f1", "review_share", "f1_after_review", "seconds")}
        print(f"{'mean':>4} {'':>6} {'':>4} {'':>5} {mean['precision']:>6.3f} {mean['recall']:>6.3f} "
              f"{mean['f1']:>6.3f} {'':>6} {mean['review_share']:>6.1%} {mean['f1_after_review']:>6.3f} "
              f"{mean['seconds']:>6.1f}  (seeds {' '.join(str(r['seed']) for r in rep)})")
    if args.details:
        for r in results:
            print(f"\n== seed {r['seed']}")
            print(format_details(r, args.worst))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
