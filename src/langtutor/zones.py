"""A learner's time zone, from one place for every route and page: streaks, the daily goal,
the review day and progress all count days in it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from langtutor.schemas import TIME_ZONES

UTC_ZONE = ZoneInfo("UTC")


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone of an IANA name the server knows; None for none or any other text (a name is
    looked up in the known set, never opened as a path)."""
    return ZoneInfo(name) if name and name in TIME_ZONES else None


def learner_zone(profile_zone: str | None, browser_zone: str | None = None) -> ZoneInfo:
    """The zone the learner set on their profile, else the one their browser reports (pages
    only: the API has no browser), else UTC."""
    return zone_named(profile_zone) or zone_named(browser_zone) or UTC_ZONE
