"""The batch logger's spool: what a process killed hard had accepted is written by the next
process to start, once; a live process's spool is never touched; of several starting at once,
one replays each file."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.activity import spool as spooling
from langtutor.activity.logger import BatchLogger
from langtutor.activity.models import ActivityLog
from langtutor.activity.spool import Spool, spool_line
from tests.activity.test_logger import entry, log

BATCHES = "langtutor_log_batches_written_total"


@pytest.fixture
async def user_id(db: AsyncEngine) -> int:
    async with db.begin() as connection:
        statement = (
            "INSERT INTO users (username, password_hash) VALUES ('spooler', 'x') RETURNING user_id"
        )
        return int((await connection.execute(text(statement))).scalar_one())


async def topics(db: AsyncEngine) -> list[str]:
    async with db.connect() as connection:
        rows = await connection.execute(text("SELECT query_text FROM activity_log ORDER BY log_id"))
        return [row[0] for row in rows]


def killed(logger: BatchLogger) -> None:
    """As the kernel ends a process killed with SIGKILL: its memory is gone, its spool's lock
    let go; nothing of its own shutdown runs."""
    assert logger.spool is not None
    assert logger._task is not None
    logger._task.cancel()
    os.close(logger.spool._fd)


@pytest.fixture
async def loggers(db: AsyncEngine) -> AsyncIterator[list[BatchLogger]]:
    started: list[BatchLogger] = []
    yield started
    for logger in started:
        if logger._task is not None and not logger._task.done():
            await logger.stop()


async def start(
    db: AsyncEngine, folder: Path, loggers: list[BatchLogger], **options: Any
) -> BatchLogger:
    logger = BatchLogger(
        db, spool=Spool(folder), **({"batch_size": 10, "flush_interval_s": 3600} | options)
    )
    loggers.append(logger)
    await logger.start()
    return logger


async def test_what_a_killed_process_held_is_written_by_the_next_one_once(
    db: AsyncEngine, user_id: int, tmp_path: Path, loggers: list[BatchLogger]
) -> None:
    first = await start(db, tmp_path, loggers)
    for n in range(25):
        await log(first, entry(user_id, n))
    assert len(await topics(db)) == 21  # the first entry at once, then two batches of 10
    assert first.buffered == 4
    assert len(first.spool.path.read_bytes().splitlines()) == 4  # released as batches commit
    killed(first)
    second = await start(db, tmp_path, loggers)
    assert await topics(db) == [f"topic {n}" for n in range(25)]
    assert [path.name for path in tmp_path.iterdir()] == [second.spool.path.name]
    await second.stop()
    assert list(tmp_path.iterdir()) == []  # everything written: the spool goes


async def test_entries_written_before_the_death_are_not_written_again(
    db: AsyncEngine, user_id: int, tmp_path: Path, loggers: list[BatchLogger]
) -> None:
    """Killed between a batch's commit and the release of its spool: the replay skips them."""
    entries = [entry(user_id, n) for n in range(6)]
    async with db.begin() as connection:
        await connection.execute(insert(ActivityLog).values([e.row() for e in entries[:4]]))
    dead = tmp_path / "elsewhere-1-dead.jsonl"
    dead.write_bytes(b"".join(spool_line(written) for written in entries) + b'{"entry_id": "torn')
    batches = REGISTRY.get_sample_value(BATCHES) or 0.0
    await start(db, tmp_path, loggers)
    assert await topics(db) == [f"topic {n}" for n in range(6)]
    assert not dead.exists()
    # In one statement that skips them, not one refused on the unique key, then each alone.
    assert REGISTRY.get_sample_value(BATCHES) == batches + 1


async def test_a_live_process_spool_is_left_alone_and_one_of_two_starters_replays_a_dead_one(
    db: AsyncEngine, user_id: int, tmp_path: Path, loggers: list[BatchLogger]
) -> None:
    alive = await start(db, tmp_path, loggers)
    await log(alive, entry(user_id, 0))  # written at once
    for n in range(1, 4):
        await log(alive, entry(user_id, n))
    dying = await start(db, tmp_path, loggers)
    await log(dying, entry(user_id, 10))
    for n in range(11, 14):
        await log(dying, entry(user_id, n))
    killed(dying)
    await asyncio.gather(start(db, tmp_path, loggers), start(db, tmp_path, loggers))
    written = await topics(db)
    assert sorted(written) == sorted(["topic 0", "topic 10", "topic 11", "topic 12", "topic 13"])
    assert alive.spool.path.exists()
    assert alive.buffered == 3
    await alive.stop()
    assert len(await topics(db)) == 8


async def test_every_dead_spool_is_replayed_wherever_it_sorts_among_the_live_ones(
    db: AsyncEngine, user_id: int, tmp_path: Path, loggers: list[BatchLogger]
) -> None:
    """Dead files named to sort before and after the live process's file and the starting
    one's own: each is replayed (a live or own file is passed over, not the end of the
    list)."""
    alive = await start(db, tmp_path, loggers)
    await log(alive, entry(user_id, 0))  # written at once
    await log(alive, entry(user_id, 1))  # waits in the live process's spool
    for name, n in (("!first.jsonl", 10), ("~last.jsonl", 20)):
        (tmp_path / name).write_bytes(spool_line(entry(user_id, n)))
    await start(db, tmp_path, loggers)
    assert sorted(await topics(db)) == ["topic 0", "topic 10", "topic 20"]
    assert alive.spool is not None
    assert alive.spool.path.exists()


async def test_a_dead_spool_is_replayed_in_batches(
    db: AsyncEngine,
    user_id: int,
    tmp_path: Path,
    loggers: list[BatchLogger],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ten entries in batches of four: three statements, each entry once."""
    monkeypatch.setattr(spooling, "REPLAY_BATCH", 4)
    dead = tmp_path / "elsewhere-1-dead.jsonl"
    dead.write_bytes(b"".join(spool_line(entry(user_id, n)) for n in range(10)))
    batches = REGISTRY.get_sample_value(BATCHES) or 0.0
    await start(db, tmp_path, loggers)
    assert await topics(db) == [f"topic {n}" for n in range(10)]
    assert REGISTRY.get_sample_value(BATCHES) == batches + 3


async def test_entries_still_waiting_when_a_batch_commits_stay_in_the_spool(
    db: AsyncEngine, user_id: int, tmp_path: Path, loggers: list[BatchLogger]
) -> None:
    """Twelve entries come before SQLite's background write of a batch of ten runs: the two
    it leaves waiting stay in the spool as that batch is released, and a process killed then
    loses none of them."""
    first = await start(db, tmp_path, loggers)
    await log(first, entry(user_id, 0))  # the first entry goes at once
    for n in range(1, 13):
        await first.buffered_log_query(entry(user_id, n))
    await first.settled()
    assert first.buffered == 2
    killed(first)
    await start(db, tmp_path, loggers)
    assert await topics(db) == [f"topic {n}" for n in range(13)]
