"""`buffered_log_query` on both databases: batches of LOG_BATCH_SIZE after a first entry written
at once, the flush interval, shutdown, retries, the bound on the buffer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY, generate_latest
from sqlalchemy import event, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor import metrics, notices
from langtutor.activity import logger as batch_logging
from langtutor.activity import quarantine
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.activity.spool import Spool, read_entries
from langtutor.db import create_engine
from tests.tcpproxy import TCPProxy


@pytest.fixture
async def user_id(db: AsyncEngine) -> int:
    async with db.begin() as connection:
        return int(
            (
                await connection.execute(
                    text(
                        "INSERT INTO users (username, password_hash) VALUES ('logger', 'x') RETURNING user_id"
                    )
                )
            ).scalar_one()
        )


def entry(user_id: int, n: int, event_name: str = "query") -> LogEntry:
    return LogEntry(
        user_id=user_id,
        content_type="flashcards",
        query_text=f"topic {n}",
        target_language="es",
        base_language="en",
        event=event_name,
        generation_id=uuid.uuid4(),
        request_metadata={"n": n},
    )


async def log(logger: BatchLogger, item: LogEntry) -> None:
    """One entry, and the write it set off (in the background on SQLite) done."""
    await logger.buffered_log_query(item)
    await logger.settled()


async def rows(db: AsyncEngine) -> list[Any]:
    async with db.connect() as connection:
        return list(
            (
                await connection.execute(
                    text("SELECT log_id, query_text FROM activity_log ORDER BY log_id")
                )
            ).all()
        )


@pytest.fixture
async def batch_logger(db: AsyncEngine) -> AsyncIterator[BatchLogger]:
    logger = BatchLogger(db, batch_size=100, flush_interval_s=3600, buffer_max=100_000)
    await logger.start()
    yield logger
    await logger.stop()


def count_inserts(engine: AsyncEngine) -> list[str]:
    """Statements that SQLAlchemy sends to insert into activity_log (event listener)."""
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ACTIVITY_LOG"):
            statements.append(statement)

    return statements


STATEMENT_TRIGGER = [
    "CREATE TABLE test_statements (n integer NOT NULL)",
    "INSERT INTO test_statements VALUES (0)",
    "CREATE FUNCTION test_count() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN UPDATE test_statements SET n = n + 1; RETURN NULL; END $$",
    "CREATE TRIGGER test_count AFTER INSERT ON activity_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION test_count()",
]


@pytest.fixture
async def written_statements(db: AsyncEngine, backend: str) -> AsyncIterator[Any]:
    """A function giving the number of statements that have written activity_log so far.

    SQLite: SQLAlchemy's event listener sees every INSERT. PostgreSQL: the logger writes with
    COPY through the driver, which no SQLAlchemy event sees, so a statement-level trigger
    counts there (it fires once per INSERT or COPY, whatever the number of rows).
    """
    inserts = count_inserts(db)
    if backend == "sqlite":

        async def sqlite_count() -> int:
            return len(inserts)

        yield sqlite_count
        return
    async with db.begin() as connection:
        for ddl in STATEMENT_TRIGGER:
            await connection.execute(text(ddl))

    async def pg_count() -> int:
        assert inserts == []  # no row-by-row INSERT either
        async with db.connect() as connection:
            return int(
                (await connection.execute(text("SELECT n FROM test_statements"))).scalar_one()
            )

    try:
        yield pg_count
    finally:
        async with db.begin() as connection:
            await connection.execute(text("DROP TRIGGER test_count ON activity_log"))
            await connection.execute(text("DROP FUNCTION test_count()"))
            await connection.execute(text("DROP TABLE test_statements"))


async def test_first_entry_at_once_then_batches_of_100_in_one_statement(
    db: AsyncEngine, batch_logger: BatchLogger, user_id: int, written_statements: Any
) -> None:
    await log(batch_logger, entry(user_id, 0))
    assert len(await rows(db)) == 1
    assert await written_statements() == 1
    for n in range(1, 100):
        await log(batch_logger, entry(user_id, n))
    await asyncio.sleep(0.3)  # the background task looks more than once: not yet their time
    assert len(await rows(db)) == 1
    assert batch_logger.buffered == 99
    await log(batch_logger, entry(user_id, 100))
    written = await rows(db)
    assert len(written) == 101
    assert await written_statements() == 2  # one statement for the batch of 100
    assert [r.query_text for r in written] == [f"topic {n}" for n in range(101)]
    assert batch_logger.buffered == 0


async def test_lone_entry_is_flushed_within_the_interval(db: AsyncEngine, user_id: int) -> None:
    interval = 0.5
    logger = BatchLogger(db, batch_size=100, flush_interval_s=interval)
    await logger.start()
    try:
        await logger.buffered_log_query(entry(user_id, 0))
        start = time.monotonic()
        await logger.buffered_log_query(entry(user_id, 1))
        while len(await rows(db)) < 2:
            assert time.monotonic() - start < interval + 1, "not flushed in time"
            await asyncio.sleep(0.05)
    finally:
        await logger.stop()


async def test_a_flush_asked_while_a_write_runs_writes_what_came_since(
    batch_logger: BatchLogger, db: AsyncEngine, user_id: int
) -> None:
    """Another process asks for a flush (a notice) while this one writes: the entry that came
    during that write is written next, not left for the flush interval (an hour here): the
    asker may be waiting for that very entry."""
    await log(batch_logger, entry(user_id, 0))  # the first entry goes at once
    await batch_logger.buffered_log_query(entry(user_id, 1))
    batch_logger.flush_soon()
    await asyncio.sleep(0)
    assert batch_logger._lock.locked()  # the write of entry 1 is under way
    await batch_logger.buffered_log_query(entry(user_id, 2))
    batch_logger.flush_soon()
    await batch_logger.settled()
    assert [row.query_text for row in await rows(db)] == ["topic 0", "topic 1", "topic 2"]
    assert batch_logger.buffered == 0


async def test_flushes_waiting_on_one_write_do_not_each_write_again(
    batch_logger: BatchLogger, db: AsyncEngine, user_id: int
) -> None:
    """Reads that want their entries written (read-your-writes) and wait while a write runs
    that takes their entries: they find them written, and write nothing more, however many
    others' entries came meanwhile (under load they each wrote those, one after the other,
    and queued behind the lock for seconds)."""
    await log(batch_logger, entry(user_id, 0))  # the first entry goes at once
    batches = REGISTRY.get_sample_value("langtutor_log_batches_written_total")
    for n in range(1, 6):
        await batch_logger.buffered_log_query(entry(user_id, n))
    # A read of another learner's activity, none of it buffered: it writes nothing.
    assert await batch_logger.flush_for(user_id + 1)
    assert batch_logger.buffered == 5
    flushes = [asyncio.ensure_future(batch_logger.flush_for(user_id)) for _ in range(10)]
    await asyncio.sleep(0)
    assert batch_logger._lock.locked()  # the first flush writes entries 1 to 5
    for n in range(6, 9):  # entries of the requests that go on meanwhile
        await batch_logger.buffered_log_query(entry(user_id, n))
    assert all(await asyncio.gather(*flushes))
    assert len(await rows(db)) == 6
    assert REGISTRY.get_sample_value("langtutor_log_batches_written_total") == batches + 1
    assert batch_logger.buffered == 3  # for the flush interval, or a read that wants them


async def test_stop_flushes_everything_and_leaves_no_task_running(
    db: AsyncEngine, user_id: int
) -> None:
    before = asyncio.all_tasks()
    logger = BatchLogger(db, batch_size=100, flush_interval_s=3600)
    await logger.start()
    for n in range(250):
        await log(logger, entry(user_id, n))
    assert len(await rows(db)) == 201
    await logger.stop()
    assert [r.query_text for r in await rows(db)] == [f"topic {n}" for n in range(250)]
    assert asyncio.all_tasks() == before  # the periodic flush stopped with the logger


async def test_concurrent_calls_lose_nothing(
    db: AsyncEngine, batch_logger: BatchLogger, user_id: int
) -> None:
    await asyncio.gather(*(batch_logger.buffered_log_query(entry(user_id, n)) for n in range(1000)))
    await batch_logger.settled()
    await batch_logger.flush()
    written = await rows(db)
    assert len(written) == 1000
    assert len({r.query_text for r in written}) == 1000


@pytest.fixture
async def proxied(database_url: str, backend: str) -> AsyncIterator[tuple[TCPProxy, AsyncEngine]]:
    if backend != "postgresql":
        pytest.skip("a network outage needs a network database; SQLite is a local file")
    url = make_url(database_url)
    proxy = TCPProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    engine = create_engine(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    yield proxy, engine
    await proxy.stop()
    await engine.dispose()


async def test_outage_then_recovery_writes_each_entry_once_in_order(
    db: AsyncEngine,
    proxied: tuple[TCPProxy, AsyncEngine],
    user_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy, engine = proxied
    logger = BatchLogger(engine, batch_size=10, flush_interval_s=0.2)
    await logger.start()
    try:
        await logger.buffered_log_query(entry(user_id, 0))
        assert len(await rows(db)) == 1
        failures = metrics.LOG_WRITE_FAILURES._value.get()
        await proxy.stop()
        for n in range(1, 26):
            await logger.buffered_log_query(entry(user_id, n))  # a learner's request: no error
        assert not await logger.flush()
        assert metrics.LOG_WRITE_FAILURES._value.get() > failures
        assert "write of" in caplog.text
        assert len(await rows(db)) == 1
        await proxy.start()
        deadline = time.monotonic() + 20
        while logger.buffered and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    finally:
        await logger.stop()
    written = await rows(db)
    assert [r.query_text for r in written] == [f"topic {n}" for n in range(26)]


async def test_overflow_is_counted_and_logged(
    db: AsyncEngine,
    proxied: tuple[TCPProxy, AsyncEngine],
    user_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy, engine = proxied
    logger = BatchLogger(engine, batch_size=100, flush_interval_s=0.2, buffer_max=5)
    await logger.start()
    await logger.buffered_log_query(entry(user_id, 0))
    await proxy.stop()
    dropped = metrics.LOG_DROPPED._value.get()
    caplog.set_level(logging.ERROR, "langtutor.activity")
    for n in range(1, 9):
        await logger.buffered_log_query(entry(user_id, n))
    assert logger.buffered == 5
    assert metrics.LOG_DROPPED._value.get() - dropped == 3
    # Said at the first entry dropped, then once per thousand: not once per entry.
    assert caplog.text.count("buffer full") == 1
    assert "dropped 1 entries so far" in caplog.text
    exposed = generate_latest().decode()
    assert f"langtutor_log_entries_dropped_total {metrics.LOG_DROPPED._value.get()}" in exposed
    await proxy.start()
    await logger.stop()
    assert [r.query_text for r in await rows(db)] == [f"topic {n}" for n in range(6)]


async def test_entries_of_an_account_deleted_while_they_waited_do_not_block_the_log(
    db: AsyncEngine, user_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A generation answered just before its learner deleted the account (here, or in
    another process that still knew the token) leaves entries the database refuses: they go,
    the others' entries are written, and the log goes on."""
    async with db.begin() as connection:
        gone = (
            await connection.execute(
                text(
                    "INSERT INTO users (username, password_hash) VALUES ('gone', 'x') RETURNING user_id"
                )
            )
        ).scalar_one()
    logger = BatchLogger(db, batch_size=10, flush_interval_s=3600)
    await logger.start()
    await log(logger, entry(user_id, 0))  # the first entry is written at once
    async with db.begin() as connection:
        await connection.execute(text("DELETE FROM users WHERE user_id = :id"), {"id": gone})
    for n in range(1, 10):
        await log(logger, entry(gone if n % 3 == 0 else user_id, n))
    dropped = metrics.LOG_DROPPED._value.get()
    with caplog.at_level(logging.WARNING, logger="langtutor.activity"):
        await log(logger, entry(user_id, 10))
        assert logger.buffered == 0
    assert "dropped 3 entries of 1 deleted accounts" in caplog.text
    assert metrics.LOG_DROPPED._value.get() - dropped == 3
    await log(logger, entry(user_id, 11))
    await logger.stop()
    kept = [n for n in range(12) if n == 0 or n % 3 != 0]
    assert [r.query_text for r in await rows(db)] == [f"topic {n}" for n in kept]


@pytest.mark.parametrize(("arriving", "left"), [(15, 7), (8, 0)])
async def test_entries_that_arrive_while_a_batch_is_written_go_in_full_batches_after_it(
    db: AsyncEngine, user_id: int, backend: str, arriving: int, left: int
) -> None:
    """SQLite's writes run in the background: a full batch sets one off, and it writes full
    batches only, until fewer than a batch wait, taking those that arrived meanwhile (even
    after another process's flush, which wrote everything, was done)."""
    if backend != "sqlite":
        pytest.skip("on PostgreSQL each batch is written in the caller's time, not behind it")
    logger = BatchLogger(db, batch_size=10, flush_interval_s=3600)
    await logger.start()
    try:
        await log(logger, entry(user_id, 0))  # the first entry goes at once
        await logger.buffered_log_query(entry(user_id, 1))
        logger.flush_soon()  # another process asks: entry 1 is written
        await logger.settled()
        for n in range(2, 14):  # a full batch sets off a write, and two more come before it
            await logger.buffered_log_query(entry(user_id, n))
        await asyncio.sleep(0)
        assert logger._lock.locked()  # the write of entries 2 to 11 is under way
        for n in range(14, 14 + arriving):
            await logger.buffered_log_query(entry(user_id, n))
        await logger.settled()
        assert logger.buffered == left
        written = 14 + arriving - left
        assert [r.query_text for r in await rows(db)] == [f"topic {n}" for n in range(written)]
    finally:
        await logger.stop()


async def test_an_outage_at_shutdown_keeps_the_spool_for_the_next_start(
    db: AsyncEngine,
    proxied: tuple[TCPProxy, AsyncEngine],
    user_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database out of reach at shutdown: the logger tries until its deadline, half a
    second apart (not in a tight loop), the entry waiting aside included, then stops and
    leaves its spool, with what it could not write, to the next start, which writes it."""
    proxy, engine = proxied
    monkeypatch.setattr(batch_logging, "SHUTDOWN_DEADLINE_S", 2.5)
    monkeypatch.setattr(quarantine, "RETRY_REFUSED_S", 0.0)  # due at every try
    logger = BatchLogger(engine, batch_size=10, flush_interval_s=3600, spool=Spool(tmp_path))
    await logger.start()
    await logger.buffered_log_query(entry(user_id, 0))  # the first entry goes at once
    bad = entry(user_id, 1)
    bad.query_text = "topic \x00 poisoned"  # PostgreSQL refuses NUL in text
    await logger.buffered_log_query(bad)
    assert await logger.flush()  # refused on its own: it waits aside
    waiting = entry(user_id, 2)
    await logger.buffered_log_query(waiting)
    await proxy.stop()
    failures = metrics.LOG_WRITE_FAILURES._value.get()
    await logger.stop()
    # A try at 0, 0.5, 1, 1.5 and 2 s, and the last one of the entry aside.
    assert 4 <= metrics.LOG_WRITE_FAILURES._value.get() - failures <= 7
    assert logger.spool is not None
    kept = {item.entry_id for item in read_entries(logger.spool.path)}
    assert {bad.entry_id, waiting.entry_id} <= kept
    await proxy.start()
    again = BatchLogger(engine, batch_size=10, flush_interval_s=3600, spool=Spool(tmp_path))
    await again.start()
    await again.stop()
    assert [r.query_text for r in await rows(db)] == ["topic 0", "topic 2"]


async def test_a_process_asked_to_flush_by_another_writes_its_buffer_at_once_on_postgresql(
    db: AsyncEngine, database_url: str, backend: str, user_id: int
) -> None:
    """A read in one process that waits for another's entries asks every process to write
    its buffer (a notice, on PostgreSQL): the other writes at once, not at its flush
    interval (an hour here)."""
    if backend != "postgresql":
        pytest.skip("notices between processes are PostgreSQL's")
    holder = BatchLogger(db, batch_size=100, flush_interval_s=3600)
    await holder.start()
    listening = asyncio.Event()
    listener = asyncio.create_task(
        notices.listen(database_url, {notices.FLUSH: holder.flush_soon}, on_listening=listening.set)
    )
    reader = BatchLogger(db, batch_size=100, flush_interval_s=3600)  # the other process's
    try:
        await holder.buffered_log_query(entry(user_id, 0))  # the first entry goes at once
        await holder.buffered_log_query(entry(user_id, 1))
        await asyncio.wait_for(listening.wait(), 10)
        await reader.ask_others_to_flush()
        deadline = time.monotonic() + 5
        while len(await rows(db)) < 2:
            assert time.monotonic() < deadline, "the other process did not write its buffer"
            await asyncio.sleep(0.05)
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await holder.stop()


async def test_a_request_that_logs_inside_its_own_sqlite_transaction_does_not_wait_on_it(
    db: AsyncEngine, user_id: int, backend: str
) -> None:
    """SQLite has one write lock: a request that logs while its transaction holds it gets its
    answer at once; the entry is written once the lock is free (in the background), rather
    than waiting on its own caller until the lock times out."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no single write lock; its writes run in the caller's time")
    logger = BatchLogger(db, batch_size=100, flush_interval_s=3600)
    await logger.start()
    try:
        async with db.begin() as connection:
            await connection.execute(
                text("UPDATE users SET username = username WHERE user_id = :id"), {"id": user_id}
            )
            await asyncio.wait_for(logger.buffered_log_query(entry(user_id, 0)), 2)
        await logger.settled()
        assert [r.query_text for r in await rows(db)] == ["topic 0"]
    finally:
        await logger.stop()


async def test_requests_logging_at_once_set_off_full_batches_only(
    db: AsyncEngine, user_id: int
) -> None:
    """Twenty-five requests log at the same moment, batches of ten: two full batches are
    written (on SQLite behind the requests, on PostgreSQL in their time, one waiting on the
    other's write), and the five left wait for theirs, not written as a batch of five."""
    logger = BatchLogger(db, batch_size=10, flush_interval_s=3600)
    await logger.start()
    try:
        await log(logger, entry(user_id, 0))  # the first entry goes at once
        await asyncio.gather(*(logger.buffered_log_query(entry(user_id, n)) for n in range(1, 26)))
        await logger.settled()
        assert logger.buffered == 5
        assert len(await rows(db)) == 21
    finally:
        await logger.stop()


async def test_a_lone_entry_is_written_before_a_reader_elsewhere_stops_waiting_for_it(
    db: AsyncEngine, user_id: int
) -> None:
    """A read in another process that misses a generation's entries looks again for the
    flush interval and a quarter, plus 0.1 s (`activity.service`): the background task looks
    at least four times an interval, so the entry is in by then, short intervals included."""
    interval = 0.04
    logger = BatchLogger(db, batch_size=100, flush_interval_s=interval)
    await logger.start()
    try:
        await log(logger, entry(user_id, 0))  # the first entry goes at once
        await logger.buffered_log_query(entry(user_id, 1))
        started = time.monotonic()
        while len(await rows(db)) < 2:
            await asyncio.sleep(0.005)
        assert time.monotonic() - started < interval * 1.25 + 0.1
    finally:
        await logger.stop()
