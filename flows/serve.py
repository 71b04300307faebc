"""`salespipe serve`: the three deployments with their schedules, served from this process."""
from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.monthly import monthly
from flows.nightly import nightly
from flows.weekly import weekly

TIMEZONE = "Asia/Shanghai"
# The schedules fire every evening and the flows decide (调休 Saturdays, holidays, the week's last workday).
DEPLOYMENTS = [
    (nightly, "nightly", "0 18 * * *"),
    (weekly, "weekly", "30 18 * * *"),
    (monthly, "monthly", "0 19 L * *"),
]


def deployments():
    return [f.to_deployment(name=name, schedules=[Cron(cron, timezone=TIMEZONE)], concurrency_limit=1,
                            description=f.__doc__) for f, name, cron in DEPLOYMENTS]


def main() -> None:
    serve(*deployments())
