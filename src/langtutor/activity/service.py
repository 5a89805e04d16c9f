"""A learner's activity: the listing (`Activity`, the service object routes and pages call),
and what other domains ask of a generation's entries (functions that take their session or
connection)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from langtutor.accounts.learner import Learner
from langtutor.activity import repository
from langtutor.activity.days import DaySummary
from langtutor.activity.logger import BatchLogger
from langtutor.activity.repository import HISTORY_EVENTS
from langtutor.activity.schemas import ActivityEntry, ActivityPage
from langtutor.db import Database, utcnow
from langtutor.enums import ContentType, LogEvent
from langtutor.errors import Conflict, NotFound

# How long a request waits for another worker to write a generation's log entries.
MAX_WAIT_FOR_OTHER_WORKER_S = 5.0
# How far back history-aware generation reads the learner's latest answers and outputs.
HISTORY_DAYS = 90


class Activity:
    """The activity log as routes and pages read it (the batch logger writes it): each read
    sees the learner's entries still buffered in this process."""

    def __init__(self, db: Database, log: BatchLogger) -> None:
        self.db = db
        self.log = log

    async def listing(
        self, learner: Learner, *, limit: int, before: datetime | None = None
    ) -> ActivityPage:
        """A page of the learner's entries, newest first (one statement, no transaction)."""
        async with self.db.connection() as connection:
            return await list_activity(
                connection=connection,
                activity=self.log,
                user_id=learner.user_id,
                limit=limit,
                before=before,
            )


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
    rows = await repository.latest(connection, user_id=user_id, limit=limit, before=before)
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
    query = repository.ending_entries(user_id=user_id, generation_id=generation_id)
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
    query = repository.output_entries(user_id=user_id, generation_id=generation_id)
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
    rows = await repository.recent(
        connection,
        user_id=user_id,
        since=utcnow() - timedelta(days=HISTORY_DAYS),
        target_language=target_language,
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
    entries = await repository.query_entries(session, pairs)
    found: dict[tuple[int, uuid.UUID], GenerationSettings] = {}
    for user_id, generation_id, target, base, metadata in entries:
        if (user_id, generation_id) in pairs:
            found[(user_id, generation_id)] = GenerationSettings(
                target_language=target,
                base_language=base,
                level=(metadata or {}).get("level"),
            )
    return found


# -- what /progress reads of the log (langtutor.progress), each a hot read on its own ----------


async def summed_entries(
    *, connection: AsyncConnection, user_id: int, since: datetime
) -> Sequence[Any]:
    """The entries a day's summary counts (`days.SUMMED_EVENTS`) since `since`."""
    return await repository.summed(connection, user_id=user_id, since=since)


async def archived_days(
    *, connection: AsyncConnection, user_id: int
) -> list[tuple[date, DaySummary]]:
    """The summaries of the user's archived days (all of them: all-time totals count them)."""
    found = await repository.archived(connection, user_id=user_id)
    return [(day, DaySummary.from_json(summary)) for day, summary in found]


async def output_counts(*, connection: AsyncConnection, user_id: int) -> Sequence[Any]:
    """The user's `output` entries per content type (`content_type`, `count`)."""
    return await repository.outputs_per_type(connection, user_id=user_id)


async def exercise_scores(
    *,
    connection: AsyncConnection,
    activity: BatchLogger,
    user_id: int,
    generation_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, dict[int, float]]:
    """The score of the learner's latest answer to each exercise (by `item_index`) of these
    generations: the log's entries, then this process's buffered ones (nothing is flushed)."""
    if not generation_ids:
        return {}
    rows = await repository.answers_to(connection, user_id=user_id, generation_ids=generation_ids)
    wanted = set(generation_ids)
    buffered = [
        (e.generation_id, e.request_metadata, e.score)
        for e in activity.pending(user_id)
        if e.event == LogEvent.answer.value and e.generation_id in wanted
    ]
    scores: dict[uuid.UUID, dict[int, float]] = {}
    for generation_id, metadata, score in [*rows, *buffered]:
        index = (metadata or {}).get("item_index")
        if generation_id is not None and isinstance(index, int) and score is not None:
            scores.setdefault(generation_id, {})[index] = float(score)
    return scores
