"""The reviews of many learners at once (a class's teacher's view): per learner and UTC day
since a time, the reviews and those not rated Again."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.db import among, as_date, utc_day
from langtutor.review.models import ReviewLog

AGAIN = 1


@dataclass(frozen=True, slots=True)
class ReviewDay:
    user_id: int
    day: date
    reviews: int
    not_again: int


async def review_days(
    connection: AsyncConnection, *, user_ids: Collection[int], since: datetime
) -> list[ReviewDay]:
    """Each learner's reviews per UTC day since `since` (index: user_id, reviewed_at)."""
    if not user_ids:
        return []
    day = utc_day(ReviewLog.reviewed_at, connection.dialect.name)
    statement = (
        select(
            ReviewLog.user_id,
            day,
            func.count(),
            func.sum(case((ReviewLog.rating == AGAIN, 0), else_=1)),
        )
        .where(
            among(ReviewLog.user_id, user_ids, connection.dialect.name),
            ReviewLog.reviewed_at >= since,
        )
        .group_by(ReviewLog.user_id, day)
    )
    return [
        ReviewDay(int(user_id), as_date(value), int(count), int(good or 0))
        for user_id, value, count, good in await connection.execute(statement)
    ]
