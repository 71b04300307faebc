"""Which evening gets which report: China's official calendar (国庆/春节 off, 调休 Saturdays on).

chinese-calendar knows the State Council's holiday arrangements up to the year its data covers; the
[calendar] section of the configuration adds or overrides days (and covers later years until the
package is updated). Without data for a year, Monday to Friday are workdays.
"""
from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar

log = logging.getLogger(__name__)


def _dates(values) -> set[dt.date]:
    return {dt.date.fromisoformat(str(v)) for v in values or []}


def is_workday(day: dt.date, config_raw: dict | None = None) -> bool:
    calendar = (config_raw or {}).get("calendar", {})
    if day in _dates(calendar.get("workdays")):
        return True
    if day in _dates(calendar.get("holidays")):
        return False
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("chinese-calendar has no data for %s: Monday to Friday are taken as workdays", day.year)
        return day.weekday() < 5


def last_workday_of_week(day: dt.date, config_raw: dict | None = None) -> dt.date | None:
    monday = day - dt.timedelta(days=day.weekday())
    workdays = [d for d in (monday + dt.timedelta(days=n) for n in range(7)) if is_workday(d, config_raw)]
    return workdays[-1] if workdays else None


def last_day_of_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def reports_due(day: dt.date, config_raw: dict | None = None) -> dict[str, bool]:
    """daily on workdays; weekly on the week's last workday; monthly on the month's last day."""
    return {"daily": is_workday(day, config_raw), "weekly": day == last_workday_of_week(day, config_raw),
            "monthly": day == last_day_of_month(day)}


def next_workday(day: dt.date, config_raw: dict | None = None) -> dt.date:
    """The first workday after `day` (a Friday → the Monday; the day before 国庆 → the first day after it,
    or a 调休 Saturday in between). Raises ValueError when none comes within 60 days (a calendar error)."""
    for n in range(1, 61):
        candidate = day + dt.timedelta(days=n)
        if is_workday(candidate, config_raw):
            return candidate
    raise ValueError(f"no workday within 60 days after {day}")


def previous_workday(day: dt.date, config_raw: dict | None = None) -> dt.date:
    """The last workday before `day` (a Monday → the Friday, or a 调休 Saturday; the first day after 国庆 → the
    last workday before it). Raises ValueError when none comes within 60 days (a calendar error)."""
    for n in range(1, 61):
        candidate = day - dt.timedelta(days=n)
        if is_workday(candidate, config_raw):
            return candidate
    raise ValueError(f"no workday within 60 days before {day}")


def workdays_between(first: dt.date, last: dt.date, config_raw: dict | None = None) -> list[dt.date]:
    """The workdays from `first` to `last`, both included, in order."""
    return [d for d in (first + dt.timedelta(days=n) for n in range((last - first).days + 1)) if is_workday(d, config_raw)]


def feedback_deadline(day: dt.date, config_raw: dict | None = None) -> dt.datetime:
    """When the rows rejected from `day`'s sheets must be corrected: the next workday at [feedback]
    deadline (default 09:00, the handbook's 客户信息管理员工作手册: "before 9:00 next day"), in the
    configured time zone. Shape: an aware datetime."""
    from zoneinfo import ZoneInfo

    raw = config_raw or {}
    hour, minute = map(int, raw.get("feedback", {}).get("deadline", "09:00").split(":"))
    zone = ZoneInfo(raw.get("ingest", {}).get("timezone", "Asia/Shanghai"))
    return dt.datetime.combine(next_workday(day, raw), dt.time(hour, minute), tzinfo=zone)
