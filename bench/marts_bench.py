"""How fast the marts answer on a year of a large team's data.

    .venv/bin/python -m bench.marts_bench [--salespeople 60] [--days 250] [--rows 80]

The year is written straight into a DuckDB file with SQL (no workbooks: this measures the marts,
not ingest), with the shapes ingest produces: log rows, BC registrations, orders, rejects, targets,
ratings and inspections. Each query is timed as the median of 5 runs.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import datetime as dt

from bench.ingest_bench import append_result, machine, timed
from salespipe.config import load_config
from salespipe.transforms import build_marts
from salespipe.warehouse import connect, run

QUERIES = {
    "daily report (one day)": "select * from mart_activity_daily where activity_date = date '2026-06-15'",
    "weekly report (one week)": "select * from mart_activity_weekly where week_start = date '2026-06-15'",
    "monthly report (one month)": "select * from mart_activity_monthly where month = date '2026-06-01'",
    "whole year, daily mart": "select count(*), sum(calls) from mart_activity_daily",
    "monthly scores (one month)": "select * from mart_scores_monthly where month = date '2026-06-01'",
    "quarterly scores (all)": "select * from mart_scores_quarterly",
    "overdue receivables": "select * from receivables_overdue(date '2026-12-31')",
}


def fill(con, salespeople: int, days: int, rows: int) -> int:
    """A year (Mon-Fri from 2026-01-05) of `salespeople` × `days` × `rows` log rows, and the rest."""
    customers = salespeople * 500
    run(con, f"""insert into salespeople (salesperson_id, name, role, status, hired_on, capacity)
        select printf('S%03d', i), '业务员' || i, 'CC', '在职', date '2025-01-01', 60 from range({salespeople}) t(i)""")
    run(con, f"""create temp table workdays as
        select d::date as d from range(date '2026-01-05', date '2027-01-05', interval 1 day) t(d)
        where dayofweek(d) between 1 and 5 limit {days}""")
    run(con, f"""insert into activities (activity_date, salesperson_id, customer_code, customer_name, method,
                                         customer_class, result, stage, source_file, source_sheet, source_row)
        select w.d, printf('S%03d', s.i), printf('KH%06d', (s.i * 500 + (hash(w.d, s.i, r.j) % 500)) + 1), '客户',
               ['电话', '电话', '电话', 'E-mail', '面访', '传真'][(1 + hash(r.j, w.d) % 6)::bigint],
               ['A', 'A1', 'B', 'B1', 'C'][(1 + hash(s.i, r.j) % 5)::bigint],
               case when hash(w.d, r.j, 7) % 50 = 0 then '签单' when hash(w.d, r.j, 9) % 33 = 0 then '丢单'
                    else '继续跟进' end,
               1 + hash(r.j) % 7, 'f.xlsx', 's', r.j
        from workdays w, range({salespeople}) s(i), range({rows}) r(j)""")
    run(con, f"""insert into customers (customer_code, name, name_key, contact, phone, owner_id, first_seen, created_by)
        select printf('KH%06d', i + 1), '客户' || i, 'k' || i, '联系人', '13800000000',
               printf('S%03d', i // 500), date '2026-01-05' + to_days((i % {days})::integer), printf('S%03d', i // 500)
        from range({customers}) t(i)""")
    run(con, """insert into orders (order_date, salesperson_id, customer_code, business_type, amount, cost,
                                    gross_profit, paid, due_date)
        select activity_date, salesperson_id, customer_code, '企业内训', 10000, 6000, 4000, 5000,
               activity_date + interval 30 day
        from activities where result = '签单'""")
    run(con, """insert into bc_registrations (register_date, salesperson_id, customer_code, customer_class)
        select activity_date, salesperson_id, customer_code, customer_class from activities
        where source_row % 40 = 0 and customer_class in ('B', 'B1', 'C')""")
    run(con, """insert into rejects (file, sheet, row_number, column_name, reason, salesperson_id, kind, row_date)
        select 'f.xlsx', 's', source_row + 1000, '联系电话', '联系电话没有填写（必填）', salesperson_id, 'log',
               activity_date
        from activities where source_row % 50 = 0""")
    run(con, """insert into targets (month, salesperson_id, revenue_target, per_customer_target)
        select distinct date_trunc('month', activity_date), salesperson_id, 200000, 20000 from activities""")
    run(con, """insert into quality_ratings (month, salesperson_id, duty_score, attitude_score, skill_score)
        select distinct date_trunc('month', activity_date), salesperson_id, 80, 85, 90 from activities""")
    run(con, """insert into inspections (inspect_date, salesperson_id, total_score)
        select activity_date, salesperson_id, 60 + hash(activity_date, salesperson_id) % 40
        from (select distinct activity_date, salesperson_id from activities) where dayofweek(activity_date) = 5""")
    return con.execute("select count(*) from activities").fetchall()[0][0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="marts_bench")
    parser.add_argument("--salespeople", type=int, default=60)
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--rows", type=int, default=80)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "year.duckdb")
        start = time.perf_counter()
        n = fill(con, args.salespeople, args.days, args.rows)
        filled = time.perf_counter() - start
        start = time.perf_counter()
        build_marts(con, load_config(), force=True)
        built = time.perf_counter() - start
        lines = [f"### {dt.date.today()} — marts on a year: {n:,} log rows ({args.salespeople} salespeople × "
                 f"{args.days} days × {args.rows} rows)", "", f"Machine: {machine()}", "",
                 f"Rows written with SQL in {filled:.1f} s; models built in {built:.2f} s.", "",
                 "| query | seconds (median of 5) |", "| --- | ---: |"]
        lines += [f"| {label} | {timed(lambda q=sql: len(con.execute(q).fetchall()), repeat=5)[0]:.3f} |"
                  for label, sql in QUERIES.items()]
        con.close()
    append_result("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
