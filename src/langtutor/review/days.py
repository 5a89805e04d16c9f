"""A learner's days: they roll over at 4 a.m. in the learner's time zone, as in Anki, so that
a late-night session counts for the day it belongs to."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_STARTS_AT = time(4)


def day_of(moment: datetime, zone: ZoneInfo) -> date:
    """The learner's day of a moment: before 4 a.m. local time it is still yesterday."""
    return (moment.astimezone(zone) - timedelta(hours=DAY_STARTS_AT.hour)).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """When a learner's day begins: 4 a.m. local time (any offset, half hours included)."""
    return datetime.combine(day, DAY_STARTS_AT, zone)
