"""The `Library` and `Review` service objects called directly with a `Learner`, as routes and
pages call them: each method its own transaction, and another learner's ids find nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from langtutor.accounts.learner import Learner, learner_of
from langtutor.accounts.schemas import UserPublic
from langtutor.accounts.tokens import VerifiedToken
from langtutor.config import Settings
from langtutor.enums import ContentType
from langtutor.errors import Conflict, NotFound
from langtutor.library.copies import CopyFor
from langtutor.library.schemas import ContentUpdate, SaveContent, StudyRecord
from langtutor.review.schemas import Rating
from langtutor.runtime import Runtime
from tests.factories import register

CARDS = {"cards": [{"front": "el gato", "back": "the cat"}, {"front": "el perro", "back": "dog"}]}


def learner(user: dict[str, Any], settings: Settings) -> Learner:
    token = VerifiedToken(
        token_id=0,
        digest="",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        renewable_until=None,
        user=UserPublic.model_validate(user),
    )
    return learner_of(token, settings)


@pytest.fixture
async def two(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> tuple[Runtime, Learner, Learner]:
    ana = learner(await register(client, "ana"), settings)
    bob = learner(await register(client, "bob"), settings)
    return app.state.runtime, ana, bob


async def test_a_saved_set_is_its_learners_alone(two: tuple[Runtime, Learner, Learner]) -> None:
    runtime, ana, bob = two
    library = runtime.library
    data = SaveContent(
        content_type=ContentType.flashcards, original_query="pets", content_data=CARDS
    )
    saved = await library.save(ana, data=data)
    item_id = saved.item.saved_content_id
    assert saved.created
    assert (await library.item(ana, saved_content_id=item_id)).original_query == "pets"
    rows, total = await library.list_content(ana, content_type=None, q="pets", limit=5, offset=0)
    assert (total, [row.saved_content_id for row in rows]) == (1, [item_id])
    assert await library.list_content(bob, content_type=None, q=None, limit=5, offset=0) == (
        [],
        0,
    )
    for call in (
        library.item(bob, saved_content_id=item_id),
        library.update(bob, saved_content_id=item_id, data=ContentUpdate(user_label="mine")),
        library.delete(bob, saved_content_id=item_id),
        library.add_to_review(bob, saved_content_id=item_id),
        library.record_study(
            bob, saved_content_id=item_id, data=StudyRecord(), now=datetime.now(UTC)
        ),
    ):
        with pytest.raises(NotFound):
            await call
    page = await library.library_page(ana, content_type=None, q=None, page=1, language=None)
    assert (page.total, page.flashcards, [row.count for row in page.rows]) == (1, 1, [2])
    view = await library.item_view(ana, saved_content_id=item_id)
    assert view.review_cards == 2  # made when it was saved
    added = await library.add_to_review(ana, saved_content_id=item_id)
    assert (added.added, added.total) == (0, 2)
    await library.delete(ana, saved_content_id=item_id)
    with pytest.raises(NotFound):
        await library.item(ana, saved_content_id=item_id)


async def test_review_through_the_service(two: tuple[Runtime, Learner, Learner]) -> None:
    runtime, ana, bob = two
    data = SaveContent(
        content_type=ContentType.flashcards, original_query="pets", content_data=CARDS
    )
    await runtime.library.save(ana, data=data)
    review, now = runtime.review, datetime.now(UTC)
    queue = await review.queue(ana, limit=10, now=now)
    assert (len(queue.cards), (await review.queue(bob, limit=10, now=now)).cards) == (2, [])
    card_id = queue.cards[0].card_id
    with pytest.raises(NotFound):
        await review.card(bob, card_id=card_id)
    with pytest.raises(NotFound):
        await review.rate(bob, card_id=card_id, data=Rating(rating=3), now=now)
    rated = await review.rate(ana, card_id=card_id, data=Rating(rating=3, reps=0), now=now)
    assert rated.reps == 1
    with pytest.raises(Conflict):  # shown before that review
        await review.rate(ana, card_id=card_id, data=Rating(rating=3, reps=0), now=now)
    assert (await review.undo(ana)).reps == 0
    with pytest.raises(NotFound):
        await review.undo(bob)
    screen = await review.screen(ana, now=now, card_id=card_id)
    assert screen.card is not None
    assert screen.card.card_id == card_id
    assert set(screen.intervals) == {1, 2, 3, 4}
    stats, left = await review.overview(ana, days=7, now=now)
    assert (len(stats.reviews_per_day), left.left) == (7, 2)


async def test_a_copy_is_the_recipients_own_credited_set(
    two: tuple[Runtime, Learner, Learner],
) -> None:
    """A shared set or a class's assignment: the recipient's own set, named after whom it came
    from, its cards in their review only if they chose so; the original is untouched."""
    runtime, ana, bob = two
    library = runtime.library
    data = SaveContent(
        content_type=ContentType.flashcards,
        original_query="pets",
        content_data=CARDS,
        user_label="Pets",
        user_notes="ana's own notes",
    )
    source = (await library.save(ana, data=data)).item
    copies = await library.add_copies(
        source=source,
        recipients=[
            CopyFor(user_id=bob.user_id, base_language="en", review_cards=True),
            CopyFor(user_id=bob.user_id, base_language="en", review_cards=False),
        ],
        shared_by=ana.username,
    )
    assert [copy.user_id for copy in copies] == [bob.user_id, bob.user_id]
    first = await library.item(bob, saved_content_id=copies[0].saved_content_id)
    assert (first.user_label, first.user_notes, first.shared_by) == ("Pets", None, "ana")
    assert first.content_data == source.content_data
    assert first.generation_id is None
    cards = [
        (await library.item_view(bob, saved_content_id=copy.saved_content_id)).review_cards
        for copy in copies
    ]
    assert cards == [2, 0]
    original = await library.item(ana, saved_content_id=source.saved_content_id)
    assert original.shared_by is None
    with pytest.raises(NotFound):
        await library.item(ana, saved_content_id=copies[0].saved_content_id)
