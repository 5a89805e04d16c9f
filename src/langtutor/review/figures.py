"""The reviews of many learners at once (a class's teacher's view): per learner, the UTC
days with a review since a time, and the reviews and those not rated Again since two times.
One row per learner, summed by the database."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.db import among, as_dates, day_list, utc_day
from langtutor.review.models import ReviewLog

AGAIN = 1


@dataclass(frozen=True, slots=True)
class ReviewTally:
    user_id: int
    days: set[date]
    reviews_week: int
    good_week: int
    reviews_month: int
    good_month: int


async def review_tallies(
    connection: AsyncConnection,
    *,
    user_ids: Collection[int],
    since: datetime,
    week: date,
    month: date,
) -> list[ReviewTally]:
    """Per learner with reviews since `since` (index: user_id, reviewed_at): the UTC days
    they reviewed on, their reviews on the UTC days from `week` and from `month`, and of
    those the ones not rated Again."""
    if not user_ids:
        return []
    dialect = connection.dialect.name
    at, good = ReviewLog.reviewed_at, ReviewLog.rating != AGAIN

    day = utc_day(at, dialect).label("day")
    # Per learner and day first (a hash of a few thousand groups), then per learner.
    days = (
        select(
            ReviewLog.user_id,
            day,
            func.count().label("reviews"),
            func.sum(case((good, 1), else_=0)).label("good"),
        )
        .where(among(ReviewLog.user_id, user_ids, dialect), at >= since)
        .group_by(ReviewLog.user_id, day)
        .subquery()
    )

    def since_day(start: date, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.sum(case((days.c.day >= start, column), else_=0))

    statement = select(
        days.c.user_id,
        day_list(days.c.day, dialect),
        since_day(week, days.c.reviews),
        since_day(week, days.c.good),
        since_day(month, days.c.reviews),
        since_day(month, days.c.good),
    ).group_by(days.c.user_id)
    return [
        ReviewTally(int(user_id), as_dates(found), *(int(n or 0) for n in counts))
        for user_id, found, *counts in await connection.execute(statement)
    ]
