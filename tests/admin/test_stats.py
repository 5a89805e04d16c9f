"""The console's figures on both databases: `/admin/stats` and `/admin/health` from seeded
log and review entries on days of their own (settled days read once, today read again),
and the figures of real generations against the Prometheus metrics they must agree with."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import Metric
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from langtutor import metrics
from langtutor.activity.models import ActivityLog
from langtutor.db import utcnow
from langtutor.deps import request_time
from langtutor.review.models import ReviewCard, ReviewLog
from tests.admin.operators import operator_headers
from tests.conftest import AppFactory
from tests.factories import login, register
from tests.fakellm import FakeLLM
from tests.generation.test_routes import generate

TODAY = utcnow().date()
NOW = datetime.combine(TODAY, time(12), UTC)


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"ADMIN_FIGURES_CACHE_S": 0}


def at(days_ago: int, hour: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), UTC)


def entry(user_id: int, stamp: datetime, event: str, **metadata: Any) -> ActivityLog:
    return ActivityLog(
        user_id=user_id,
        timestamp=stamp,
        content_type="flashcards",
        query_text="tapas",
        target_language="es",
        base_language="en",
        generation_id=uuid.uuid4(),
        event=event,
        response_metadata=({"provider": "openai"} | metadata) if metadata else None,
    )


async def review(session: AsyncSession, user_id: int, stamp: datetime) -> None:
    card = ReviewCard(user_id=user_id, source="flashcard", front="la tapa", back="the snack")
    session.add(card)
    await session.flush()
    session.add(
        ReviewLog(
            card_id=card.card_id,
            user_id=user_id,
            rating=3,
            reviewed_at=stamp,
            interval_days=1,
            elapsed_days=0,
            stability_after=1.0,
            difficulty_after=5.0,
            state_before=1,
            due_before=stamp,
        )
    )


async def seed(db: AsyncEngine, client: httpx.AsyncClient) -> dict[str, int]:
    """Four learners over the last 9 days (see each line)."""
    ids = {name: (await register(client))["user_id"] for name in "ABCD"}
    a, b, c, d = ids["A"], ids["B"], ids["C"], ids["D"]
    async with AsyncSession(db) as session:
        session.add_all(
            [
                entry(d, at(8, 10), "output", model="m1", latency_ms=700),
                entry(a, at(2, 10), "output", model="m1", latency_ms=1000),
                entry(a, at(2, 10), "answer"),
                entry(b, at(2, 11), "error", model="m1", latency_ms=200, error="rate_limited"),
                entry(a, at(1, 18), "output", model="m2", latency_ms=3000,
                      quality={"language_mismatch": True}),
                entry(b, at(0, 8), "output", model="m1", latency_ms=12345),
                entry(c, at(0, 9), "answer"),
            ]
        )  # fmt: skip
        await review(session, c, at(2, 9))
        await session.commit()
    return ids


def clock(app: FastAPI, now: datetime) -> None:
    async def fixed() -> datetime:
        return now

    app.dependency_overrides[request_time] = fixed


async def test_stats_per_day_and_week(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    headers = await operator_headers(client, db)
    await seed(db, client)
    clock(app, NOW)
    answer = await client.get("/admin/stats", headers=headers, params={"days": 7})
    assert answer.status_code == 200, answer.text
    stats = answer.json()
    days = {day["date"]: day for day in stats["per_day"]}
    assert list(days) == [(TODAY - timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    two_ago = days[(TODAY - timedelta(days=2)).isoformat()]
    assert two_ago == {
        "date": two_ago["date"],
        "active_learners": 3,  # A, B and C (a review)
        "generations": 2,
        "answers": 1,
        "reviews": 1,
        "model_errors": 1,
        "latency_p50_ms": 200,
        "latency_p95_ms": 1000,
    }
    today = days[TODAY.isoformat()]
    assert (today["active_learners"], today["generations"], today["answers"]) == (2, 1, 1)
    assert today["latency_p50_ms"] == 12300  # three significant figures
    assert (stats["generations"], stats["answers"], stats["reviews"]) == (4, 2, 1)
    assert stats["model_errors"] == 1
    assert stats["per_week"] == expected_weeks(TODAY - timedelta(days=6))


def expected_weeks(first: date) -> list[dict[str, Any]]:
    """Who was active in each week (from Monday) the period touches, as seeded."""
    active = {"A": [2, 1], "B": [2, 0], "C": [2, 0], "D": [8]}
    weeks = []
    monday = first - timedelta(days=first.weekday())
    while monday <= TODAY:
        learners = {
            name
            for name, days_ago in active.items()
            for n in days_ago
            if monday <= TODAY - timedelta(days=n) < monday + timedelta(days=7)
        }
        weeks.append({"week_start": monday.isoformat(), "active_learners": len(learners)})
        monday += timedelta(days=7)
    return weeks


async def test_health_over_24_hours_and_30_days(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    headers = await operator_headers(client, db)
    await seed(db, client)
    clock(app, NOW)
    health = (await client.get("/admin/health", headers=headers)).json()
    day = {row["model"]: row for row in health["last_24_hours"]}
    assert day["m2"]["language_reasks"] == 1
    assert day["m2"]["generations"] == 1
    assert day["m1"]["generations"] == 1
    assert day["m1"]["latency_p50_ms"] == 12300
    month = health["last_30_days"]
    assert month[0] == {
        "provider": "openai",
        "model": "m1",
        "generations": 4,
        "errors": 1,
        "error_rate": 0.25,
        "rate_limited": 1,
        "language_reasks": 0,
        "latency_p50_ms": 700,
        "latency_p95_ms": 12300,
    }
    assert month[1]["model"] == "m2"


async def test_settled_days_are_read_once_and_today_every_time(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine, app_factory: AppFactory
) -> None:
    headers = await operator_headers(client, db)
    ids = await seed(db, client)
    clock(app, NOW)

    async def generations(http: httpx.AsyncClient) -> list[int]:
        answer = await http.get("/admin/stats", headers=headers, params={"days": 3})
        return [day["generations"] for day in answer.json()["per_day"]]

    assert await generations(client) == [2, 1, 1]
    async with AsyncSession(db) as session:
        session.add_all(
            [
                entry(ids["A"], at(2, 12), "output", model="m1", latency_ms=1),
                entry(ids["A"], at(0, 10), "output", model="m1", latency_ms=1),
            ]
        )
        await session.commit()
    assert await generations(client) == [2, 1, 2]  # the settled day as it was read
    async with app_factory(ADMIN_FIGURES_CACHE_S=0) as fresh:
        assert (await generations(fresh))[0] == 3  # another process reads it anew


def samples(metric: Any) -> Iterator[tuple[str, dict[str, str], float]]:
    family: Metric
    for family in metric.collect():
        for sample in family.samples:
            yield sample.name, sample.labels, sample.value


def snapshot() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for metric in (metrics.GENERATIONS, metrics.GENERATION_QUALITY, metrics.GENERATION_SECONDS):
        for name, labels, value in samples(metric):
            found[(name, tuple(sorted(labels.items())))] = value
    return found


def delta(before: dict[Any, float], after: dict[Any, float], name: str, **labels: str) -> float:
    """The change of every sample of `name` whose labels include `labels`."""
    return sum(
        value - before.get(key, 0.0)
        for key, value in after.items()
        if key[0] == name and labels.items() <= dict(key[1]).items()
    )


async def test_the_figures_agree_with_the_prometheus_metrics(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine, fake_llm: FakeLLM
) -> None:
    headers = await operator_headers(client, db)
    learner = await register(client, default_target_language="es")
    learner_headers = await login(client, learner["username"])
    before = snapshot()
    fake_llm.then("delay", 0.3).then("delay", 0.3).then("delay", 0.3)
    for _ in range(3):
        assert (await generate(client, learner_headers)).status_code == 200
    fake_llm.then("http_429")
    assert (await generate(client, learner_headers)).status_code == 503
    fake_llm.then("french")  # asked again, then served
    assert (await generate(client, learner_headers)).status_code == 200
    fake_llm.then("french").then("french")
    assert (await generate(client, learner_headers)).status_code == 502
    after = snapshot()
    await app.state.runtime.activity.flush()

    health = (await client.get("/admin/health", headers=headers)).json()
    (row,) = health["last_24_hours"]
    assert row["model"] == "fake-model"
    assert row["provider"] == "openai"
    assert row["generations"] == delta(before, after, "langtutor_generations_total") == 6
    ok = delta(before, after, "langtutor_generations_total", outcome="ok")
    assert row["errors"] == 6 - ok == 2
    assert row["rate_limited"] == delta(
        before, after, "langtutor_generations_total", outcome="rate_limited"
    )
    quality = "langtutor_generation_quality_total"
    reasks = delta(before, after, quality, outcome="reasked_language") + delta(
        before, after, quality, outcome="wrong_language"
    )
    assert row["language_reasks"] == reasks == 2
    for share, field in ((0.5, "latency_p50_ms"), (0.95, "latency_p95_ms")):
        low, high = bucket_of(before, after, share)
        assert low <= row[field] / 1000 <= high, (field, row[field], low, high)
    assert health["last_30_days"] == health["last_24_hours"]


def bucket_of(
    before: dict[Any, float], after: dict[Any, float], share: float
) -> tuple[float, float]:
    """The bounds of the histogram bucket that holds this share of the generations' times."""
    name = "langtutor_generation_seconds_bucket"
    bounds = sorted({float(dict(key[1])["le"]) for key in after if key[0] == name})
    total = delta(before, after, name, le="+Inf")
    rank = math.ceil(share * total)
    low = 0.0
    for bound in bounds:
        label = "+Inf" if bound == math.inf else str(bound)
        if delta(before, after, name, le=label) >= rank:
            return low, bound
        low = bound
    raise AssertionError("no bucket")
