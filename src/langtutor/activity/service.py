"""A learner's activity: the listing, and what other domains ask of a generation's entries."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.activity.logger import BatchLogger
from langtutor.activity.models import ActivityLog
from langtutor.activity.schemas import ActivityEntry, ActivityPage
from langtutor.enums import LogEvent
from langtutor.errors import NotFound

# How long a request waits for another worker to write a generation's log entries.
MAX_WAIT_FOR_OTHER_WORKER_S = 5.0


async def list_activity(
    *,
    session: AsyncSession,
    activity: BatchLogger,
    user_id: int,
    limit: int,
    before: datetime | None,
) -> ActivityPage:
    await activity.flush()  # read-your-writes: this process's buffered entries first
    query = select(ActivityLog).where(ActivityLog.user_id == user_id)
    if before is not None:
        query = query.where(ActivityLog.timestamp < before)
    rows = (
        await session.scalars(
            query.order_by(ActivityLog.timestamp.desc(), ActivityLog.log_id.desc()).limit(limit)
        )
    ).all()
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


async def generation_end(
    *, session: AsyncSession, activity: BatchLogger, user_id: int, generation_id: uuid.UUID
) -> GenerationEnd:
    """The user's entry that ended this generation, or 404.

    The generation may have run in another worker process, whose buffer this one cannot
    flush: that process writes it within its flush interval, so a missing entry is looked
    for again until then (bounded, for operators who set a long interval).
    """
    await activity.flush()  # it may still wait in this process's buffer
    wait_s = min(activity.flush_interval_s, MAX_WAIT_FOR_OTHER_WORKER_S) * 1.25 + 0.1
    deadline = time.monotonic() + wait_s
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
    while not (entries := (await session.execute(query)).all()):
        if time.monotonic() > deadline:
            raise NotFound(f"no generation {generation_id} of yours")
        await asyncio.sleep(min(0.2, wait_s / 5))
    for wanted in (LogEvent.output.value, LogEvent.error.value, LogEvent.query.value):
        for entry in entries:
            if entry.event == wanted:
                return GenerationEnd(*entry)
    return GenerationEnd(*entries[0])


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
