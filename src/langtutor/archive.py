"""Archiving of the activity log (`langtutor activity archive`, and daily with
ACTIVITY_RETENTION_DAYS): entries older than a date move to a compressed JSON Lines file, and
what the app still reads of them stays in the database as summaries.

- `activity_days`: per learner and day (in the learner's time zone), what `/progress` and the
  streak count (`activity.days.DaySummary`);
- `quality_days`: per UTC day, content type, language, model, prompt version and error kind,
  what the quality report counts, with the feedback given on those generations so far.

One transaction: the file is written and synced first, then the summaries are added and the
entries removed, so a failure leaves the database as it was (and at worst a file of entries that
are still there). On PostgreSQL whole monthly partitions before the date are dropped, the rest
deleted; the transaction reads a snapshot (REPEATABLE READ) and deletes only what it wrote out.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from sqlalchemy import and_, column, delete, select, table, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from langtutor import reports
from langtutor.activity import partitions
from langtutor.activity.days import SUMMED_EVENTS, DaySummary, add_entry
from langtutor.activity.models import ActivityDay, ActivityLog, QualityDay
from langtutor.db import utcnow
from langtutor.enums import LogEvent
from langtutor.library.models import Feedback

logger = logging.getLogger("langtutor.archive")

WRITE_EVERY = 2_000  # entries per write to the file (off the event loop)
UPSERT_ROWS = 500
_USERS = table("users", column("user_id"), column("timezone"))
_COLUMNS = [ActivityLog.__table__.c[name] for name in ActivityLog.__table__.c.keys()]


class ArchiveError(Exception):
    """Why an archive was refused (nothing was changed)."""


@dataclass
class ArchiveResult:
    before: date
    path: Path | None
    entries: int = 0
    learner_days: int = 0
    quality_days: int = 0
    dropped_partitions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "before": self.before.isoformat(),
            "file": None if self.path is None else str(self.path),
            "entries": self.entries,
            "learner_days": self.learner_days,
            "quality_days": self.quality_days,
            "dropped_partitions": self.dropped_partitions,
        }


def default_path(data_dir: Path, before: date, now: datetime | None = None) -> Path:
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%S%fZ")
    return data_dir / "archive" / f"activity_log-before-{before.isoformat()}-{stamp}.jsonl.gz"


async def archive(
    engine: AsyncEngine, *, before: date, to: Path | None = None, data_dir: Path
) -> ArchiveResult:
    """Moves the entries older than `before` (00:00 UTC) into `to` (default: a new file under
    `data_dir/archive`). `before` may be today at the latest."""
    if before > utcnow().date():
        raise ArchiveError(
            f"--before {before} is in the future: entries older than a past day only"
        )
    path = to if to is not None else default_path(data_dir, before)
    if path.exists():
        raise ArchiveError(f"{path} exists already: name another file with --to")
    path.parent.mkdir(parents=True, exist_ok=True)
    cutoff = datetime.combine(before, time(), UTC)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    result = ArchiveResult(before=before, path=path)
    async with engine.connect() as connection:
        droppable = [
            partition
            for partition in await partitions.monthly(connection)
            if partition.end <= cutoff
        ]
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                await _archive(connection, cutoff, partial, result, droppable)
                if result.entries:
                    os.replace(partial, path)
                else:
                    result.path = None
    finally:
        partial.unlink(missing_ok=True)
    logger.info("archive: %s", result.as_dict())
    return result


async def _archive(
    connection: AsyncConnection,
    cutoff: datetime,
    partial: Path,
    result: ArchiveResult,
    droppable: list[partitions.Partition],
) -> None:
    postgresql = connection.dialect.name == "postgresql"
    # The partitions to drop are locked before the transaction's snapshot is taken (its first
    # query): no entry can reach them unseen. One dropped meanwhile fails this archive.
    for partition in droppable:
        await connection.execute(text(f"LOCK TABLE {partition.name} IN SHARE MODE"))
    if postgresql and not await partitions.lock(connection):
        raise ArchiveError("another archive or partition change is running: try again later")
    older = ActivityLog.timestamp < cutoff
    # Feedback on archived entries keeps its text, ratings and generation, not the entry's id
    # (what deleting the entry does); on SQLite this also takes the write lock at once, so no
    # entry older than the cutoff can be written while this transaction reads them.
    await connection.execute(
        update(Feedback)
        .where(Feedback.related_log_id.in_(select(ActivityLog.log_id).where(older)))
        .values(related_log_id=None)
    )
    zones = {user_id: _zone(name) for user_id, name in await connection.execute(select(_USERS))}
    learner_days: dict[tuple[int, date], DaySummary] = {}
    quality = _QualitySums()
    last_log_id = 0
    with open(partial, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb") as out:
            lines: list[bytes] = []
            rows = await connection.stream(
                select(*_COLUMNS).where(older).order_by(ActivityLog.log_id)
            )
            async for row in rows:
                entry = row._asdict()
                lines.append(orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE))
                if len(lines) >= WRITE_EVERY:
                    await _write(out, lines)
                result.entries += 1
                last_log_id = entry["log_id"]  # in order
                if entry["event"] in SUMMED_EVENTS:
                    zone = zones.get(entry["user_id"], UTC)
                    day = entry["timestamp"].astimezone(zone).date()
                    add_entry(learner_days, (entry["user_id"], day), entry)
                quality.add(entry)
            await _write(out, lines)
        await asyncio.to_thread(_sync, raw)
    if not result.entries:
        return
    await quality.add_feedback(connection, older)
    result.learner_days = await _add_learner_days(connection, learner_days)
    result.quality_days = await _add_quality_days(connection, quality.days)
    if postgresql:
        await connection.execute(text(partitions.MOVING_ROWS))  # feedback unlinked above
    for partition in droppable:
        await connection.execute(text(f"DROP TABLE {partition.name}"))
        result.dropped_partitions.append(partition.name)
    await connection.execute(delete(ActivityLog).where(older, ActivityLog.log_id <= last_log_id))


async def _write(out: gzip.GzipFile, lines: list[bytes]) -> None:
    if lines:
        chunk = b"".join(lines)
        lines.clear()
        await asyncio.to_thread(out.write, chunk)


def _sync(raw: BinaryIO) -> None:
    raw.flush()
    os.fsync(raw.fileno())


def _zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


QualityKey = tuple[date, str, str, str, str, str]


class _QualitySums:
    """Per QualityKey (UTC day, content type, language, model, prompt version, error kind
    or ""): [generations, re-asked, mismatched, rated, rating sum, thumbs, down] and comments,
    counted as the quality report counts them."""

    def __init__(self) -> None:
        self.days: dict[QualityKey, tuple[list[int], list[list[Any]]]] = {}
        self.outputs: dict[uuid.UUID, QualityKey] = {}

    def add(self, entry: dict[str, Any]) -> None:
        metadata = entry["response_metadata"] or {}
        event = entry["event"]
        ended = event == LogEvent.output.value or (
            event == LogEvent.error.value and metadata.get("prompt_version") is not None
        )
        if not ended:
            return
        key = (
            entry["timestamp"].astimezone(UTC).date(),
            entry["content_type"],
            entry["target_language"],
            str(metadata.get("model") or "-"),
            str(metadata.get("prompt_version") or "-"),
            str(metadata.get("error") or ""),
        )
        sums = self.days.setdefault(key, ([0] * 7, []))[0]
        sums[0] += 1
        sums[1] += metadata.get("attempts") == 2
        sums[2] += (metadata.get("quality") or {}).get("language_mismatch") is True
        if event == LogEvent.output.value and entry["generation_id"] is not None:
            self.outputs[entry["generation_id"]] = key

    async def add_feedback(self, connection: AsyncConnection, older: Any) -> None:
        """The feedback given so far on the archived generations, and its low-rated
        comments (the latest few per day and group)."""
        if not self.outputs:
            return
        archived_output = and_(ActivityLog.event == LogEvent.output.value, older)
        per_generation = reports.feedback_per_generation(None)
        found = await connection.execute(
            select(per_generation).join(
                ActivityLog,
                and_(ActivityLog.generation_id == per_generation.c.generation_id, archived_output),
            )
        )
        for generation_id, *counts in found:
            if (key := self.outputs.get(generation_id)) is not None:
                sums = self.days[key][0]
                for index, value in enumerate(counts, start=3):
                    sums[index] += int(value or 0)
        low = reports.low_rated_feedback().subquery()
        comments = await connection.execute(
            select(low).join(
                ActivityLog, and_(ActivityLog.generation_id == low.c.generation_id, archived_output)
            )
        )
        for generation_id, comment, stamp, feedback_id in comments:
            if (key := self.outputs.get(generation_id)) is not None:
                self.days[key][1].append([stamp.isoformat(), feedback_id, comment])
        for _, kept in self.days.values():
            _keep_latest(kept)


def _insert(connection: AsyncConnection) -> Any:
    return pg_insert if connection.dialect.name == "postgresql" else sqlite_insert


async def _add_learner_days(
    connection: AsyncConnection, learner_days: dict[tuple[int, date], DaySummary]
) -> int:
    """Adds the sums to the learners' days (a day archived in two parts is one row)."""
    if not learner_days:
        return 0
    users = {user_id for user_id, _ in learner_days}
    days = {day for _, day in learner_days}
    existing = await connection.execute(
        select(ActivityDay.user_id, ActivityDay.day, ActivityDay.summary).where(
            ActivityDay.user_id.in_(users), ActivityDay.day.in_(days)
        )
    )
    for user_id, day, summary in existing:
        if (added := learner_days.get((user_id, day))) is not None:
            added.merge(DaySummary.from_json(summary))
    rows = [
        {"user_id": user_id, "day": day, "summary": summary.as_json()}
        for (user_id, day), summary in learner_days.items()
    ]
    insert = _insert(connection)
    for chunk in _chunks(rows):
        statement = insert(ActivityDay).values(chunk)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "day"], set_={"summary": statement.excluded.summary}
            )
        )
    return len(rows)


SUMS = ("generations", "reasked", "mismatched", "rated", "rating_sum", "thumbs", "down")
KEY = ("day", "content_type", "target_language", "model", "prompt_version", "error")


async def _add_quality_days(
    connection: AsyncConnection, days: dict[QualityKey, tuple[list[int], list[list[Any]]]]
) -> int:
    if not days:
        return 0
    existing = await connection.execute(
        select(QualityDay).where(QualityDay.day.in_({key[0] for key in days}))
    )
    for (found,) in existing:
        key = tuple(getattr(found, name) for name in KEY)
        if (added := days.get(key)) is not None:
            sums, comments = added
            for index, name in enumerate(SUMS):
                sums[index] += getattr(found, name)
            comments.extend(found.comments)
            _keep_latest(comments)
    rows = [
        {**dict(zip(KEY, key, strict=True)), **dict(zip(SUMS, sums, strict=True)), "comments": c}
        for key, (sums, c) in days.items()
    ]
    insert = _insert(connection)
    for chunk in _chunks(rows):
        statement = insert(QualityDay).values(chunk)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(KEY),
                set_={name: statement.excluded[name] for name in (*SUMS, "comments")},
            )
        )
    return len(rows)


def _keep_latest(comments: list[list[Any]]) -> None:
    """The report's few latest comments, [timestamp, feedback_id, text], newest first."""
    comments.sort(key=lambda c: (datetime.fromisoformat(c[0]), c[1]), reverse=True)
    del comments[reports.COMMENTS :]


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), UPSERT_ROWS):
        yield rows[start : start + UPSERT_ROWS]
