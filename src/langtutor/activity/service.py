"""A learner's activity: the listing, and what other domains ask of a generation's entries."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from langtutor.activity.logger import BatchLogger
from langtutor.activity.models import ActivityLog
from langtutor.activity.schemas import ActivityEntry, ActivityPage
from langtutor.db import fetch_rows, utcnow
from langtutor.enums import ContentType, LogEvent
from langtutor.errors import Conflict, NotFound

# How long a request waits for another worker to write a generation's log entries.
MAX_WAIT_FOR_OTHER_WORKER_S = 5.0
# What history-aware generation reads: the latest answers and outputs, this far back.
HISTORY_ENTRIES = 60
HISTORY_DAYS = 90
HISTORY_EVENTS = (LogEvent.answer.value, LogEvent.output.value)


_LATEST = (
    select(
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
    .where(ActivityLog.user_id == bindparam("user_id"))
    .order_by(ActivityLog.timestamp.desc(), ActivityLog.log_id.desc())
    .limit(bindparam("limit"))
)
_OLDER = _LATEST.where(ActivityLog.timestamp < bindparam("before"))


async def list_activity(
    *,
    connection: AsyncConnection,
    activity: BatchLogger,
    user_id: int,
    limit: int,
    before: datetime | None,
) -> ActivityPage:
    """A page of the learner's entries, newest first: one statement on its own
    (`connection` needs no transaction), through `fetch_rows`."""
    await activity.flush_for(user_id)  # read-your-writes: this process's buffered entries
    values: dict[str, Any] = {"user_id": user_id, "limit": limit}
    if before is not None:
        values["before"] = before
    rows = await fetch_rows(connection, _LATEST if before is None else _OLDER, values)
    items = [ActivityEntry.model_validate(row) for row in rows]
    return ActivityPage(
        items=items, next_before=items[-1].timestamp if len(items) == limit else None
    )


@dataclass(frozen=True)
class GenerationEnd:
    """The entry that ended a generation: its `output`, else its `error` (else its `query`)."""

    log_id: int
    event: str
    target_language: str
    base_language: str | None


@dataclass(frozen=True)
class GenerationSettings:
    """The languages and level a generation ran with, from its `query` entry."""

    target_language: str
    base_language: str | None
    level: str | None


async def _entries_of(
    *,
    session: AsyncSession,
    activity: BatchLogger,
    query: Any,
    user_id: int,
    generation_id: uuid.UUID,
) -> list[Any]:
    """A generation's entries (rows of `query`), or 404.

    The generation may have run in another worker process, whose buffer this one cannot
    flush: on PostgreSQL it is asked to (a notice, `notices.FLUSH`), and it writes it anyway
    within its flush interval, so a missing entry is looked for again until then (bounded,
    for operators who set a long interval).
    """
    await activity.flush_for(user_id)  # it may still wait in this process's buffer
    wait_s = min(activity.flush_interval_s, MAX_WAIT_FOR_OTHER_WORKER_S) * 1.25 + 0.1
    deadline = time.monotonic() + wait_s
    asked = False
    while not (entries := list((await session.execute(query)).all())):
        if time.monotonic() > deadline:
            raise NotFound(f"no generation {generation_id} of yours")
        if not asked:  # on PostgreSQL, the other processes write theirs at once
            await activity.ask_others_to_flush()
            asked = True
        await asyncio.sleep(min(0.02 if asked else 0.2, wait_s / 5))
    return entries


async def generation_end(
    *, session: AsyncSession, activity: BatchLogger, user_id: int, generation_id: uuid.UUID
) -> GenerationEnd:
    """The user's entry that ended this generation, or 404."""
    query = (
        select(
            ActivityLog.log_id,
            ActivityLog.event,
            ActivityLog.target_language,
            ActivityLog.base_language,
        )
        .where(ActivityLog.user_id == user_id, ActivityLog.generation_id == generation_id)
        .order_by(ActivityLog.log_id.desc())
    )
    entries = await _entries_of(
        session=session,
        activity=activity,
        query=query,
        user_id=user_id,
        generation_id=generation_id,
    )
    for wanted in (LogEvent.output.value, LogEvent.error.value, LogEvent.query.value):
        for entry in entries:
            if entry.event == wanted:
                return GenerationEnd(*entry)
    return GenerationEnd(*entries[0])


@dataclass(frozen=True)
class GenerationOutput:
    """What a successful generation answered, with the settings it ran with."""

    content_type: ContentType
    query_text: str
    content: dict[str, Any]
    target_language: str
    base_language: str | None
    level: str | None
    provider: str | None
    model: str | None
    created_at: datetime | None


async def generation_output(
    *, session: AsyncSession, activity: BatchLogger, user_id: int, generation_id: uuid.UUID
) -> GenerationOutput:
    """The content a generation of the user's answered: 404 if there is no such generation,
    409 if it failed or its content was not kept (generations before content was logged)."""
    query = select(
        ActivityLog.event,
        ActivityLog.timestamp,
        ActivityLog.content_type,
        ActivityLog.query_text,
        ActivityLog.target_language,
        ActivityLog.base_language,
        ActivityLog.request_metadata,
        ActivityLog.response_metadata,
    ).where(
        ActivityLog.user_id == user_id,
        ActivityLog.generation_id == generation_id,
        ActivityLog.event.in_((LogEvent.query.value, LogEvent.output.value)),
    )
    entries = {
        entry.event: entry
        for entry in await _entries_of(
            session=session,
            activity=activity,
            query=query,
            user_id=user_id,
            generation_id=generation_id,
        )
    }
    output = entries.get(LogEvent.output.value)
    content = (output.response_metadata or {}).get("content") if output is not None else None
    if output is None or not isinstance(content, dict):
        raise Conflict(
            f"generation {generation_id} has no content to practise with: it failed, or it "
            "was made before content was kept; save it and practise the saved set"
        )
    started = entries.get(LogEvent.query.value)
    return GenerationOutput(
        content_type=ContentType(output.content_type),
        query_text=output.query_text,
        content=content,
        target_language=output.target_language,
        base_language=output.base_language,
        level=((started.request_metadata or {}).get("level") if started is not None else None),
        provider=output.response_metadata.get("provider"),
        model=output.response_metadata.get("model"),
        created_at=output.timestamp,
    )


@dataclass(frozen=True)
class RecentEntries:
    """A learner's latest answers that were not right, and latest generated content, in one
    language, newest first."""

    missed: list[tuple[str, str]]
    """(prompt, expected answer) of answers that scored below 1."""
    outputs: list[tuple[ContentType, dict[str, Any]]]


_RECENT = (
    select(
        ActivityLog.event,
        ActivityLog.content_type,
        ActivityLog.query_text,
        # Only what is used of the metadata: the JSON decoded for a generation is a third.
        ActivityLog.request_metadata["expected"].label("expected"),
        ActivityLog.response_metadata["content"].label("content"),
        ActivityLog.score,
    )
    .where(
        ActivityLog.user_id == bindparam("user_id"),
        or_(*(ActivityLog.event == event for event in HISTORY_EVENTS)),  # no IN: see fetch_rows
        ActivityLog.timestamp >= bindparam("since"),
        ActivityLog.target_language == bindparam("target_language"),
    )
    .order_by(ActivityLog.timestamp.desc())
    .limit(HISTORY_ENTRIES)
)


async def recent_entries(
    *, connection: AsyncConnection, activity: BatchLogger, user_id: int, target_language: str
) -> RecentEntries:
    """The latest answers and outputs: this process's buffered ones, then one query (index:
    user_id, event, timestamp). Nothing is flushed: generation must not undo the batching."""
    buffered = [
        (
            e.event,
            e.content_type,
            e.query_text,
            (e.request_metadata or {}).get("expected"),
            (e.response_metadata or {}).get("content"),
            e.score,
        )
        for e in reversed(activity.pending(user_id))
        if e.event in HISTORY_EVENTS and e.target_language == target_language
    ]
    rows = await fetch_rows(
        connection,
        _RECENT,
        {
            "user_id": user_id,
            "since": utcnow() - timedelta(days=HISTORY_DAYS),
            "target_language": target_language,
        },
    )
    missed: list[tuple[str, str]] = []
    outputs: list[tuple[ContentType, dict[str, Any]]] = []
    for event, content_type, query_text, expected, content, score in [*buffered, *rows]:
        if event == LogEvent.answer.value:
            if score is not None and score < 1.0 and isinstance(expected, str):
                missed.append((query_text, expected))
        elif isinstance(content, dict):
            outputs.append((ContentType(content_type), content))
    return RecentEntries(missed=missed, outputs=outputs)


async def generation_settings(
    *, session: AsyncSession, generations: Iterable[tuple[int, uuid.UUID]]
) -> dict[tuple[int, uuid.UUID], GenerationSettings]:
    """Languages and level of (user_id, generation_id) pairs; one query for any number."""
    pairs = set(generations)
    if not pairs:
        return {}
    entries = await session.execute(
        select(
            ActivityLog.user_id,
            ActivityLog.generation_id,
            ActivityLog.target_language,
            ActivityLog.base_language,
            ActivityLog.request_metadata,
        ).where(
            ActivityLog.user_id.in_({user_id for user_id, _ in pairs}),
            ActivityLog.generation_id.in_({generation_id for _, generation_id in pairs}),
            ActivityLog.event == LogEvent.query.value,
        )
    )
    found: dict[tuple[int, uuid.UUID], GenerationSettings] = {}
    for user_id, generation_id, target, base, metadata in entries:
        if (user_id, generation_id) in pairs:
            found[(user_id, generation_id)] = GenerationSettings(
                target_language=target,
                base_language=base,
                level=(metadata or {}).get("level"),
            )
    return found
