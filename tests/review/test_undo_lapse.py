"""Undo after a lapse, through the real HTTP app and database: Again on a card in the review
state forgets it (a lapse); undoing that rating gives the card back exactly as it was, its
lapse count included, and a rating again then does exactly what the first one did."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.clock import Clock
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM

AGAIN, EASY = 1, 4


async def test_undo_after_again_on_a_review_card_restores_it_exactly(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 1)
    card_id = (await client.get("/review/queue", headers=headers)).json()["cards"][0]["card_id"]

    async def card() -> dict[str, Any]:
        return dict((await client.get(f"/review/cards/{card_id}", headers=headers)).json())

    async def rate(rating: int) -> dict[str, Any]:
        random.seed(7)  # the same fuzz whenever a rating is made again
        answer = await client.post(f"/review/{card_id}", headers=headers, json={"rating": rating})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def undo() -> dict[str, Any]:
        answer = await client.post("/review/undo", headers=headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    await rate(EASY)
    clock.now = datetime.fromisoformat((await card())["due"]) + timedelta(hours=1)
    reviewed = await card()
    assert (reviewed["state"], reviewed["reps"], reviewed["lapses"]) == ("review", 1, 0)

    forgotten = await rate(AGAIN)
    assert (forgotten["state"], forgotten["reps"], forgotten["lapses"]) == ("relearning", 2, 1)
    assert forgotten["stability"] != reviewed["stability"]
    assert await undo() == reviewed
    assert await card() == reviewed  # lapses, stability, difficulty, due, state, reps
    # Nothing of the undone rating is left behind: the same rating does the same again.
    assert await rate(AGAIN) == forgotten

    # Again on a relearning card is no new lapse, and its undo takes none away.
    clock.now += timedelta(minutes=1)
    again = await rate(AGAIN)
    assert (again["state"], again["reps"], again["lapses"]) == ("relearning", 3, 1)
    assert await undo() == forgotten
    assert await card() == forgotten
