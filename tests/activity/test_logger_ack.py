"""The batch logger when its writes fail.

A write whose commit succeeded but whose acknowledgement was lost on the way back (the
connection cut right after PostgreSQL committed): the logger cannot tell it from a write that
failed, so it keeps the entries and writes them again. The retry must skip what the lost
commit wrote (entries are keyed by `entry_id`), so that nothing is written twice and the log
does not stall on the unique index, retrying forever while its buffer fills. And retries
back off, saying so."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import create_engine
from tests.tcpproxy import TCPProxy

# The server's answer to COMMIT: its CommandComplete tag (it is sent once the commit is done).
COMMITTED = b"COMMIT\x00"
BATCHES = "langtutor_log_batches_written_total"


class LostAcknowledgement:
    """A TCP proxy on 127.0.0.1 that, once armed, drops PostgreSQL's answer to the next COMMIT
    and cuts that connection: the transaction is committed, the client never hears of it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.armed = False
        self.dropped = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> LostAcknowledgement:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        ends = (writer, upstream_writer)
        for source, sink, answers in (
            (reader, upstream_writer, False),
            (upstream_reader, writer, True),
        ):
            task = asyncio.create_task(self._pipe(source, sink, ends, answers=answers))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        ends: tuple[asyncio.StreamWriter, ...],
        *,
        answers: bool,
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                if answers and self.armed and COMMITTED in data:
                    self.armed = False
                    self.dropped += 1
                    break
                sink.write(data)
                await sink.drain()
        for end in ends:
            end.transport.abort()


@pytest.fixture
async def user_id(db: AsyncEngine) -> int:
    async with db.begin() as connection:
        return int(
            (
                await connection.execute(
                    text(
                        "INSERT INTO users (username, password_hash) VALUES ('ack', 'x') RETURNING user_id"
                    )
                )
            ).scalar_one()
        )


@pytest.fixture
async def proxied(
    database_url: str, backend: str
) -> AsyncIterator[tuple[LostAcknowledgement, AsyncEngine]]:
    if backend != "postgresql":
        pytest.skip("an acknowledgement lost on the way needs a network database")
    url = make_url(database_url)
    async with LostAcknowledgement(url.host or "127.0.0.1", url.port or 5432) as proxy:
        engine = create_engine(
            url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        )
        yield proxy, engine
        await engine.dispose()


def entry(user_id: int, n: int) -> LogEntry:
    return LogEntry(
        user_id=user_id,
        content_type="flashcards",
        query_text=f"topic {n}",
        target_language="es",
        event="query",
        generation_id=uuid.uuid4(),
        request_metadata={"n": n, "text": "¿qué?"},
        response_metadata={"tokens": n} if n % 2 else None,
    )


async def metadata(db: AsyncEngine) -> list[tuple[Any, Any]]:
    async with db.connect() as connection:
        found = await connection.execute(
            text(
                "SELECT request_metadata, response_metadata FROM activity_log"
                " ORDER BY timestamp, log_id"
            )
        )
        return [tuple(row) for row in found]


async def written(db: AsyncEngine) -> list[str]:
    async with db.connect() as connection:
        found = await connection.execute(
            text("SELECT query_text FROM activity_log ORDER BY timestamp, log_id")
        )
        return [row.query_text for row in found]


async def test_a_commit_whose_acknowledgement_was_lost_is_written_once_and_the_log_goes_on(
    db: AsyncEngine, proxied: tuple[LostAcknowledgement, AsyncEngine], user_id: int
) -> None:
    proxy, engine = proxied
    logger = BatchLogger(engine, batch_size=10, flush_interval_s=0.2)
    await logger.start()
    try:
        await logger.buffered_log_query(entry(user_id, 0))  # the first is written at once
        assert await written(db) == ["topic 0"]
        for n in range(1, 6):
            await logger.buffered_log_query(entry(user_id, n))
        proxy.armed = True
        assert not await logger.flush()  # committed, but the logger could not know
        assert proxy.dropped == 1
        assert await written(db) == [f"topic {n}" for n in range(6)]
        assert logger.buffered == 5  # kept, to be written again
        batches = REGISTRY.get_sample_value(BATCHES) or 0.0

        deadline = time.monotonic() + 15
        while logger.buffered and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert logger.buffered == 0, "the logger is stuck retrying the lost commit's entries"
        # In one statement that skips what the lost commit wrote: not a COPY refused on the
        # unique index, then each entry alone.
        assert REGISTRY.get_sample_value(BATCHES) == batches + 1
        for n in range(6, 9):
            await logger.buffered_log_query(entry(user_id, n))
        assert await logger.flush()
    finally:
        await logger.stop()
    assert await written(db) == [f"topic {n}" for n in range(9)]
    # What COPY sent, as JSON text for the database to read, is the entries' metadata.
    assert await metadata(db) == [
        (entry(user_id, n).request_metadata, entry(user_id, n).response_metadata) for n in range(9)
    ]


async def test_retries_back_off_and_say_so(
    database_url: str,
    backend: str,
    db: AsyncEngine,
    user_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While the database is out of reach, each failed write doubles the wait before the next
    retry (from half a second, up to 30 s), and the log says which attempt failed and when
    the next comes; the first write that goes through says how many failed before it."""
    if backend != "postgresql":
        pytest.skip("an outage needs a network database")
    url = make_url(database_url)
    proxy = TCPProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    engine = create_engine(
        url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    )
    logger = BatchLogger(engine, batch_size=10, flush_interval_s=3600)  # no background retry
    try:
        await logger.buffered_log_query(entry(user_id, 0))
        assert await written(db) == ["topic 0"]  # the first entry goes at once
        await proxy.stop()
        for n in range(1, 4):
            await logger.buffered_log_query(entry(user_id, n))
        with caplog.at_level(logging.WARNING, logger="langtutor.activity"):
            for _ in range(8):
                assert not await logger.flush()
            # A full batch waits out the backoff too: the learners' requests try no write.
            for n in range(4, 24):
                await logger.buffered_log_query(entry(user_id, n))
            failures = re.findall(r"\(attempt (\d+), retry in ([\d.]+) s\)", caplog.text)
            assert failures == [
                (str(n), f"{wait:.1f}")
                for n, wait in enumerate((0.5, 1, 2, 4, 8, 16, 30, 30), start=1)
            ]
            await proxy.start()
            assert await logger.flush()
            assert "writing again after 8 failed attempts" in caplog.text
    finally:
        await logger.stop()
        await proxy.stop()
        await engine.dispose()
    assert await written(db) == [f"topic {n}" for n in range(24)]
