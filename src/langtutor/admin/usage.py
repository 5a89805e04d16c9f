"""Usage from the activity log and the review log: learners active (anything logged, or a
review) per UTC day and per week, answers checked and reviews done per day. Generations and
model errors per day come from the model-health tallies (`health`), one count of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, and_, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.activity.models import ActivityLog
from langtutor.db import as_date, utc_day
from langtutor.enums import LogEvent
from langtutor.review.models import ReviewLog


@dataclass(frozen=True)
class DayUsage:
    """What a day's usage counts besides its generations."""

    active_learners: int = 0
    answers: int = 0
    reviews: int = 0


class DayModels(BaseModel):
    """A day's generations, model errors and latency, over every model."""

    generations: int
    model_errors: int
    latency_p50_ms: int | None
    latency_p95_ms: int | None


class DayFigures(BaseModel):
    date: date
    active_learners: int
    generations: int
    answers: int
    reviews: int
    model_errors: int
    latency_p50_ms: int | None
    latency_p95_ms: int | None


class WeekFigures(BaseModel):
    """A week from Monday (UTC); the first and last may be partly outside the period."""

    week_start: date
    active_learners: int


class Stats(BaseModel):
    """The last `days` UTC days, today included, the oldest first: learners active, model
    generations, answers checked, reviews, model errors and latency per day; learners active
    per week; the period's totals (of generations, answers, reviews, errors; latency over
    all its generations); the classes, memberships and assignments there are now."""

    days: int
    per_day: list[DayFigures]
    per_week: list[WeekFigures]
    generations: int
    answers: int
    reviews: int
    model_errors: int
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    computed_at: datetime
    # Classes as they are now (counts only: never who is in which).
    classes: int = 0
    class_members: int = 0
    class_assignments: int = 0


def _learners(dialect: str, start: datetime, end: datetime, by_day: bool) -> Select[Any]:
    """Who did anything in [start, end): an activity-log entry or a review."""
    logged = select(utc_day(ActivityLog.timestamp, dialect).label("day"), ActivityLog.user_id)
    logged = logged.where(and_(ActivityLog.timestamp >= start, ActivityLog.timestamp < end))
    reviewed = select(utc_day(ReviewLog.reviewed_at, dialect).label("day"), ReviewLog.user_id)
    reviewed = reviewed.where(and_(ReviewLog.reviewed_at >= start, ReviewLog.reviewed_at < end))
    both = union_all(logged, reviewed).subquery()
    learners = func.count(both.c.user_id.distinct())
    if by_day:
        return select(both.c.day, learners).group_by(both.c.day)
    return select(learners)


def _answers(dialect: str, start: datetime, end: datetime) -> Select[Any]:
    day = utc_day(ActivityLog.timestamp, dialect)
    return (
        select(day, func.count())
        .where(
            and_(ActivityLog.timestamp >= start, ActivityLog.timestamp < end),
            ActivityLog.event == LogEvent.answer.value,
        )
        .group_by(day)
    )


def _reviews(dialect: str, start: datetime, end: datetime) -> Select[Any]:
    day = utc_day(ReviewLog.reviewed_at, dialect)
    return (
        select(day, func.count())
        .where(and_(ReviewLog.reviewed_at >= start, ReviewLog.reviewed_at < end))
        .group_by(day)
    )


async def read_days(
    connection: AsyncConnection, dialect: str, start: datetime, end: datetime
) -> dict[date, DayUsage]:
    """Per UTC day of [start, end) with anything in it."""
    found: dict[date, dict[str, int]] = {}
    for name, query in (
        ("active_learners", _learners(dialect, start, end, by_day=True)),
        ("answers", _answers(dialect, start, end)),
        ("reviews", _reviews(dialect, start, end)),
    ):
        for day, count in await connection.execute(query):
            found.setdefault(as_date(day), {})[name] = int(count or 0)
    return {day: DayUsage(**counts) for day, counts in found.items()}


async def read_learners(
    connection: AsyncConnection, dialect: str, start: datetime, end: datetime
) -> int:
    """How many learners did anything in [start, end)."""
    return int(
        (await connection.execute(_learners(dialect, start, end, by_day=False))).scalar_one()
    )
