"""An activity-log entry as the batch logger holds it, and the two ways it is written: COPY
(PostgreSQL, the fast path) and an INSERT that skips entries already there (replays, retries,
SQLite)."""

from __future__ import annotations

import operator
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import psycopg
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.activity.models import ActivityLog
from langtutor.db import utcnow


@dataclass
class LogEntry:
    user_id: int
    content_type: str
    query_text: str
    target_language: str
    event: str
    base_language: str | None = None
    generation_id: uuid.UUID | None = None
    request_metadata: dict[str, Any] | None = None
    response_metadata: dict[str, Any] | None = None
    score: float | None = None
    timestamp: datetime = field(default_factory=utcnow)
    # Its identity in the database too: a replayed spool never writes an entry twice.
    entry_id: uuid.UUID = field(default_factory=uuid.uuid4)
    enqueued_at: float = 0.0

    def row(self) -> dict[str, Any]:
        return dict(zip(LOG_COLUMNS, _values(self), strict=True))

    def copy_row(self) -> list[Any]:
        values = list(_values(self))
        for index in _JSON_AT:
            # JSON as text: COPY parses it into jsonb, cheaper than psycopg's Jsonb dumper.
            values[index] = _json(values[index])
        return values


# The columns of `activity_log` that an entry fills, in the order COPY sends them.
LOG_COLUMNS = (
    "entry_id",
    "user_id",
    "timestamp",
    "content_type",
    "query_text",
    "target_language",
    "base_language",
    "request_metadata",
    "response_metadata",
    "generation_id",
    "event",
    "score",
)
_values = operator.attrgetter(*LOG_COLUMNS)
_JSON_AT = tuple(LOG_COLUMNS.index(column) for column in ("request_metadata", "response_metadata"))
_COPY_SQL = f"COPY activity_log ({', '.join(LOG_COLUMNS)}) FROM STDIN"


async def copy_entries(connection: AsyncConnection, batch: list[LogEntry]) -> None:
    """One COPY statement on PostgreSQL: several times the rows per second of a 100-row
    INSERT, which spends its time binding 1,000 parameters (benchmarks/log_ingest.py)."""
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    async with raw.cursor() as cursor, cursor.copy(_COPY_SQL) as copy:
        for entry in batch:
            await copy.write_row(entry.copy_row())


async def insert_entries(
    connection: AsyncConnection, batch: list[LogEntry], *, idempotent: bool
) -> None:
    """One multi-row INSERT; `idempotent`: entries already in the table are skipped."""
    make = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = make(ActivityLog).values([entry.row() for entry in batch])
    if idempotent:
        statement = statement.on_conflict_do_nothing(index_elements=["entry_id", "timestamp"])
    await connection.execute(statement)


def _json(value: dict[str, Any] | None) -> str | None:
    # orjson, as the spool (which has written the same entry already): several times faster
    # than the json module, and the same JSON for the metadata we log.
    return None if value is None else orjson.dumps(value).decode()


def outage(error: BaseException) -> bool:
    """A failure of the database or of the way to it, which says nothing of the entries
    written: they wait, in order, and are retried with backoff. Any other failure is the
    database refusing the data."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(
        error,
        OperationalError
        | InterfaceError
        | PoolTimeout
        | psycopg.OperationalError
        | psycopg.InterfaceError
        | OSError
        | TimeoutError,
    )
