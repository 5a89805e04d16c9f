"""The review statistics through the real HTTP app and database: the learner's own reviews of
their day (one made as the day begins included), true retention to four places, and every
card counted once by its state, suspended ones apart."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.clock import Clock
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM

AGAIN, GOOD, EASY = 1, 3, 4


async def test_stats_count_the_learners_own_reviews_and_cards(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    _, other = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 6)
    await saved_flashcards(client, other, 1)
    cards = [
        c["card_id"] for c in (await client.get("/review/queue", headers=headers)).json()["cards"]
    ]
    (others,) = [
        c["card_id"] for c in (await client.get("/review/queue", headers=other)).json()["cards"]
    ]

    async def rate(card_id: int, rating: int, who: dict[str, str] = headers) -> None:
        answer = await client.post(f"/review/{card_id}", headers=who, json={"rating": rating})
        assert answer.status_code == 200, answer.text

    clock.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    for card_id in cards[:3]:
        await rate(card_id, EASY)  # new cards: no part of the retention
    for card_id in cards[3:5]:
        answer = await client.patch(
            f"/review/cards/{card_id}", headers=headers, json={"suspended": True}
        )
        assert answer.status_code == 200, answer.text

    # The next day begins at 4 a.m. (UTC here): three early reviews of review cards then.
    clock.now = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
    for card_id, rating in zip(cards[:3], (GOOD, GOOD, AGAIN), strict=True):
        await rate(card_id, rating)
    await rate(others, EASY, other)

    stats = (await client.get("/review/stats", headers=headers, params={"days": 1})).json()
    assert stats["reviews_per_day"] == [{"date": "2026-11-21", "count": 3}]
    assert stats["true_retention"] == 0.6667
    assert stats["retention_reviews"] == 3
    assert stats["cards_by_state"] == {
        "new": 1,
        "learning": 0,
        "review": 2,
        "relearning": 1,
        "suspended": 2,
    }
