"""Engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import JSON, Date, DateTime, Integer, MetaData, any_, bindparam, cast, event, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator

# Named constraints from the first migration, so that Alembic can alter them on SQLite too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (compact, indexable), plain JSON elsewhere; Python None is SQL NULL.
JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMPTZ on PostgreSQL; on SQLite, which drops the zone, values come back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a timezone-aware column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC day of a time column: on PostgreSQL whatever the session's time zone."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def among(column: Any, values: Collection[int], dialect: str) -> ColumnElement[bool]:
    """`column IN values`: on PostgreSQL one array value (`= ANY`), whatever their number,
    rather than a parameter each."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(Integer)))
    return column.in_(list(values))


def day_list(day: Any, dialect: str) -> ColumnElement[Any]:
    """A group's days as one value (read back with `as_dates`): an array on PostgreSQL,
    comma-separated text on SQLite. Group by the day first: an aggregate of distinct values
    sorts every row of the group."""
    if dialect == "postgresql":
        return func.array_agg(day)
    return func.group_concat(day)


def as_dates(value: Any) -> set[date]:
    """The days of `distinct_days` as the database gives them back."""
    if value is None:
        return set()
    if isinstance(value, str):
        return {date.fromisoformat(part) for part in value.split(",")}
    return set(value)  # psycopg's dates


def as_date(value: Any) -> date:
    """A day as the database gives it back (SQLite's `date()` is text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        # No ping before each use of a pooled connection (a round trip on every request): a
        # connection the server dropped fails its one request with 503, and SQLAlchemy then
        # replaces every connection of the pool opened before that failure.
        kwargs.setdefault("pool_pre_ping", False)
        # An unreachable server must fail a connection attempt quickly, not after minutes.
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
        # A fixed pool: "overflow" connections would be opened and closed again at every
        # burst, and a new PostgreSQL connection costs more than the query it serves.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 0)
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # The schema's ON DELETE rules only hold on SQLite with foreign keys switched on.
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets readers proceed while the batch logger writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on any error."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def fetch_rows(
    connection: AsyncConnection, statement: Executable, values: Mapping[str, Any]
) -> Sequence[Any]:
    """The rows of a Core statement built once and run often (a hot read), each with its
    columns by name and by position. On PostgreSQL it goes to psycopg as a prepared
    statement, without SQLAlchemy's work around each execution (a third of a library
    page's database time, measured); so its columns must be ones psycopg reads as our
    types do (numbers, text, JSON, UUIDs, times with their zone), and its values plain.
    Elsewhere, SQLAlchemy runs it."""
    if connection.dialect.name != "postgresql":
        return (await connection.execute(statement, values)).all()
    sql, constants = _postgresql_text(statement, connection.dialect)
    pooled = await connection.get_raw_connection()
    cursor = pooled.driver_connection.cursor(row_factory=namedtuple_row)  # type: ignore[union-attr]
    await cursor.execute(sql, constants | dict(values), prepare=True)
    return await cursor.fetchall()


@cache
def _postgresql_text(statement: Executable, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The statement's SQL for psycopg, and the values written into the statement itself."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if any(bind.expanding for bind in compiled.binds.values()):
        raise ValueError("fetch_rows takes no expanding (IN) values")
    constants = {name: value for name, value in compiled.params.items() if value is not None}
    return str(compiled), constants


class Database:
    """The ways a service reaches the database, built once in the `Runtime`: every domain's
    service object holds one and opens what each method needs; routes and pages never see it.

    - `transaction()`: one transaction, committed when the block ends (before the answer is
      sent), rolled back on any error.
    - `reading()`: a session whose statements each commit on their own (no BEGIN or COMMIT
      round trips), for methods that only read; it sees every write committed before it.
    - `connection()`: such a connection without the ORM session around it, for the hot Core
      reads a repository runs through `fetch_rows`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = create_sessionmaker(engine)
        self.autocommit_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.autocommit_sessions = create_sessionmaker(self.autocommit_engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        return session_scope(self.sessions)

    def reading(self) -> AsyncSession:
        return self.autocommit_sessions()

    def connection(self) -> AsyncConnection:
        return self.autocommit_engine.connect()
