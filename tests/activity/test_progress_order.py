"""What `/progress` reports of a day of answers and outputs, through the real HTTP app and
database: accuracy to four places (per day and per type), the weakest exercises in order (the
lowest mean first; on a tie the most attempted, then the latest answered; none answered right
every time; an exercise keyed by its generation, or by its saved set), and the ten topics
most asked for (on a tie, in alphabetical order); the days are the app's clock's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.activity.models import ActivityLog
from tests.clock import controlled_clock
from tests.factories import user_with_token

SET = uuid.UUID(int=42)


async def test_accuracy_weakest_exercises_and_topics_in_order(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    user, headers = await user_with_token(client)
    start = datetime.now(UTC).replace(hour=0, minute=1, second=0, microsecond=0)
    moment = iter(start + timedelta(seconds=n) for n in range(100))

    def entry(event: str, query: str, **fields: Any) -> dict[str, Any]:
        return {
            "user_id": user["user_id"],
            "timestamp": next(moment),
            "event": event,
            "content_type": "exercises",
            "query_text": query,
            "target_language": "es",
            "base_language": "en",
            "generation_id": None,
            "score": None,
            "request_metadata": None,
        } | fields  # the same keys in every row: one INSERT for all

    def answer(index: int, score: float) -> dict[str, Any]:
        return entry(
            "answer",
            f"prompt {index}",
            generation_id=SET,
            score=score,
            request_metadata={"item_index": index, "expected": "x", "answer": f"a{index}"},
        )

    entries = [entry("output", topic) for topic in ("tapas", "mercado", "Tapas.", "zoco", "bar")]
    # Exercise: scores. 0 and 1 (means 0.5, 0.5, attempts 2 and 1), 2 and 3 (wrong once,
    # 3 later), 4 and 5 (right every time), 6 (0.5 once, after 1), 7 (a mean of 1/6).
    scored = [(0, 0.5), (1, 0.5), (0, 0.5), (2, 0.0), (3, 0.0), (4, 1.0), (5, 1.0), (5, 1.0)]
    scored += [(7, 0.0), (7, 0.5), (7, 0.0)]
    entries += [answer(index, score) for index, score in scored + [(6, 0.5)]]
    async with db.begin() as connection:
        await connection.execute(insert(ActivityLog), entries)

    report = (await client.get("/progress", headers=headers, params={"days": 1})).json()
    (today,) = report["per_day"]
    assert (today["answers"], today["accuracy"]) == (12, 0.4583)
    assert report["accuracy"]["exercises"] == {
        "answers": 12,
        "correct": 3,
        "almost": 5,
        "wrong": 4,
        "mean_score": 0.4583,
    }
    assert report["accuracy"]["flashcards"] == {
        "answers": 0,
        "correct": 0,
        "almost": 0,
        "wrong": 0,
        "mean_score": None,
    }
    weakest = [
        (item["prompt"], item["attempts"], item["mean_score"], item["last_answer"])
        for item in report["weakest_items"]
    ]
    assert weakest == [
        ("prompt 3", 1, 0.0, "a3"),
        ("prompt 2", 1, 0.0, "a2"),
        ("prompt 7", 3, 0.1667, "a7"),
        ("prompt 0", 2, 0.5, "a0"),
        ("prompt 6", 1, 0.5, "a6"),
        ("prompt 1", 1, 0.5, "a1"),
    ]
    first = report["weakest_items"][0]
    assert (first["item_index"], first["generation_id"], first["expected"]) == (3, str(SET), "x")
    assert first["saved_content_id"] is None
    assert report["top_topics"] == [
        {"topic": "tapas", "count": 2},
        {"topic": "bar", "count": 1},
        {"topic": "mercado", "count": 1},
        {"topic": "zoco", "count": 1},
    ]


async def test_the_ten_top_topics_and_a_saved_sets_exercise_on_the_apps_day(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """A day in March, as the app's clock tells it (not the machine's): of twelve topics the
    ten most asked for, and an exercise of a saved set (no generation) among the weakest."""
    user, headers = await user_with_token(client)
    day = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    topics = ["tapas", "tapas", *(f"topic {n:02}" for n in range(11))]
    rows = [
        {
            "user_id": user["user_id"],
            "timestamp": day + timedelta(minutes=n),
            "event": "output",
            "content_type": "flashcards",
            "query_text": topic,
            "target_language": "es",
            "base_language": "en",
            "generation_id": None,
            "score": None,
            "request_metadata": None,
        }
        for n, topic in enumerate(topics)
    ]
    rows.append(
        rows[0]
        | {
            "event": "answer",
            "content_type": "exercises",
            "query_text": "Voy ___ mercado.",
            "score": 0.0,
            "request_metadata": {"item_index": 3, "saved_content_id": 9, "answer": "el"},
        }
    )
    async with db.begin() as connection:
        await connection.execute(insert(ActivityLog), rows)

    with controlled_clock(app, day + timedelta(hours=8)):
        report = (await client.get("/progress", headers=headers, params={"days": 1})).json()
    assert [counts["date"] for counts in report["per_day"]] == ["2026-03-10"]
    assert report["top_topics"] == [{"topic": "tapas", "count": 2}] + [
        {"topic": f"topic {n:02}", "count": 1} for n in range(9)
    ]
    (weak,) = report["weakest_items"]
    assert (weak["saved_content_id"], weak["item_index"], weak["generation_id"]) == (9, 3, None)
