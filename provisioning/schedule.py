"""Daily start/stop schedules as cron text: parse the time of day, add up the hours, find the next firing.

Only the form the profiles use is accepted: "M H * * *" (every day, one fixed minute and
hour, UTC). Anything else raises ValueError naming the expression, so a schedule that this
suite cannot add up is refused instead of being half-understood.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

MINUTES_PER_DAY = 24 * 60


def daily_minute(cron: str) -> int:
    """Return the minute of the day (0-1439, UTC) at which the daily cron expression fires."""
    fields = cron.split()
    if len(fields) != 5 or fields[2:] != ["*", "*", "*"]:
        raise ValueError(f"cron {cron!r}: expected a daily 'M H * * *' expression")
    minute, hour = fields[0], fields[1]
    if not (minute.isdigit() and hour.isdigit()):
        raise ValueError(f"cron {cron!r}: minute and hour must be single numbers")
    m, h = int(minute), int(hour)
    if not (0 <= m <= 59 and 0 <= h <= 23):
        raise ValueError(f"cron {cron!r}: minute must be 0-59 and hour 0-23")
    return h * 60 + m


def hours_up(start: str, stop: str) -> float:
    """Hours per day between a daily start and the next daily stop (a stop before the start wraps)."""
    span = (daily_minute(stop) - daily_minute(start)) % MINUTES_PER_DAY
    return span / 60


def hours_per_day(starts: Iterable[str], stops: Iterable[str]) -> float:
    """Hours per day the group is up: each start counts until the first stop after it.

    Starts that fall inside an up period (a second start before the stop) add nothing;
    a start with no stop at all means always up (24).
    """
    stop_minutes = sorted({daily_minute(s) for s in stops})
    start_minutes = sorted({daily_minute(s) for s in starts})
    if not start_minutes:
        return 0.0
    if not stop_minutes:
        return 24.0
    up: set[int] = set()
    for begin in start_minutes:
        end = min(stop_minutes, key=lambda s: (s - begin) % MINUTES_PER_DAY)
        span = (end - begin) % MINUTES_PER_DAY
        up.update((begin + i) % MINUTES_PER_DAY for i in range(span))
    return len(up) / 60


def next_fire(cron: str, now: datetime) -> datetime:
    """The next time (UTC, same tzinfo as now) the daily cron expression fires after now."""
    minute = daily_minute(cron)
    today = now.replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)
