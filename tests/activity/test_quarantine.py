"""No poison pill in the activity log: an entry that the database refuses for its data (text
with NUL on PostgreSQL, a lone surrogate that no UTF-8 text holds on SQLite) holds up none of
the entries behind it, live or replayed from a dead process's spool; after a bounded number of
tries alone it is set aside in `activity_quarantine` (a metric, an error in the log), where an
operator lists, writes again or removes it. An outage still keeps everything in order
(tests/activity/test_logger.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from langtutor.activity import quarantine as quarantine_module
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.activity.spool import Spool, ascii_json, read_entries, spool_line
from langtutor.cli import app as cli_app
from langtutor.config import get_settings
from tests.activity.test_logger import entry, log
from tests.activity.test_spool import topics
from tests.factories import saved_flashcards, user_with_token

QUARANTINED = "langtutor_log_entries_quarantined_total"
DROPPED = "langtutor_log_entries_dropped_total"


@pytest.fixture
def poison(backend: str) -> str:
    """Text this database refuses: NUL for PostgreSQL, a lone surrogate for SQLite (which
    stores NUL)."""
    return "topic \x00 poisoned" if backend == "postgresql" else "topic \ud800 poisoned"


@pytest.fixture
async def user_id(db: AsyncEngine) -> int:
    async with db.begin() as connection:
        statement = (
            "INSERT INTO users (username, password_hash) VALUES ('q', 'x') RETURNING user_id"
        )
        return int((await connection.execute(text(statement))).scalar_one())


async def quarantine(db: AsyncEngine) -> list[Any]:
    async with db.connect() as connection:
        rows = await connection.execute(
            text("SELECT user_id, event, tries, error, entry FROM activity_quarantine")
        )
        return list(rows)


async def until(check: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.05)


def quarantined_count() -> float:
    return REGISTRY.get_sample_value(QUARANTINED) or 0.0


@pytest.fixture
async def spooled(db: AsyncEngine, tmp_path: Path) -> AsyncIterator[BatchLogger]:
    logger = BatchLogger(db, batch_size=10, flush_interval_s=3600, spool=Spool(tmp_path))
    await logger.start()
    yield logger
    if logger._task is not None:
        await logger.stop()


async def test_a_refused_entry_holds_up_no_one_and_is_set_aside(
    db: AsyncEngine,
    spooled: BatchLogger,
    user_id: int,
    poison: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = spooled
    before = quarantined_count()
    await log(logger, entry(user_id, 0))  # the first entry goes at once
    bad = entry(user_id, 4)
    bad.query_text = poison
    for n in range(1, 10):
        await log(logger, bad if n == 4 else entry(user_id, n))
    with caplog.at_level(logging.WARNING, logger="langtutor.activity"):
        await log(logger, entry(user_id, 10))  # a full batch: written, but for the bad one
        # The entries behind it are in, in order, at once; the bad one waits aside.
        assert await topics(db) == [f"topic {n}" for n in range(11) if n != 4]
        assert logger.buffered == 0
        assert "refused entry" in caplog.text
        # While it waits aside, the spool keeps it (once) for a next start, should this
        # process die.
        assert logger.spool is not None
        spooled_ids = [item.entry_id for item in read_entries(logger.spool.path)]
        assert spooled_ids.count(bad.entry_id) == 1
        # Tried again alone, a second apart; the third refusal sets it aside.
        await until(lambda: _count(db))
        assert "set aside in activity_quarantine" in caplog.text
    ((owner, event, tries, error, row),) = await quarantine(db)
    assert (owner, event, tries) == (user_id, "query", 3)
    assert error  # the database's words
    assert str(bad.entry_id) in row
    assert quarantined_count() == before + 1
    assert logger.spool is not None
    assert logger.spool.path.read_bytes() == b""  # nothing waits: the spool started over
    # The log goes on.
    await logger.buffered_log_query(entry(user_id, 11))
    assert await logger.flush()
    assert (await topics(db))[-1] == "topic 11"


async def _count(db: AsyncEngine) -> bool:
    return len(await quarantine(db)) == 1


async def test_a_refused_entry_at_shutdown_is_set_aside_not_kept_waiting(
    db: AsyncEngine, user_id: int, poison: str, tmp_path: Path
) -> None:
    logger = BatchLogger(db, batch_size=3, flush_interval_s=3600, spool=Spool(tmp_path))
    await logger.start()
    bad = entry(user_id, 1)
    bad.query_text = poison
    for item in (entry(user_id, 0), bad, entry(user_id, 2), entry(user_id, 3)):
        await log(logger, item)
    await logger.stop()
    assert await topics(db) == ["topic 0", "topic 2", "topic 3"]
    assert [row.tries for row in await quarantine(db)] == [2]
    assert list(tmp_path.iterdir()) == []  # nothing left for the next start


def dead_spool(folder: Path, entries: list[LogEntry]) -> Path:
    """What a process killed hard left: a spool file nobody holds."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "elsewhere-1-dead.jsonl"
    path.write_bytes(b"".join(spool_line(item) for item in entries))
    return path


async def test_a_refused_entry_in_a_dead_spool_holds_up_neither_the_replay_nor_the_next_start(
    app_factory: Any,
    fake_llm_settings: dict[str, object],
    db: AsyncEngine,
    poison: str,
    tmp_path: Path,
) -> None:
    """A process died holding another learner's entries and one the database refuses (as a
    server before this fix could: a NUL from the model). The next start writes the others,
    sets the bad one aside, and the log goes on for everyone."""
    data = tmp_path / "data"
    settings = fake_llm_settings | {"DATA_DIR": str(data)}
    async with app_factory(**settings) as client:
        asker, asker_headers = await user_with_token(client, default_target_language="es")
        other, other_headers = await user_with_token(client, default_target_language="es")
    bad = entry(asker["user_id"], 1)
    bad.query_text = poison
    left = [entry(other["user_id"], 0), bad, entry(other["user_id"], 2)]
    path = dead_spool(data / "spool", left)
    async with app_factory(**settings) as client:
        items = (await client.get("/activity", headers=other_headers)).json()["items"]
        assert sorted(item["query_text"] for item in items) == ["topic 0", "topic 2"]
        assert not path.exists()
        # The bad one waits aside in this process's own spool: were it to die too, the
        # start after would have it.
        (own,) = (data / "spool").iterdir()
        assert bad.entry_id in {item.entry_id for item in read_entries(own)}
        await until(lambda: _count(db))
        ((owner, _, _, _, row),) = await quarantine(db)
        assert owner == asker["user_id"]
        assert str(bad.entry_id) in row
        # A fresh generation of anyone's is there to save.
        await saved_flashcards(client, other_headers, 3)
        await saved_flashcards(client, asker_headers, 3)
    assert list((data / "spool").iterdir()) == []


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LANGTUTOR_DATABASE_URL", database_url)
    monkeypatch.setenv("LANGTUTOR_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LANGTUTOR_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def cli(*args: str) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, ["activity", "quarantine", *args])
    assert result.exit_code == 0, result.output
    return result.output


async def test_the_operator_lists_retries_and_purges_the_quarantine(
    db: AsyncEngine, user_id: int, poison: str, cli_env: Any
) -> None:
    assert "nothing set aside" in await cli("list")
    logger = BatchLogger(db, batch_size=10, flush_interval_s=3600)
    await logger.start()
    for n in range(3):
        bad = entry(user_id, n)
        bad.query_text = f"{poison} {n}"
        await log(logger, bad)
    await logger.stop()  # refused, tried again at shutdown, set aside
    assert await topics(db) == []
    listed = await cli("list", "--limit", "2")
    assert listed.startswith("3 entries set aside in activity_quarantine, the latest 2:")
    assert f"user {user_id}" in listed
    assert "after 2 tries" in listed
    # The text as a JSON string in ASCII: what the database refused is shown, escaped.
    assert json.dumps(f"{poison} 2") in listed
    numbers = [line.split()[0][1:] for line in listed.splitlines() if line.startswith("#")]
    assert len(numbers) == 2
    as_json = json.loads(await cli("list", "--json"))
    assert as_json["total"] == 3
    assert as_json["items"][0]["entry"]["user_id"] == user_id

    # Written again without what the database cannot store; it leaves the quarantine.
    assert "written: 1, still refused: 0" in await cli("retry", "--id", numbers[0])
    assert await topics(db) == ["topic  poisoned 2"]
    assert len(await quarantine(db)) == 2
    result = await asyncio.to_thread(
        CliRunner().invoke, cli_app, ["activity", "quarantine", "purge"]
    )
    assert result.exit_code == 2  # neither --id nor --all
    assert "removed: 1" in await cli("purge", "--id", numbers[1])
    assert "removed: 1" in await cli("purge", "--all")
    assert await quarantine(db) == []


async def test_a_replay_writes_alone_without_refusing_what_was_written_before_the_death(
    db: AsyncEngine, user_id: int, poison: str, tmp_path: Path
) -> None:
    """A dead spool's batch that the database refuses (one bad entry) is written entry by
    entry: those the dead process had written already are skipped, not refused and set
    aside; only the bad one is."""
    entries = [entry(user_id, n) for n in range(4)]
    entries[2].query_text = poison
    first = BatchLogger(db, batch_size=10, flush_interval_s=3600)
    await first.start()
    for item in entries[:2]:  # written, then the process died before its spool let go
        await log(first, item)
    await first.flush()
    await first.stop()
    dead_spool(tmp_path, entries)
    logger = BatchLogger(db, batch_size=10, flush_interval_s=3600, spool=Spool(tmp_path))
    await logger.start()
    assert await topics(db) == ["topic 0", "topic 1", "topic 3"]
    await logger.stop()  # the bad one tried once more, then set aside
    assert [row.entry for row in await quarantine(db)] == [ascii_json(entries[2])]


async def test_entries_refused_aside_count_against_the_bound_of_the_buffer(
    db: AsyncEngine, user_id: int, poison: str
) -> None:
    """What waits aside is held in memory too: with one entry aside and a bound of three,
    two more are buffered and the next is dropped."""
    logger = BatchLogger(db, batch_size=10, flush_interval_s=3600, buffer_max=3)
    await logger.start()
    try:
        await log(logger, entry(user_id, 0))  # the first entry goes at once
        bad = entry(user_id, 1)
        bad.query_text = poison
        await logger.buffered_log_query(bad)
        assert await logger.flush()  # refused on its own: it waits aside
        assert logger.buffered == 0
        dropped = REGISTRY.get_sample_value(DROPPED) or 0.0
        for n in range(2, 5):
            await logger.buffered_log_query(entry(user_id, n))
        assert logger.buffered == 2
        assert REGISTRY.get_sample_value(DROPPED) == dropped + 1
    finally:
        await logger.stop()


async def test_a_flush_when_the_entry_aside_is_due_writes_the_buffer_too(
    db: AsyncEngine, user_id: int, poison: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that wants its entries written (read-your-writes) at the moment the entry
    aside is due for another try: that try comes first, then the buffer is written."""
    monkeypatch.setattr(quarantine_module, "RETRY_REFUSED_S", 0.0)  # due at every flush
    logger = BatchLogger(db, batch_size=10, flush_interval_s=3600)
    await logger.start()
    try:
        await log(logger, entry(user_id, 0))  # the first entry goes at once
        bad = entry(user_id, 1)
        bad.query_text = poison
        await logger.buffered_log_query(bad)
        assert await logger.flush()  # refused on its own: it waits aside
        await logger.buffered_log_query(entry(user_id, 2))
        assert await logger.flush()
        assert await topics(db) == ["topic 0", "topic 2"]
    finally:
        await logger.stop()
