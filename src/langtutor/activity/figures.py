"""The activity of many learners at once (a class's teacher's view): the UTC days each was
active on since a time, from the live entries a day's summary counts and the archived days."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.activity.days import SUMMED_EVENTS
from langtutor.activity.models import ActivityDay, ActivityLog
from langtutor.db import among, as_dates, day_list, utc_day


async def active_days(
    connection: AsyncConnection, *, user_ids: Collection[int], since: datetime
) -> dict[int, set[date]]:
    """Per learner, the UTC days since `since` with an output, an answer or a study (index:
    user_id, timestamp), and each archived day (its day as archived) from then on: one row per
    learner from the database."""
    if not user_ids:
        return {}
    dialect = connection.dialect.name
    day = utc_day(ActivityLog.timestamp, dialect).label("day")
    # Per learner and day first (a hash of a few thousand groups), then per learner.
    live_days = (
        select(ActivityLog.user_id, day)
        .where(
            among(ActivityLog.user_id, user_ids, dialect),
            ActivityLog.timestamp >= since,
            or_(*(ActivityLog.event == event for event in SUMMED_EVENTS)),
        )
        .group_by(ActivityLog.user_id, day)
        .subquery()
    )
    live = select(live_days.c.user_id, day_list(live_days.c.day, dialect)).group_by(
        live_days.c.user_id
    )
    archived = (
        select(ActivityDay.user_id, day_list(ActivityDay.day, dialect))
        .where(among(ActivityDay.user_id, user_ids, dialect), ActivityDay.day >= since.date())
        .group_by(ActivityDay.user_id)
    )
    found: dict[int, set[date]] = {}
    for statement in (live, archived):
        for user_id, days in await connection.execute(statement):
            found.setdefault(int(user_id), set()).update(as_dates(days))
    return found
