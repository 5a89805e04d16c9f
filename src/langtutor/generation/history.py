"""The learner's history that a generation is given: what they got wrong, what they saw."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.activity import service as activity_service
from langtutor.activity.logger import BatchLogger
from langtutor.enums import ContentType
from langtutor.generation.instructions import History, WeakItem
from langtutor.review import service as review_service

MAX_WEAK_ITEMS = 20
MAX_RECENT_ITEMS = 50


async def learner_history(
    *, connection: AsyncConnection, activity: BatchLogger, user_id: int, target_language: str
) -> History:
    """Up to 20 weak items (recent answers that were not right, then review cards forgotten
    most often) and up to 50 recently generated fronts and terms, in one language."""
    recent = await activity_service.recent_entries(
        connection=connection, activity=activity, user_id=user_id, target_language=target_language
    )
    weak: dict[str, WeakItem] = {}
    for prompt, answer in recent.missed:
        weak.setdefault(prompt, WeakItem(prompt, answer))
    if len(weak) < MAX_WEAK_ITEMS:
        for front, back in await review_service.lapsed_cards(
            connection=connection,
            user_id=user_id,
            target_language=target_language,
            limit=MAX_WEAK_ITEMS,
        ):
            weak.setdefault(front, WeakItem(front, back))
    terms: dict[str, None] = {}
    for kind, content in recent.outputs:
        for term in content_terms(kind, content):
            terms.setdefault(term)
    return History(
        weak_items=list(weak.values())[:MAX_WEAK_ITEMS],
        recent_items=list(terms)[:MAX_RECENT_ITEMS],
    )


def content_terms(kind: ContentType, content: dict[str, Any]) -> list[str]:
    """What a learner would notice repeated: card fronts, vocabulary terms, answers."""
    if kind is ContentType.flashcards:
        return [card["front"] for card in content.get("cards", [])]
    if kind is ContentType.simulation:
        return [item["term"] for item in content.get("vocabulary", [])]
    return [exercise["answer"] for exercise in content.get("exercises", [])]
