"""The activity of many learners at once (a class's teacher's view): the UTC days each was
active on since a time, from the live entries a day's summary counts and the archived days."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.activity.days import SUMMED_EVENTS
from langtutor.activity.models import ActivityDay, ActivityLog
from langtutor.db import among, as_date, utc_day


async def active_days(
    connection: AsyncConnection, *, user_ids: Collection[int], since: datetime
) -> set[tuple[int, date]]:
    """(user_id, UTC day) of each day since `since` with an output, an answer or a study
    (index: user_id, timestamp), and each archived day (its day as archived) from then on."""
    if not user_ids:
        return set()
    day = utc_day(ActivityLog.timestamp, connection.dialect.name)
    live = (
        select(ActivityLog.user_id, day)
        .where(
            among(ActivityLog.user_id, user_ids, connection.dialect.name),
            ActivityLog.timestamp >= since,
            or_(*(ActivityLog.event == event for event in SUMMED_EVENTS)),
        )
        .group_by(ActivityLog.user_id, day)
    )
    archived = select(ActivityDay.user_id, ActivityDay.day).where(
        among(ActivityDay.user_id, user_ids, connection.dialect.name),
        ActivityDay.day >= since.date(),
    )
    found = set()
    for statement in (live, archived):
        for user_id, value in await connection.execute(statement):
            found.add((int(user_id), as_date(value)))
    return found
