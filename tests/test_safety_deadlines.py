"""Reporting deadlines of side-effect cases: calendar days in the safety team's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cml_earth.safety import deadlines

STOCKHOLM = "Europe/Stockholm"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    "first_day, seriousness, due",
    [
        (date(2026, 1, 31), "serious", date(2026, 2, 15)),  # across a month end
        (date(2026, 1, 31), None, date(2026, 2, 15)),  # not decided yet: counts as serious
        (date(2026, 1, 31), "non_serious", date(2026, 5, 1)),
        (date(2028, 2, 20), "serious", date(2028, 3, 6)),  # February of a leap year: 29 days
        (date(2027, 2, 20), "serious", date(2027, 3, 7)),  # ... and of a common year: 28
        (date(2028, 2, 1), "non_serious", date(2028, 5, 1)),
        (date(2027, 2, 1), "non_serious", date(2027, 5, 2)),
        (date(2026, 12, 20), "serious", date(2027, 1, 4)),  # across the new year
        (date(2026, 12, 20), "non_serious", date(2027, 3, 20)),
    ],
)
def test_the_deadline_counts_calendar_days(first_day, seriousness, due):
    assert deadlines.deadline(first_day, seriousness) == due


def test_serious_is_15_days_and_non_serious_90():
    assert deadlines.days_allowed("serious") == 15
    assert deadlines.days_allowed(None) == 15
    assert deadlines.days_allowed("non_serious") == 90


@pytest.mark.parametrize(
    "seen_at, expected",
    [
        (utc(2026, 1, 31, 22, 59), date(2026, 1, 31)),  # 23:59 in Stockholm (CET, UTC+1)
        (utc(2026, 1, 31, 23, 30), date(2026, 2, 1)),  # 00:30 the next day in Stockholm
        (utc(2026, 7, 1, 21, 30), date(2026, 7, 1)),  # 23:30 in summer (CEST, UTC+2)
        (utc(2026, 7, 1, 22, 30), date(2026, 7, 2)),  # 00:30 the next day in summer
        # Clocks go forward on 29 March 2026 at 01:00 UTC.
        (utc(2026, 3, 28, 23, 30), date(2026, 3, 29)),  # still winter time: 00:30
        (utc(2026, 3, 29, 21, 59), date(2026, 3, 29)),  # summer time already: 23:59
        (utc(2026, 3, 29, 22, 30), date(2026, 3, 30)),
        # Clocks go back on 25 October 2026 at 01:00 UTC.
        (utc(2026, 10, 24, 22, 30), date(2026, 10, 25)),  # summer time: 00:30
        (utc(2026, 10, 25, 22, 30), date(2026, 10, 25)),  # winter time again: 23:30
        (utc(2026, 10, 25, 23, 0), date(2026, 10, 26)),
        (utc(2026, 12, 31, 23, 30), date(2027, 1, 1)),  # a new year in Stockholm first
    ],
)
def test_day_zero_is_the_date_in_the_safety_time_zone(seen_at, expected):
    assert deadlines.day_zero(seen_at, STOCKHOLM) == expected


def test_day_zero_follows_the_configured_zone():
    seen_at = utc(2026, 1, 31, 23, 30)
    assert deadlines.day_zero(seen_at, "UTC") == date(2026, 1, 31)
    assert deadlines.day_zero(seen_at, "America/New_York") == date(2026, 1, 31)
    assert deadlines.day_zero(utc(2026, 2, 1, 4, 0), "America/New_York") == date(2026, 1, 31)
    assert deadlines.day_zero(seen_at, "Asia/Tokyo") == date(2026, 2, 1)


def test_a_case_never_opened_has_no_day_zero_and_no_deadline():
    assert deadlines.day_zero(None, STOCKHOLM) is None
    assert deadlines.deadline(None, "serious") is None
    clock = deadlines.clock(None, None, STOCKHOLM, now=utc(2026, 3, 1, 12))
    assert clock.day_zero is None
    assert clock.deadline is None
    assert clock.days_left is None
    assert not clock.overdue
    assert clock.assumed_serious


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        deadlines.day_zero(datetime(2026, 1, 1, 12), STOCKHOLM)


@pytest.mark.parametrize(
    "now, days_left, overdue",
    [
        (utc(2026, 1, 31, 12), 15, False),  # day zero itself
        (utc(2026, 2, 14, 12), 1, False),
        (utc(2026, 2, 15, 22, 59), 0, False),  # the last day, until midnight in Stockholm
        (utc(2026, 2, 15, 23, 1), -1, True),  # 00:01 on 16 February in Stockholm
        (utc(2026, 3, 1, 12), -14, True),
    ],
)
def test_days_left_counts_down_in_the_safety_time_zone(now, days_left, overdue):
    clock = deadlines.clock(utc(2026, 1, 31, 10), "serious", STOCKHOLM, now=now)
    assert clock.day_zero == date(2026, 1, 31)
    assert clock.deadline == date(2026, 2, 15)
    assert clock.days_left == days_left
    assert clock.overdue is overdue
    assert not clock.assumed_serious


def test_a_non_serious_case_has_90_days():
    clock = deadlines.clock(utc(2026, 12, 20, 10), "non_serious", STOCKHOLM, now=utc(2027, 1, 4))
    assert clock.deadline == date(2027, 3, 20)
    assert clock.days_left == 75


def test_today_is_the_date_in_the_zone():
    assert deadlines.today(STOCKHOLM, utc(2026, 6, 30, 22, 30)) == date(2026, 7, 1)
    assert deadlines.today("UTC", utc(2026, 6, 30, 22, 30)) == date(2026, 6, 30)
    assert deadlines.days_left(date(2026, 7, 1), date(2026, 7, 3)) == -2
    assert deadlines.days_left(None, date(2026, 7, 3)) is None


def test_the_safety_time_zone_is_configured(app):
    assert app.config["SAFETY_TIMEZONE"] == "Europe/Stockholm"
