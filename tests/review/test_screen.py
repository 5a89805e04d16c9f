"""What the pages ask the `Review` service, called as the pages call it (with the `Learner`),
on the real database: the review page's screen (the next card and the interval each grade
would give; after an undo, the card to grade again if it is the learner's; once all is done,
when the next card falls due) and the home page's overview (the statistics and what is left
today)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI

from langtutor.accounts.learner import Learner
from langtutor.review.schemas import Rating
from langtutor.review.service import Review, ReviewScreen, ReviewSettings, preview
from tests.clock import Clock
from tests.factories import learner_of_headers, saved_flashcards, user_with_token
from tests.fakellm import FakeLLM

AGAIN, EASY = 1, 4


async def learner_with_cards(
    app: FastAPI, client: httpx.AsyncClient, count: int, now: datetime
) -> tuple[Review, Learner, list[int]]:
    """A learner with `count` new cards (their ids in the queue's order), and the service."""
    _, headers = await user_with_token(client, default_target_language="es")
    if count:
        await saved_flashcards(client, headers, count)
    learner = await learner_of_headers(app, headers)
    review: Review = app.state.runtime.review
    cards = (await review.queue(learner, limit=count or 1, now=now)).cards
    return review, learner, [card.card_id for card in cards]


def shown(screen: ReviewScreen) -> int | None:
    """The id of the card a screen shows, if any."""
    return screen.card.card_id if screen.card is not None else None


async def test_the_screen_shows_the_next_card_or_the_one_to_grade_again(
    app: FastAPI, client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    review, ana, (first, second, third) = await learner_with_cards(app, client, 3, clock.now)
    _, bob, (bobs,) = await learner_with_cards(app, client, 1, clock.now)
    now = clock.now

    screen = await review.screen(ana, now=now)
    assert shown(screen) == first
    assert [card.card_id for card in screen.queue.cards] == [first]  # the page shows one
    assert (screen.queue.due_count, screen.queue.new_count, screen.queue.left) == (0, 3, 3)
    assert screen.card is not None
    assert set(screen.intervals) == {1, 2, 3, 4}
    assert screen.intervals == preview(screen.card, ReviewSettings.of(ana), now)
    assert screen.next_due is None
    # After an undo the page asks for the card undone: that one, when it is the learner's.
    again = await review.screen(ana, now=now, card_id=second)
    assert shown(again) == second
    assert again.card is not None
    assert again.intervals == preview(again.card, ReviewSettings.of(ana), now)
    others = await review.screen(ana, now=now, card_id=bobs)
    assert shown(others) == first

    # All done: no card, no intervals, and when the next one falls due.
    rated = [
        await review.rate(ana, card_id=card_id, data=Rating(rating=EASY), now=now)
        for card_id in (first, second, third)
    ]
    done = await review.screen(ana, now=now)
    assert (done.card, done.intervals, done.queue.cards) == (None, {}, [])
    assert (done.queue.left, done.queue.done_today) == (0, 3)
    assert done.next_due == min(card.due for card in rated)
    # A card asked for is shown even when none is left to review.
    asked = await review.screen(ana, now=now, card_id=third)
    assert shown(asked) == third
    assert asked.next_due is None

    _, nobody, _ = await learner_with_cards(app, client, 0, clock.now)
    empty = await review.screen(nobody, now=now)
    assert (empty.card, empty.intervals, empty.next_due) == (None, {}, None)
    assert (await review.screen(bob, now=now)).card is not None


async def test_the_overview_is_the_statistics_and_what_is_left_today(
    app: FastAPI, client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    review, ana, (first, second, third) = await learner_with_cards(app, client, 3, clock.now)
    await review.rate(ana, card_id=first, data=Rating(rating=AGAIN), now=clock.now)
    now = clock.now + timedelta(minutes=2)  # its learning step is due again

    stats, left = await review.overview(ana, days=7, now=now)
    assert stats == await review.stats(ana, days=7, now=now)
    assert len(stats.reviews_per_day) == 7
    assert [card.card_id for card in left.cards] == [first]  # the learning step comes first
    assert (left.due_count, left.new_count, left.done_today, left.left) == (1, 2, 1, 3)
    assert {second, third}.isdisjoint(card.card_id for card in left.cards)
