"""Daily cron schedules: time of day, hours up per day, next firing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from provisioning.schedule import daily_minute, hours_per_day, hours_up, next_fire


@pytest.mark.parametrize(("cron", "minute"), [("0 12 * * *", 720), ("30 7 * * *", 450), ("59 23 * * *", 1439)])
def test_daily_minute(cron: str, minute: int) -> None:
    assert daily_minute(cron) == minute


@pytest.mark.parametrize("cron", ["0 12 * * 1-5", "*/5 * * * *", "0 24 * * *", "60 1 * * *", "0 12 * *", "a b * * *"])
def test_anything_but_a_fixed_daily_time_is_refused(cron: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        daily_minute(cron)


def test_hours_up_wraps_past_midnight() -> None:
    assert hours_up("0 12 * * *", "0 17 * * *") == 5
    assert hours_up("0 22 * * *", "30 2 * * *") == 4.5


def test_hours_per_day_adds_up_the_periods_and_ignores_overlaps() -> None:
    assert hours_per_day(["0 12 * * *"], ["0 17 * * *"]) == 5
    assert hours_per_day(["0 6 * * *", "0 18 * * *"], ["0 8 * * *", "0 20 * * *"]) == 4
    assert hours_per_day(["0 12 * * *", "0 13 * * *"], ["0 17 * * *"]) == 5
    assert hours_per_day(["0 12 * * *"], []) == 24
    assert hours_per_day([], ["0 17 * * *"]) == 0


def test_next_fire_is_later_today_or_tomorrow() -> None:
    now = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
    assert next_fire("0 17 * * *", now) == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    assert next_fire("0 12 * * *", now) == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
