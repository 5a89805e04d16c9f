"""`kill -9` under load: a real `langtutor serve --workers 2` on PostgreSQL, learners
generating, every process of the server killed with SIGKILL; the server started again on the
same database and data directory writes what the dead workers held, and every generation that
was answered 200 has its `query` and `output` entries exactly once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.db import create_engine
from tests.conftest import TEST_SECRET
from tests.databases import throwaway_database
from tests.factories import user_with_token
from tests.fakellm import FakeLLM
from tests.servers import ServerProcess

LEARNERS = 40
LOAD_S = 3.0
BATCH = 100


def descendants(pid: int) -> list[int]:
    """The processes under `pid` (uvicorn's workers and their helpers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def metric(body: str, name: str) -> float:
    return float(re.search(rf"^{name} (\S+)$", body, re.MULTILINE)[1])  # type: ignore[index]


@pytest.fixture
def postgresql_url(tmp_path: Path) -> Iterator[str]:
    """Several server processes on one database: PostgreSQL's case (the spool and its replay
    on both databases: tests/activity/test_spool.py)."""
    with throwaway_database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
async def pg(postgresql_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgresql_url)
    yield engine
    await engine.dispose()


@pytest.mark.slow
async def test_kill_9_under_load_loses_no_answered_generation(
    postgresql_url: str, pg: AsyncEngine, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    db = pg
    settings = {
        "DATABASE_URL": postgresql_url,
        "SECRET_KEY": TEST_SECRET,
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": fake_llm.openai_url,
        "GENERATION_RATE_PER_MINUTE": "1000000",
        # Every learner signs up from this one address.
        "SIGNUP_RATE_PER_HOUR": "1000000",
        "LOG_BATCH_SIZE": str(BATCH),
        "LOG_FLUSH_INTERVAL_S": "3600",  # only full batches are written before the kill
        "DATA_DIR": str(tmp_path / "data"),
    }
    server = ServerProcess(settings, workers=2, log=tmp_path / "server.log").start()
    answered: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            learners = [
                await user_with_token(http, default_target_language="es") for _ in range(LEARNERS)
            ]
        # Each learner's client made before the load starts (making one takes tens of ms).
        clients = [httpx.AsyncClient(base_url=server.url, timeout=30) for _ in learners]
        started = time.monotonic()

        def loading() -> bool:
            # LOAD_S, and on a slow machine on until a few batches' worth were answered.
            elapsed = time.monotonic() - started
            return elapsed < LOAD_S or (len(answered) <= 2 * BATCH and elapsed < 5 * LOAD_S)

        async def learner(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
            async with http:
                while loading():
                    answer = await http.post(
                        "/generate/flashcards", headers=headers, json={"query": "tapas", "count": 1}
                    )
                    if answer.status_code == 200:
                        answered.append(answer.json()["generation_id"])

        await asyncio.gather(
            *(learner(http, headers) for http, (_, headers) in zip(clients, learners, strict=True))
        )
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            scraped = (await http.get("/metrics")).text
        written = metric(scraped, "langtutor_log_entries_written_total")
        batches = metric(scraped, "langtutor_log_batches_written_total")
    finally:
        assert server.proc is not None
        for pid in [*descendants(server.proc.pid), server.proc.pid]:
            os.kill(pid, signal.SIGKILL)
        server.proc.wait()
    assert len(answered) > 2 * BATCH
    # About one statement per LOG_BATCH_SIZE entries (each worker wrote its first alone).
    assert batches <= written / BATCH + 2
    async with db.connect() as connection:
        before = (await connection.execute(text("SELECT count(*) FROM activity_log"))).scalar_one()
    assert before < 2 * len(answered)  # the kill left entries unwritten, in the spools

    with ServerProcess(settings, workers=2, log=tmp_path / "again.log"):
        deadline = time.monotonic() + 30
        while True:  # each new worker replays the dead spools it claims, as it starts
            async with db.connect() as connection:
                rows = (
                    await connection.execute(
                        text(
                            "SELECT generation_id::text, event, count(*) FROM activity_log GROUP BY 1, 2"
                        )
                    )
                ).all()
            counts = {(generation, event): n for generation, event, n in rows}
            if all((g, "output") in counts for g in answered) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    for generation in answered:
        assert counts.get((generation, "query")) == 1, generation
        assert counts.get((generation, "output")) == 1, generation
    assert all(n == 1 for n in counts.values())
    assert list((tmp_path / "data" / "spool").glob("*.jsonl")) == []  # all replayed, then gone
