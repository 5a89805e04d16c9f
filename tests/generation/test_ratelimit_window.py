"""The rate limit's window slides: a call older than a minute no longer counts, so a learner who
filled the window can generate again as soon as their oldest call has aged out, and is told
how long to wait until then. On PostgreSQL through the real HTTP app and database (the stored
calls are aged in the table rather than waited for); in memory (SQLite) on a test clock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.errors import TooManyRequests
from langtutor.generation.ratelimit import MemoryRateLimiter
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


class MonotonicClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_window_slides_in_memory() -> None:
    """SQLite's limiter (each process's memory) on a clock the test moves: a call leaves the
    window a minute after it was made, to the second, and a refusal says when."""
    clock = MonotonicClock()
    limiter = MemoryRateLimiter(2, "audio clips", clock=clock)
    await limiter.check(1)
    clock.now += 20
    await limiter.check(1)
    await limiter.check(2)  # another learner has a window of their own
    with pytest.raises(TooManyRequests) as refused:
        await limiter.check(1)
    assert refused.value.retry_after == 40
    assert str(refused.value) == "at most 2 audio clips per minute; try again in 40 s"

    clock.now += 39.5  # the first call is 59.5 s old: it still counts
    with pytest.raises(TooManyRequests) as refused:
        await limiter.check(1)
    assert refused.value.retry_after == 1
    clock.now += 0.5  # a minute old: it leaves the window, one call may be made
    await limiter.check(1)
    with pytest.raises(TooManyRequests):
        await limiter.check(1)
    clock.now += 61
    for _ in range(2):
        await limiter.check(1)


async def test_forgetting_idle_learners_forgets_no_one_in_their_window() -> None:
    """With more than 10,000 learners in memory, those idle for a minute are forgotten: never
    one whose window still holds calls (who could then call again at once)."""
    clock = MonotonicClock()
    limiter = MemoryRateLimiter(1, "generations", clock=clock)
    await limiter.check(0)
    for user_id in range(1, 10_001):
        await limiter.check(user_id)
    with pytest.raises(TooManyRequests):
        await limiter.check(0)
    clock.now += 60
    for user_id in range(10_001, 10_003):
        await limiter.check(user_id)  # the others are idle now, and forgotten
    await limiter.check(0)


async def test_client_windows_are_shared_and_idle_ones_forgotten(
    db: AsyncEngine, backend: str
) -> None:
    """Per-address windows (a shared set's views): two limiters (two processes) count the
    same calls on PostgreSQL, and an address idle for a minute loses its row as checks go."""
    from langtutor.generation import ratelimit

    if backend != "postgresql":
        pytest.skip("the window lives in the database on PostgreSQL only (else in memory)")
    first, second = (
        ratelimit.client_rate_limiter(db, "share_views", 2, what="views") for _ in range(2)
    )
    await first.check("203.0.113.9")
    await second.check("203.0.113.9")
    with pytest.raises(TooManyRequests):
        await first.check("203.0.113.9")
    await second.check("2001:db8::/64")  # another address has its own window
    async with db.begin() as connection:
        await connection.execute(
            text("UPDATE client_rate_limits SET calls = ARRAY[1.0] WHERE address = '203.0.113.9'")
        )
    assert isinstance(first, ratelimit.DatabaseRateLimiter)
    first.checks = ratelimit.FORGET_EVERY - 1
    await first.check("198.51.100.1")
    async with db.connect() as connection:
        left = await connection.scalars(text("SELECT address FROM client_rate_limits"))
        assert sorted(left) == ["198.51.100.1", "2001:db8::/64"]
