"""Undo through the real HTTP app and database. Again on a card in the review state forgets it
(a lapse); undoing that rating gives the card back exactly as it was, its lapse count
included, and a rating again then does exactly what the first one did. The same holds for a
new card's first rating (its learning step included)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.clock import Clock
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM

AGAIN, GOOD, EASY = 1, 3, 4


class OneCard:
    """A learner's one card, read, rated and its rating undone through the API."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], card_id: int) -> None:
        self.client, self.headers, self.card_id = client, headers, card_id

    @classmethod
    async def new(cls, client: httpx.AsyncClient) -> OneCard:
        _, headers = await user_with_token(client, default_target_language="es")
        await saved_flashcards(client, headers, 1)
        queue = (await client.get("/review/queue", headers=headers)).json()
        return cls(client, headers, queue["cards"][0]["card_id"])

    async def read(self) -> dict[str, Any]:
        answer = await self.client.get(f"/review/cards/{self.card_id}", headers=self.headers)
        return dict(answer.json())

    async def rate(self, rating: int) -> dict[str, Any]:
        random.seed(7)  # the same fuzz whenever a rating is made again
        answer = await self.client.post(
            f"/review/{self.card_id}", headers=self.headers, json={"rating": rating}
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def undo(self) -> dict[str, Any]:
        answer = await self.client.post("/review/undo", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


async def test_undo_after_again_on_a_review_card_restores_it_exactly(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    one = await OneCard.new(client)
    card, rate, undo = one.read, one.rate, one.undo
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

    # Relearnt, then forgotten a second time: its undo leaves the first lapse.
    clock.now += timedelta(minutes=10)
    relearnt = await rate(GOOD)
    assert (relearnt["state"], relearnt["lapses"]) == ("review", 1)
    clock.now = datetime.fromisoformat(relearnt["due"]) + timedelta(hours=1)
    assert (await rate(AGAIN))["lapses"] == 2
    assert await undo() == relearnt


async def test_undo_takes_back_the_last_rating_made_at_one_moment(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    """Two cards rated at the same moment (the clock is the test's): undo takes back the one
    rated last, then the other."""
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 2)
    cards = [
        card["card_id"]
        for card in (await client.get("/review/queue", headers=headers)).json()["cards"]
    ]
    for card_id in cards:
        rated = await client.post(f"/review/{card_id}", headers=headers, json={"rating": GOOD})
        assert rated.status_code == 200, rated.text
    for card_id in reversed(cards):
        undone = await client.post("/review/undo", headers=headers)
        assert (undone.json()["card_id"], undone.json()["state"]) == (card_id, "new")


async def test_undo_of_a_new_cards_first_rating_makes_it_new_again(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    one = await OneCard.new(client)
    nothing = await client.post("/review/undo", headers=one.headers)
    assert nothing.status_code == 404
    assert nothing.json()["detail"] == "there is no review to undo"
    new = await one.read()
    assert (new["state"], new["reps"], new["last_review"]) == ("new", 0, None)
    learning = await one.rate(GOOD)
    assert (learning["state"], learning["reps"]) == ("learning", 1)
    assert await one.undo() == new
    assert await one.read() == new
    # Its learning step is back to the first too: Good twice is as Good twice from new.
    assert await one.rate(GOOD) == learning
    clock.now += timedelta(minutes=10)
    second = await one.rate(GOOD)
    assert await one.undo() == learning
    assert await one.rate(GOOD) == second
