"""The streak counts any day of study, not only days with a generation: a review, a checked
answer, a set gone through, an archived day; on both databases, through the real HTTP app."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.activity.days import DaySummary
from langtutor.activity.models import ActivityDay
from langtutor.db import utcnow
from langtutor.progress import STREAK_LOOKBACK_DAYS
from tests.factories import user_with_token

CARDS = {
    "cards": [
        {"front": "la manzana", "back": "the apple"},
        {"front": "la pera", "back": "the pear"},
    ]
}
EXERCISES = {
    "exercises": [
        {"type": "fill_in_the_blank", "prompt": "La ___ es roja.", "answer": "manzana"},
        {"type": "fill_in_the_blank", "prompt": "Una ___ verde.", "answer": "pera"},
    ]
}


async def save(client: httpx.AsyncClient, headers: dict[str, str], kind: str, content: dict) -> int:
    answer = await client.post(
        "/content/save",
        headers=headers,
        json={"content_type": kind, "original_query": "fruit", "content_data": content},
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["saved_content_id"])


async def streak(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    progress = (await client.get("/progress", headers=headers)).json()
    assert progress["all_time_totals"] == {"flashcards": 0, "exercises": 0, "simulation": 0}
    return int(progress["streak_days"])


async def test_a_day_with_only_a_review_counts(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    _, headers = await user_with_token(client)
    await save(client, headers, "flashcards", CARDS)
    assert await streak(client, headers) == 0
    card = (await client.get("/review/queue", headers=headers)).json()["cards"][0]
    assert (
        await client.post(f"/review/{card['card_id']}", headers=headers, json={"rating": 3})
    ).status_code == 200
    assert await streak(client, headers) == 1
    # Yesterday's review and today's: two days in a row.
    async with db.begin() as connection:
        await connection.execute(
            text("UPDATE review_logs SET reviewed_at = :t"),
            {"t": utcnow() - timedelta(days=1)},
        )
    second = (await client.get("/review/queue", headers=headers)).json()["cards"][0]
    await client.post(f"/review/{second['card_id']}", headers=headers, json={"rating": 3})
    assert await streak(client, headers) == 2


async def test_a_day_with_only_an_exercise_check_or_a_finished_set_counts(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client)
    exercises = await save(client, headers, "exercises", EXERCISES)
    checked = await client.post(
        "/exercises/check",
        headers=headers,
        json={"saved_content_id": exercises, "item_index": 0, "answer": "manzana"},
    )
    assert checked.status_code == 200
    assert await streak(client, headers) == 1

    _, other = await user_with_token(client)
    deck = await save(client, other, "flashcards", CARDS)
    assert await streak(client, other) == 0
    studied = await client.post(
        f"/content/{deck}/study", headers=other, json={"position": 1, "finished": True}
    )
    assert studied.status_code == 204
    assert await streak(client, other) == 1
    item = (await client.get(f"/content/{deck}", headers=other)).json()
    assert item["last_studied_at"] is not None
    # Another learner's set is not theirs to record.
    assert (
        await client.post(f"/content/{deck}/study", headers=headers, json={"finished": True})
    ).status_code == 404


async def test_a_streak_counts_back_a_year_and_a_day_at_most(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """Archived days (one a day for over a year, each with an output): the streak reads back
    `STREAK_LOOKBACK_DAYS` before today, the first of them included, and no further; the
    all-time totals count every archived day."""
    user, headers = await user_with_token(client)
    today = utcnow().date()
    summary = DaySummary(outputs=Counter({"flashcards": 1})).as_json()
    days = [today - timedelta(days=n) for n in range(STREAK_LOOKBACK_DAYS + 5)]
    async with db.begin() as connection:
        await connection.execute(
            insert(ActivityDay),
            [{"user_id": user["user_id"], "day": day, "summary": summary} for day in days],
        )
    progress = (await client.get("/progress", headers=headers, params={"tz": "UTC"})).json()
    assert progress["streak_days"] == STREAK_LOOKBACK_DAYS + 1
    assert progress["all_time_totals"]["flashcards"] == len(days)
