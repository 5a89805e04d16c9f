"""The activity log's reads: a learner's entries go through `learner_entries` (the one place
that says whose they are: another learner's id finds nothing); the hot ones (the listing, the
history before a generation) run through `db.fetch_rows`, a psycopg prepared statement on
PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from langtutor.activity.days import SUMMED_EVENTS
from langtutor.activity.models import ActivityDay, ActivityLog
from langtutor.db import fetch_rows
from langtutor.enums import LogEvent

# What history-aware generation reads: the latest answers and outputs, this far back.
HISTORY_ENTRIES = 60
HISTORY_EVENTS = (LogEvent.answer.value, LogEvent.output.value)


def learner_entries(*columns: Any, user_id: int | None = None) -> Select[Any]:
    """Columns of one learner's entries: of `user_id`, else of the `user_id` bound when the
    statement runs (the hot statements, built once)."""
    if user_id is None:
        return select(*columns).where(ActivityLog.user_id == bindparam("user_id"))
    return select(*columns).where(ActivityLog.user_id == user_id)


_LATEST = (
    learner_entries(
        ActivityLog.log_id,
        ActivityLog.timestamp,
        ActivityLog.event,
        ActivityLog.content_type,
        ActivityLog.query_text,
        ActivityLog.target_language,
        ActivityLog.base_language,
        ActivityLog.generation_id,
        ActivityLog.request_metadata,
        ActivityLog.response_metadata,
        ActivityLog.score,
    )
    .order_by(ActivityLog.timestamp.desc(), ActivityLog.log_id.desc())
    .limit(bindparam("limit"))
)
_OLDER = _LATEST.where(ActivityLog.timestamp < bindparam("before"))


async def latest(
    connection: AsyncConnection, *, user_id: int, limit: int, before: datetime | None
) -> Sequence[Any]:
    """The learner's entries, newest first, older than `before` if given."""
    values: dict[str, Any] = {"user_id": user_id, "limit": limit}
    if before is not None:
        values["before"] = before
    return await fetch_rows(connection, _LATEST if before is None else _OLDER, values)


_RECENT = (
    learner_entries(
        ActivityLog.event,
        ActivityLog.content_type,
        ActivityLog.query_text,
        # Only what is used of the metadata: the JSON decoded for a generation is a third.
        ActivityLog.request_metadata["expected"].label("expected"),
        ActivityLog.response_metadata["content"].label("content"),
        ActivityLog.score,
    )
    .where(
        or_(*(ActivityLog.event == event for event in HISTORY_EVENTS)),  # no IN: see fetch_rows
        ActivityLog.timestamp >= bindparam("since"),
        ActivityLog.target_language == bindparam("target_language"),
    )
    .order_by(ActivityLog.timestamp.desc())
    .limit(HISTORY_ENTRIES)
)


async def recent(
    connection: AsyncConnection, *, user_id: int, since: datetime, target_language: str
) -> Sequence[Any]:
    """The latest answers and outputs in one language (index: user_id, event, timestamp)."""
    values = {"user_id": user_id, "since": since, "target_language": target_language}
    return await fetch_rows(connection, _RECENT, values)


def generation_entries(
    *columns: Any, user_id: int, generation_id: uuid.UUID, events: Sequence[str] = ()
) -> Select[Any]:
    """Entries of one of the learner's generations (of these events, if given)."""
    query = learner_entries(*columns, user_id=user_id).where(
        ActivityLog.generation_id == generation_id
    )
    return query.where(ActivityLog.event.in_(events)) if events else query


def ending_entries(*, user_id: int, generation_id: uuid.UUID) -> Select[Any]:
    """The entries that may end a generation, latest first."""
    return generation_entries(
        ActivityLog.log_id,
        ActivityLog.event,
        ActivityLog.target_language,
        ActivityLog.base_language,
        user_id=user_id,
        generation_id=generation_id,
    ).order_by(ActivityLog.log_id.desc())


def output_entries(*, user_id: int, generation_id: uuid.UUID) -> Select[Any]:
    """A generation's `query` and `output` entries."""
    return generation_entries(
        ActivityLog.event,
        ActivityLog.timestamp,
        ActivityLog.content_type,
        ActivityLog.query_text,
        ActivityLog.target_language,
        ActivityLog.base_language,
        ActivityLog.request_metadata,
        ActivityLog.response_metadata,
        user_id=user_id,
        generation_id=generation_id,
        events=(LogEvent.query.value, LogEvent.output.value),
    )


async def query_entries(session: AsyncSession, pairs: set[tuple[int, uuid.UUID]]) -> Sequence[Any]:
    """The `query` entries of (user_id, generation_id) pairs, in one statement (a few rows of
    other pairs may come with them: the caller keeps the pairs it asked for)."""
    owners: ColumnElement[bool] = ActivityLog.user_id.in_({user_id for user_id, _ in pairs})
    return (
        await session.execute(
            select(
                ActivityLog.user_id,
                ActivityLog.generation_id,
                ActivityLog.target_language,
                ActivityLog.base_language,
                ActivityLog.request_metadata,
            ).where(
                owners,
                ActivityLog.generation_id.in_({generation_id for _, generation_id in pairs}),
                ActivityLog.event == LogEvent.query.value,
            )
        )
    ).all()


# /progress: one pass over the learner's successful generations, checked answers and studied
# sets (index: user_id, timestamp), the summaries of their archived days, outputs per type.
_SUMMED = learner_entries(
    ActivityLog.timestamp,
    ActivityLog.event,
    ActivityLog.content_type,
    ActivityLog.query_text,
    ActivityLog.target_language,
    ActivityLog.score,
    ActivityLog.generation_id,
    ActivityLog.request_metadata,
).where(
    or_(*(ActivityLog.event == event for event in SUMMED_EVENTS)),  # no IN: see fetch_rows
    ActivityLog.timestamp >= bindparam("since"),
)
_ARCHIVED = select(ActivityDay.day, ActivityDay.summary).where(
    ActivityDay.user_id == bindparam("user_id")
)
_OUTPUTS = (
    learner_entries(ActivityLog.content_type, func.count().label("count"))
    .where(ActivityLog.event == LogEvent.output.value)
    .group_by(ActivityLog.content_type)
)


async def summed(connection: AsyncConnection, *, user_id: int, since: datetime) -> Sequence[Any]:
    return await fetch_rows(connection, _SUMMED, {"user_id": user_id, "since": since})


async def archived(connection: AsyncConnection, *, user_id: int) -> Sequence[Any]:
    return await fetch_rows(connection, _ARCHIVED, {"user_id": user_id})


async def outputs_per_type(connection: AsyncConnection, *, user_id: int) -> Sequence[Any]:
    return await fetch_rows(connection, _OUTPUTS, {"user_id": user_id})


async def answers_to(
    connection: AsyncConnection, *, user_id: int, generation_ids: Sequence[uuid.UUID]
) -> Sequence[Any]:
    """(generation_id, request_metadata, score) of the learner's answers to exercises of
    these generations, oldest first (index: generation_id)."""
    query = (
        learner_entries(
            ActivityLog.generation_id,
            ActivityLog.request_metadata,
            ActivityLog.score,
            user_id=user_id,
        )
        .where(
            ActivityLog.event == LogEvent.answer.value,
            ActivityLog.generation_id.in_(generation_ids),
        )
        .order_by(ActivityLog.timestamp, ActivityLog.log_id)
    )
    return (await connection.execute(query)).all()
