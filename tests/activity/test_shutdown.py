"""A real `langtutor serve` process loses no activity-log entry when it gets SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_SECRET
from tests.factories import user_with_token
from tests.fakellm import FakeLLM
from tests.servers import ServerProcess

GENERATIONS = 250


async def count(db: AsyncEngine) -> int:
    async with db.connect() as connection:
        return int(
            (await connection.execute(text("SELECT count(*) FROM activity_log"))).scalar_one()
        )


@pytest.mark.slow
async def test_sigterm_flushes_every_entry(
    database_url: str, backend: str, db: AsyncEngine, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": fake_llm.openai_url,
        "LOG_FLUSH_INTERVAL_S": "3600",  # only batches and the shutdown flush write
        "GENERATION_RATE_PER_MINUTE": "100000",
        "MODEL_CALLS_PER_LEARNER": "100",  # one learner's calls, all at once
    }
    server = ServerProcess(settings, log=tmp_path / "server.log").start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            _, headers = await user_with_token(http, default_target_language="es")
            gate = asyncio.Semaphore(25)

            async def one(n: int) -> int:
                async with gate:
                    answer = await http.post(
                        "/generate/flashcards",
                        headers=headers,
                        json={"query": f"topic {n}", "count": 1},
                    )
                    return answer.status_code

            statuses = await asyncio.gather(*(one(n) for n in range(GENERATIONS)))
        assert statuses == [200] * GENERATIONS
        # The first entry, then four batches of 100; the rest still buffered. On SQLite the
        # writes run in the background, a moment after the answers, and the first one takes
        # whatever else arrived meanwhile (at most the other 24 requests' entries).
        deadline = time.monotonic() + 10
        while (before := await count(db)) < 401 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        assert await count(db) == before
        assert before == 401 if backend == "postgresql" else 401 <= before <= 425
    finally:
        exit_code = server.terminate()
    log = (tmp_path / "server.log").read_text()
    # uvicorn shuts down gracefully, then re-raises the signal it caught: -SIGTERM is clean.
    assert exit_code in (0, -signal.SIGTERM), log
    assert "Application shutdown complete" in log
    async with db.connect() as connection:
        events = dict(
            (
                await connection.execute(
                    text("SELECT event, count(*) FROM activity_log GROUP BY event")
                )
            ).all()
        )
        distinct = (
            await connection.execute(
                text(
                    "SELECT count(*) FROM (SELECT DISTINCT generation_id, event FROM activity_log) AS pairs"
                )
            )
        ).scalar_one()
    assert events == {"query": GENERATIONS, "output": GENERATIONS}
    assert distinct == 2 * GENERATIONS
