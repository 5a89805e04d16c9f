"""The teacher's view of a class's members: per member, the streak, reviews and accuracy of
the last 7 and 30 days, the assignments done and late. Days are UTC days; the streak is
counted over the last 31 days at most. A few statements for the whole class, whatever its
size: the activity and review domains' reads of many learners, the library's finish times."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.people import Named
from langtutor.activity.days import streak
from langtutor.activity.figures import active_days
from langtutor.classes.models import ClassAssignment, ClassMember
from langtutor.classes.schemas import MemberProgress
from langtutor.classes.views import is_late
from langtutor.db import Database
from langtutor.library import service as library
from langtutor.review.figures import ReviewTally, review_tallies

# The streak is looked for over this many days (today included).
STREAK_DAYS = 31
WEEK, MONTH = 7, 30


@dataclass
class _Tally:
    reviews_7d: int = 0
    good_7d: int = 0
    reviews_30d: int = 0
    good_30d: int = 0


async def study_figures(
    db: Database, *, user_ids: Sequence[int], today: date
) -> tuple[dict[int, set[date]], dict[int, _Tally]]:
    """Each member's active days of the streak's window and their review tallies: the
    activity and the review reads at once, each on a connection of its own, each one row per
    member."""

    def start(days_back: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_back - 1), time(), UTC)

    async def active() -> dict[int, set[date]]:
        async with db.connection() as connection:
            return await active_days(connection, user_ids=user_ids, since=start(STREAK_DAYS))

    async def reviewed() -> list[ReviewTally]:
        async with db.connection() as connection:
            return await review_tallies(
                connection,
                user_ids=user_ids,
                since=start(STREAK_DAYS),
                week=today - timedelta(days=WEEK - 1),
                month=today - timedelta(days=MONTH - 1),
            )

    found, reviews = await asyncio.gather(active(), reviewed())
    days = {user_id: found.get(user_id, set()) for user_id in user_ids}
    tallies = {user_id: _Tally() for user_id in user_ids}
    for row in reviews:
        days[row.user_id] |= row.days
        tallies[row.user_id] = _Tally(
            row.reviews_week, row.good_week, row.reviews_month, row.good_month
        )
    return days, tallies


async def finish_times(session: AsyncSession, copies: Sequence[Any]) -> dict[int, datetime | None]:
    ids = [copy.saved_content_id for copy in copies if copy.saved_content_id is not None]
    return await library.finish_times(session=session, saved_content_ids=ids)


def _share(good: int, total: int) -> float | None:
    return round(good / total, 3) if total else None


def member_rows(
    *,
    members: Sequence[ClassMember],
    names: Mapping[int, Named],
    days: Mapping[int, set[date]],
    tallies: Mapping[int, _Tally],
    assignments: Sequence[ClassAssignment],
    copies: Sequence[Any],
    finished: Mapping[int, datetime | None],
    today: date,
) -> list[MemberProgress]:
    due = {a.assignment_id: a.due_date for a in assignments}
    counts: dict[int, list[int]] = {m.user_id: [0, 0, 0] for m in members}
    for assignment_id, user_id, saved_content_id in copies:
        if user_id not in counts or assignment_id not in due:
            continue
        finished_at = finished.get(saved_content_id) if saved_content_id else None
        count = counts[user_id]
        count[0] += 1
        count[1] += finished_at is not None
        count[2] += is_late(due[assignment_id], finished_at, today)
    rows = []
    for m in members:
        tally, count = tallies[m.user_id], counts[m.user_id]
        rows.append(
            MemberProgress(
                user_id=m.user_id,
                username=names[m.user_id].username if m.user_id in names else "",
                joined_at=m.joined_at,
                streak_days=streak(days[m.user_id], today),
                reviews_7d=tally.reviews_7d,
                reviews_30d=tally.reviews_30d,
                accuracy_7d=_share(tally.good_7d, tally.reviews_7d),
                accuracy_30d=_share(tally.good_30d, tally.reviews_30d),
                assignments=count[0],
                assignments_done=count[1],
                assignments_late=count[2],
            )
        )
    return rows
