"""The review queue at its edges, through the real HTTP app and database: a learning step due
this very moment (shown first, and once), a short page that still has room for new cards
while a learning step waits in the learn-ahead window, and the day's allowance of new cards,
which bounds the cards shown as well as the count."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.review.models import ReviewCard
from tests.clock import Clock
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM

AGAIN, GOOD, EASY = 1, 3, 4


async def learner_with_cards(
    client: httpx.AsyncClient, count: int, **profile: Any
) -> tuple[dict[str, str], list[int]]:
    _, headers = await user_with_token(client, default_target_language="es")
    if profile:
        changed = await client.patch("/users/me", headers=headers, json=profile)
        assert changed.status_code == 200, changed.text
    await saved_flashcards(client, headers, count)
    queue = (await client.get("/review/queue", headers=headers, params={"limit": 50})).json()
    return headers, [card["card_id"] for card in queue["cards"]]


async def rate(
    client: httpx.AsyncClient, headers: dict[str, str], card_id: int, rating: int
) -> dict[str, Any]:
    answer = await client.post(f"/review/{card_id}", headers=headers, json={"rating": rating})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def shown(client: httpx.AsyncClient, headers: dict[str, str], limit: int = 20) -> list[int]:
    queue = (await client.get("/review/queue", headers=headers, params={"limit": limit})).json()
    return [card["card_id"] for card in queue["cards"]]


async def test_a_learning_step_due_this_moment_comes_first_and_once(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    headers, (first, second) = await learner_with_cards(client, 2)
    forgotten = await rate(client, headers, first, AGAIN)
    clock.now = datetime.fromisoformat(forgotten["due"])
    assert await shown(client, headers) == [first, second]
    clock.now -= timedelta(seconds=1)  # a second early: learnt ahead, after the new card
    assert await shown(client, headers) == [second, first]


async def test_a_short_page_keeps_its_room_for_new_cards_before_learning_ahead(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    """A learning step due in a minute is no card due now: a page of two shows the two new
    cards, and the step after them once the page has room."""
    headers, (first, second, third) = await learner_with_cards(client, 3)
    await rate(client, headers, first, AGAIN)
    clock.now += timedelta(seconds=30)
    assert await shown(client, headers, limit=2) == [second, third]
    assert await shown(client, headers, limit=3) == [second, third, first]
    assert await shown(client, headers, limit=1) == [second]


async def test_the_days_allowance_bounds_the_new_cards_shown(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    headers, cards = await learner_with_cards(client, 4, review_new_per_day=2)
    assert cards == sorted(cards)[:2]  # two of the four, in the order they were added
    await rate(client, headers, cards[0], GOOD)  # started today: one new card left
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert queue["new_count"] == 1
    assert [card["card_id"] for card in queue["cards"]] == [cards[1], cards[0]]


async def test_a_review_due_later_today_comes_before_a_step_learnt_ahead(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine
) -> None:
    """At 9:00, a review card due at 15:00 is due today; a learning step due at 9:05 is not
    due yet. The review page (one card) shows the review card."""
    headers, (review_card, learning_card) = await learner_with_cards(client, 2)
    await rate(client, headers, review_card, EASY)  # in the review state, days away
    await rate(client, headers, learning_card, AGAIN)
    async with db.begin() as connection:
        await connection.execute(
            update(ReviewCard)
            .where(ReviewCard.card_id == review_card)
            .values(due=clock.now + timedelta(hours=6))
        )
        await connection.execute(
            update(ReviewCard)
            .where(ReviewCard.card_id == learning_card)
            .values(due=clock.now + timedelta(minutes=5))
        )
    assert await shown(client, headers, limit=1) == [review_card]
    assert await shown(client, headers) == [review_card, learning_card]
