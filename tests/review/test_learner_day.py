"""The learner's day in the middle of their own time zone, through the real HTTP app and
database: learners in Madrid (UTC+1 in winter) and Kolkata (UTC+5:30), whose evenings and
early mornings fall on other dates, or other hours, in UTC.

- "Due today" ends when the learner's day ends: 4 a.m. local time (the review day rolls over
  then, as in Anki), never at a UTC hour.
- Reviews count for the learner's local day: the review statistics by that 4 a.m. day, the
  progress report and its streak by the local date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.review.models import ReviewCard
from tests.clock import Clock
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM

ZONES = ["Europe/Madrid", "Asia/Kolkata"]
EASY = 4


def local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """A local time, in UTC as the app's clock tells it."""
    return datetime.combine(day, time(hour, minute), zone).astimezone(UTC)


async def learner_with_cards(
    client: httpx.AsyncClient, zone: ZoneInfo, count: int
) -> tuple[dict[str, str], list[int]]:
    """A learner whose profile is in `zone`, with `count` new cards."""
    _, headers = await user_with_token(client, default_target_language="es")
    changed = await client.patch("/users/me", headers=headers, json={"timezone": str(zone)})
    assert changed.status_code == 200, changed.text
    await saved_flashcards(client, headers, count)
    queue = (await client.get("/review/queue", headers=headers)).json()
    return headers, [card["card_id"] for card in queue["cards"]]


async def rate(
    client: httpx.AsyncClient, headers: dict[str, str], card_id: int, rating: int = EASY
) -> None:
    answer = await client.post(f"/review/{card_id}", headers=headers, json={"rating": rating})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("zone_name", ZONES)
async def test_due_today_ends_when_the_learners_day_ends(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine, zone_name: str
) -> None:
    """At 23:30 local time, "due today" holds the card due at 10:00 and the one due at 02:00
    tomorrow (still today until 4 a.m.), not the one due at 04:30 tomorrow: in UTC, the
    learner's day ends at 03:00 (Madrid) or at 22:30 the evening before (Kolkata)."""
    zone = ZoneInfo(zone_name)
    today = date(2026, 11, 20)
    tomorrow = today + timedelta(days=1)
    clock.now = local(today, 9, 0, zone)
    headers, cards = await learner_with_cards(client, zone, 3)
    for card_id in cards:
        await rate(client, headers, card_id)  # Easy: in the review state, due days away
    due = {
        cards[0]: local(today, 10, 0, zone),
        cards[1]: local(tomorrow, 2, 0, zone),
        cards[2]: local(tomorrow, 4, 30, zone),
    }
    async with db.begin() as connection:
        for card_id, moment in due.items():
            await connection.execute(
                update(ReviewCard).where(ReviewCard.card_id == card_id).values(due=moment)
            )

    clock.now = local(today, 23, 30, zone)
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert queue["due_count"] == 2
    assert [card["card_id"] for card in queue["cards"]] == cards[:2]
    stats = (await client.get("/review/stats", headers=headers)).json()
    assert stats["due_today"] == 2
    assert stats["forecast"][:2] == [
        {"date": today.isoformat(), "count": 2},
        {"date": tomorrow.isoformat(), "count": 1},
    ]

    # At 04:00 local time the next day has begun: the third card is due today too.
    clock.now = local(tomorrow, 4, 0, zone)
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert queue["due_count"] == 3
    assert (await client.get("/review/stats", headers=headers)).json()["due_today"] == 3


@pytest.mark.parametrize("zone_name", ZONES)
async def test_reviews_count_for_the_learners_own_day(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, zone_name: str
) -> None:
    """Reviews at 23:30 yesterday, 00:30 and 04:30 today, local time. The review statistics
    count by the 4 a.m. day (two yesterday, one today); the progress report and its streak by
    the local date (one yesterday, two today). In UTC, 00:30 in Madrid and both times today
    in Kolkata are still yesterday. The progress report reads the real date: the reviews
    happen around the learner's real last midnight."""
    zone = ZoneInfo(zone_name)
    today = datetime.now(zone).date()
    yesterday = today - timedelta(days=1)
    clock.now = local(yesterday, 12, 0, zone)
    headers, cards = await learner_with_cards(client, zone, 3)
    for card_id, moment in zip(
        cards,
        (local(yesterday, 23, 30, zone), local(today, 0, 30, zone), local(today, 4, 30, zone)),
        strict=True,
    ):
        clock.now = moment
        await rate(client, headers, card_id)

    clock.now = local(today, 5, 0, zone)
    stats = (await client.get("/review/stats", headers=headers, params={"days": 3})).json()
    assert stats["reviews_per_day"] == [
        {"date": (yesterday - timedelta(days=1)).isoformat(), "count": 0},
        {"date": yesterday.isoformat(), "count": 2},
        {"date": today.isoformat(), "count": 1},
    ]

    progress = await client.get("/progress", headers=headers, params={"days": 3, "tz": zone_name})
    assert progress.status_code == 200, progress.text
    report = progress.json()
    assert [(day["date"], day["reviews"]) for day in report["per_day"]] == [
        ((yesterday - timedelta(days=1)).isoformat(), 0),
        (yesterday.isoformat(), 1),
        (today.isoformat(), 2),
    ]
    assert report["streak_days"] == 2
    # The window's first day counts its reviews too.
    progress = await client.get("/progress", headers=headers, params={"days": 2, "tz": zone_name})
    assert [(day["date"], day["reviews"]) for day in progress.json()["per_day"]] == [
        (yesterday.isoformat(), 1),
        (today.isoformat(), 2),
    ]
