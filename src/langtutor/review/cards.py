"""Review cards made from what learners keep: each flashcard and a simulation's vocabulary
of a saved set, and the items they got wrong (an exercise, a line corrected in a
conversation)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fsrs import State
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.db import utcnow
from langtutor.enums import ContentType
from langtutor.review import repository
from langtutor.review.models import ReviewCard


class CardSource:
    flashcard = "flashcard"
    vocabulary = "vocabulary"
    mistake = "mistake"  # an exercise answered wrong or almost right
    correction = "correction"  # a learner's line corrected in a conversation
    speaking = "speaking"  # a sentence read aloud with words missed


@dataclass(frozen=True)
class CardText:
    source: str
    item_index: int
    front: str
    back: str
    example: str | None = None
    example_translation: str | None = None


def card_texts(content_type: ContentType, content: dict[str, Any]) -> list[CardText]:
    """What of a saved set becomes review cards: each flashcard, a simulation's vocabulary."""
    if content_type is ContentType.flashcards:
        return [
            CardText(
                CardSource.flashcard,
                index,
                card["front"],
                card["back"],
                card.get("example"),
                card.get("example_translation"),
            )
            for index, card in enumerate(content["cards"])
        ]
    if content_type is ContentType.simulation:
        return [
            CardText(CardSource.vocabulary, index, item["term"], item["translation"])
            for index, item in enumerate(content["vocabulary"])
        ]
    return []


def _new_card(now: Any) -> dict[str, Any]:
    """What every new card starts with: a learning card due now, never reviewed."""
    return {
        "state": State.Learning.value,
        "step": 0,
        "due": now,
        "reps": 0,
        "lapses": 0,
        "suspended": False,
        "created_at": now,
    }


async def add_cards(
    *,
    session: AsyncSession,
    user_id: int,
    saved_content_id: int,
    content_type: ContentType,
    content: dict[str, Any],
    target_language: str | None,
    base_language: str | None,
    new_item: bool,
) -> int:
    """Cards for every item of a saved set that has none yet (`new_item`: it was saved just
    now, so it has none); the number added."""
    existing: set[tuple[str, Any]] = set()
    if not new_item:
        existing = await repository.card_items(
            session, user_id=user_id, saved_content_id=saved_content_id
        )
    start = _new_card(utcnow())
    rows = [
        {
            "user_id": user_id,
            "saved_content_id": saved_content_id,
            "source": text.source,
            "item_index": text.item_index,
            "front": text.front,
            "back": text.back,
            "example": text.example,
            "example_translation": text.example_translation,
            "target_language": target_language,
            "base_language": base_language,
            **start,
        }
        for text in card_texts(content_type, content)
        if (text.source, text.item_index) not in existing
    ]
    if rows:
        await repository.insert_cards(session, rows)
    return len(rows)


async def add_mistake_card(
    *,
    session: AsyncSession,
    user_id: int,
    generation_id: uuid.UUID | None,
    saved_content_id: int | None,
    item_index: int,
    text: CardText,
    target_language: str | None,
    base_language: str | None,
    source: str = CardSource.mistake,
) -> int:
    """The review card of an item the learner got wrong (an exercise, a line corrected in a
    conversation): made the first time, the same card every later time. Keyed by the
    generation (or conversation) when there is one, so that answering before and after
    saving is one item; else by the saved set."""
    existing = repository.mistake_card_id(
        user_id=user_id,
        generation_id=generation_id,
        saved_content_id=saved_content_id,
        source=source,
        item_index=item_index,
    )
    if (card_id := await session.scalar(existing)) is not None:
        return card_id
    card = ReviewCard(
        user_id=user_id,
        generation_id=generation_id,
        saved_content_id=saved_content_id,
        source=source,
        item_index=item_index,
        front=text.front,
        back=text.back,
        example=text.example,
        example_translation=text.example_translation,
        target_language=target_language,
        base_language=base_language,
        **_new_card(utcnow()),
    )
    try:
        async with session.begin_nested():  # the same mistake, answered twice at once
            session.add(card)
    except IntegrityError:
        if (card_id := await session.scalar(existing)) is not None:
            return card_id
        raise
    return card.card_id
