"""Data checks run before anything is sent: a failure stops the sending, loudly."""
from __future__ import annotations

import datetime as dt

from salespipe.errors import SalespipeError
from salespipe.warehouse import connect, rows

CHECKS = [
    ("每条日志都有存在的客户编码 / every log row has a known customer code", """
        select count(*) from activities a
        where a.customer_code is null or a.customer_code not in (
            select customer_code from customers union all select alias_code from customer_aliases
            where alias_code is not null)"""),
    ("客户编码不重复 / customer codes are unique", """
        select count(*) from (select customer_code from customers group by 1 having count(*) > 1)"""),
    ("每条日志的业务员都在名册中 / every log row's salesperson is in the roster", """
        select count(*) from activities where salesperson_id not in (select salesperson_id from salespeople)"""),
    ("跟单号不重复 / follow-up numbers are unique", """
        select count(*) from (select followup_no from followups group by 1 having count(*) > 1)"""),
    ("全组合计等于各人之和 / team calls equal the sum of the salespeople's", """
        select count(*) from (
            select activity_date, sum(calls) filter (where salesperson_id is not null) as people,
                   sum(calls) filter (where salesperson_id is null) as team
            from mart_activity_daily where activity_date between ? and ? group by 1)
        where people <> team"""),
]


class DataCheckFailed(SalespipeError):
    """At least one check failed; nothing may be sent."""


def run_checks(warehouse, day: dt.date) -> list[str]:
    """Names of the failed checks (empty when all pass)."""
    con = connect(warehouse, read_only=True)
    try:
        failed = []
        for name, sql in CHECKS:
            params = [day - dt.timedelta(days=31), day] if "?" in sql else []
            if rows(con, sql, params)[0][0]:
                failed.append(name)
        return failed
    finally:
        con.close()


def require_checks(warehouse, day: dt.date) -> None:
    failed = run_checks(warehouse, day)
    if failed:
        raise DataCheckFailed("数据检查未通过，报告未发送：" + "；".join(f.split(" / ")[0] for f in failed),
                              "data checks failed, nothing sent: " + "; ".join(f.split(" / ")[1] for f in failed))
