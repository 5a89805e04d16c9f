"""Copies of a saved set for other learners (a shared link's "Add to my library", a class's
assignment): each copy is the recipient's own set, credited to the learner it came from, with
its review cards made as the recipient chose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.db import utcnow
from langtutor.library import repository
from langtutor.library.content import add_review_cards
from langtutor.library.exports import CardContext
from langtutor.library.models import SavedContent


@dataclass(frozen=True, slots=True)
class CopyFor:
    """Who gets a copy: their id, the language their cards' backs are in, and whether the
    copy's flashcards go into their review."""

    user_id: int
    base_language: str | None
    review_cards: bool


async def copy_set(
    session: AsyncSession, *, source: SavedContent, recipient: CopyFor, shared_by: str
) -> SavedContent:
    """The recipient's own copy of `source`: its content, label and language; not its notes,
    its generation (the recipient never made it) or its study."""
    item = await repository.insert_set(
        session,
        {
            "user_id": recipient.user_id,
            "content_type": source.content_type,
            "original_query": source.original_query,
            "content_data": source.content_data,
            "user_label": source.user_label,
            "target_language": source.target_language,
            "saved_at": utcnow(),
            "shared_by": shared_by,
        },
    )
    if recipient.review_cards:
        context = CardContext(
            target_language=source.target_language, base_language=recipient.base_language
        )
        await add_review_cards(session, item, context, new_item=True)
    return item


async def copy_sets(
    session: AsyncSession,
    *,
    source: SavedContent,
    recipients: Sequence[CopyFor],
    shared_by: str,
) -> list[SavedContent]:
    return [
        await copy_set(session, source=source, recipient=recipient, shared_by=shared_by)
        for recipient in recipients
    ]
