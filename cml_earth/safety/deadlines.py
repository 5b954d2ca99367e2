"""Reporting deadlines of side-effect cases: calendar days in the safety team's time zone.

Pure functions, no database and no request. Day zero is the calendar date, in the company's
safety time zone, on which someone working for the company first saw the case. A serious case
must reach the authorities within 15 calendar days of day zero, a non-serious one within 90
(EU, GVP Module VI). Until staff decide, a case counts as serious: the shorter clock is the
safe one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SERIOUS_DAYS = 15
NON_SERIOUS_DAYS = 90


def day_zero(seen_at: datetime | None, zone: str) -> date | None:
    """The calendar date of ``seen_at`` in ``zone``; None for a case nobody has opened yet."""
    if seen_at is None:
        return None
    if seen_at.tzinfo is None:
        raise ValueError("naive datetimes have no day zero; pass an aware UTC time")
    return seen_at.astimezone(ZoneInfo(zone)).date()


def days_allowed(seriousness: str | None) -> int:
    """15 calendar days for serious cases and for those not yet assessed, 90 for the rest."""
    return NON_SERIOUS_DAYS if seriousness == "non_serious" else SERIOUS_DAYS


def deadline(first_day: date | None, seriousness: str | None) -> date | None:
    """The last day to report: day zero plus the days allowed."""
    if first_day is None:
        return None
    return first_day + timedelta(days=days_allowed(seriousness))


def today(zone: str, now: datetime | None = None) -> date:
    """Today's date in ``zone`` (``now`` defaults to the current time)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(zone)).date()


def days_left(due: date | None, on: date) -> int | None:
    """Calendar days from ``on`` to ``due``: 0 on the last day, negative once overdue."""
    if due is None:
        return None
    return (due - on).days


@dataclass(frozen=True)
class Clock:
    """Where a case stands against its deadline."""

    day_zero: date | None
    deadline: date | None
    days_left: int | None
    assumed_serious: bool  # seriousness not decided yet, so the 15-day clock runs

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def clock(
    seen_at: datetime | None, seriousness: str | None, zone: str, now: datetime | None = None
) -> Clock:
    """Day zero, deadline and days left of a case first seen at ``seen_at``."""
    first_day = day_zero(seen_at, zone)
    due = deadline(first_day, seriousness)
    return Clock(
        day_zero=first_day,
        deadline=due,
        days_left=days_left(due, today(zone, now)),
        assumed_serious=seriousness is None,
    )
