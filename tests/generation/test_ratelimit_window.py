"""The PostgreSQL rate limit's window slides, through the real HTTP app and database: a call
older than a minute no longer counts, so a learner who filled the window can generate again
as soon as their oldest call has aged out, and is told how long to wait until then. The
stored calls are aged in the table rather than waited for."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import AppFactory
from tests.factories import user_with_token
from tests.fakellm import FakeLLM


async def generate(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/generate/flashcards", headers=headers, json={"query": "tapas", "count": 1}
    )


async def age(db: AsyncEngine, seconds: float, *, calls: int = 2) -> None:
    """Make the learner's `calls` oldest stored calls `seconds` older."""
    statement = text(
        "UPDATE rate_limits SET calls = ARRAY("
        " SELECT CASE WHEN n <= :calls THEN at - :seconds ELSE at END"
        " FROM unnest(calls) WITH ORDINALITY AS stored(at, n) ORDER BY n)"
        " WHERE kind = 'generation'"
    )
    async with db.begin() as connection:
        await connection.execute(statement, {"calls": calls, "seconds": seconds})


def retry_after(answer: httpx.Response) -> int:
    assert answer.status_code == 429, answer.text
    return int(answer.headers["retry-after"])


async def test_the_window_slides_on_postgresql(
    app_factory: AppFactory, fake_llm: FakeLLM, db: AsyncEngine, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the window lives in the database on PostgreSQL only (else in memory)")
    settings: dict[str, Any] = {"GENERATION_RATE_PER_MINUTE": 2}
    async with app_factory(**settings) as client:
        _, headers = await user_with_token(client, default_target_language="es")
        for _ in range(2):
            assert (await generate(client, headers)).status_code == 200
        assert 55 <= retry_after(await generate(client, headers)) <= 60

        # 50 seconds on: both calls still count, and the first leaves the window in 10.
        await age(db, 50)
        assert 9 <= retry_after(await generate(client, headers)) <= 11

        # The oldest call is more than a minute old: one call may be made, not two.
        await age(db, 11, calls=1)
        assert (await generate(client, headers)).status_code == 200
        assert 8 <= retry_after(await generate(client, headers)) <= 11

        # A minute on, every call has left the window.
        await age(db, 61, calls=2)
        for _ in range(2):
            assert (await generate(client, headers)).status_code == 200
        assert 55 <= retry_after(await generate(client, headers)) <= 60
