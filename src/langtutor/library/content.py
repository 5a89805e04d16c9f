"""The library's inner layer: functions on a session or a connection, which the `Library`
service wraps in its transactions, and which practice, conversations and progress call inside
their own. Every id is checked against its owner (another's is a 404)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from langtutor.accounts import service as accounts_service
from langtutor.activity import service as activity_service
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import utcnow
from langtutor.enums import ContentType, LogEvent
from langtutor.errors import NotFound, PayloadTooLarge, Unprocessable
from langtutor.generation.schemas import CONTENT_MODELS
from langtutor.generation.service import item_count
from langtutor.library import repository
from langtutor.library.exports import CardContext
from langtutor.library.models import Feedback, SavedContent
from langtutor.library.schemas import MAX_CONTENT_BYTES, FeedbackCreate, SaveContent
from langtutor.review import service as review_service
from langtutor.schemas import contains_nul, describe_errors


def checked_content(content_type: ContentType, data: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(data, ensure_ascii=False).encode())
    if size > MAX_CONTENT_BYTES:
        raise PayloadTooLarge(
            f"content_data is {size // 1024} KB; at most {MAX_CONTENT_BYTES // 1024} KB"
        )
    try:
        content = CONTENT_MODELS[content_type].model_validate(data)
    except ValidationError as error:
        raise Unprocessable(
            f"content_data is not valid {content_type.value}: {describe_errors(error)}",
            loc=["body", "content_data"],
        ) from None
    return content.model_dump(mode="json")


@dataclass(frozen=True)
class Saved:
    item: SavedContent
    created: bool  # False: this generation was saved before, and that item is the answer


async def save_content(
    *,
    session: AsyncSession,
    user_id: int,
    data: SaveContent,
    activity: BatchLogger,
    review_cards: bool = True,
) -> Saved:
    """Save content once: a generation saved again answers the item saved first. Flashcards
    and a simulation's vocabulary become review cards unless `review_cards` is off."""
    content = checked_content(data.content_type, data.content_data)
    languages = CardContext()
    if data.generation_id is not None:  # one of this user's generations, or 404
        end = await activity_service.generation_end(
            session=session, activity=activity, user_id=user_id, generation_id=data.generation_id
        )
        languages = CardContext(
            target_language=end.target_language, base_language=end.base_language
        )
    item = await repository.insert_once(
        session,
        {
            "user_id": user_id,
            "content_type": data.content_type.value,
            "original_query": data.original_query,
            "content_data": content,
            "user_label": data.user_label or None,
            "user_notes": data.user_notes,
            "generation_id": data.generation_id,
            "target_language": languages.target_language,
            "saved_at": utcnow(),
        },
    )
    if item is None:
        assert data.generation_id is not None
        existing = await repository.saved_generation(
            session, user_id=user_id, generation_id=data.generation_id
        )
        assert existing is not None
        return Saved(existing, created=False)
    if review_cards:
        await add_review_cards(session, item, languages, new_item=True)
    return Saved(item, created=True)


async def add_review_cards(
    session: AsyncSession, item: SavedContent, languages: CardContext, *, new_item: bool = False
) -> int:
    return await review_service.add_cards(
        session=session,
        user_id=item.user_id,
        saved_content_id=item.saved_content_id,
        content_type=ContentType(item.content_type),
        content=item.content_data,
        target_language=languages.target_language,
        base_language=languages.base_language,
        new_item=new_item,
    )


async def get_content(
    *, session: AsyncSession, user_id: int, saved_content_id: int
) -> SavedContent:
    item = await repository.content(session, user_id=user_id, saved_content_id=saved_content_id)
    if item is None:
        raise NotFound(f"no saved content {saved_content_id} of yours")
    return item


async def list_content(
    *,
    connection: AsyncConnection,
    user_id: int,
    content_type: ContentType | None,
    q: str | None,
    limit: int,
    offset: int,
    language: str | None = None,
    content_as_text: bool = False,
) -> tuple[Sequence[Any], int]:
    """A page of the learner's saved sets, newest first (rows with the columns of
    SavedContent; `content_data` as JSON text with `content_as_text`, to be passed on as it
    is), and how many match in all. On a connection: a plain statement of columns needs none
    of the ORM's per-execution work (about a tenth of the request, measured)."""
    if q is not None and contains_nul(q):  # PostgreSQL text cannot hold it, so nothing matches
        raise Unprocessable("q must not contain NUL characters", loc=["query", "q"])
    return await repository.page(
        connection,
        user_id=user_id,
        content_type=content_type,
        words=q.split() if q and q.strip() else [],
        limit=limit,
        offset=offset,
        language=language,
        content_as_text=content_as_text,
    )


async def record_study(
    *,
    session: AsyncSession,
    activity: BatchLogger,
    user_id: int,
    saved_content_id: int,
    position: int,
    finished: bool,
    score: float | None,
    now: datetime,
) -> SavedContent:
    """The learner went through a saved set (to `position`; to its end when `finished`):
    where to continue from, when it was last studied, its best score; a finished set is a
    `study` entry in the activity log, which counts as a day of study."""
    item = await get_content(session=session, user_id=user_id, saved_content_id=saved_content_id)
    item.last_studied_at = now
    if finished and item.finished_at is None:
        item.finished_at = now
    if score is not None and (item.best_score is None or score > item.best_score):
        item.best_score = score
    await accounts_service.set_continue_point(
        session=session,
        user_id=user_id,
        saved_content_id=None if finished else saved_content_id,
        generation_id=None,
        position=position,
    )
    if finished:
        await activity.buffered_log_query(
            study_entry(
                user_id=user_id,
                content_type=item.content_type,
                query=item.original_query,
                target_language=item.target_language,
                generation_id=item.generation_id,
                items=item_count(item.content_data),
                score=score,
                saved_content_id=saved_content_id,
            )
        )
    await session.flush()
    return item


async def open_content(
    *, session: AsyncSession, user_id: int, saved_content_id: int, position: int
) -> None:
    """The learner opened a saved set (theirs, or 404) at `position`: Continue comes back
    there. Opening is not studying: `last_studied_at` stays."""
    item = await get_content(session=session, user_id=user_id, saved_content_id=saved_content_id)
    await accounts_service.set_continue_point(
        session=session,
        user_id=user_id,
        saved_content_id=item.saved_content_id,
        generation_id=None,
        position=position,
    )


def study_entry(
    *,
    user_id: int,
    content_type: str,
    query: str,
    target_language: str | None,
    generation_id: uuid.UUID | None,
    items: int,
    score: float | None,
    saved_content_id: int | None,
) -> LogEntry:
    """The `study` entry of a set gone through to its end."""
    return LogEntry(
        user_id=user_id,
        content_type=content_type,
        query_text=query,
        target_language=target_language or "und",
        generation_id=generation_id,
        event=LogEvent.study.value,
        score=score,
        request_metadata={"items": items, "saved_content_id": saved_content_id},
    )


@dataclass(frozen=True)
class LibraryCounts:
    saved: int
    feedback: int
    mean_rating: float | None


async def library_counts(*, connection: AsyncConnection, user_id: int) -> LibraryCounts:
    """Saved items, feedback given and its mean rating, for the learner's progress: one
    statement."""
    saved, feedback, mean_rating = await repository.counts(connection, user_id=user_id)
    return LibraryCounts(
        saved=saved,
        feedback=feedback,
        mean_rating=round(float(mean_rating), 2) if mean_rating is not None else None,
    )


async def create_feedback(
    *, session: AsyncSession, user_id: int, data: FeedbackCreate, activity: BatchLogger
) -> Feedback:
    related_log_id = None
    if data.generation_id is not None:
        end = await activity_service.generation_end(
            session=session, activity=activity, user_id=user_id, generation_id=data.generation_id
        )
        related_log_id = end.log_id
    if data.saved_content_id is not None:
        await get_content(session=session, user_id=user_id, saved_content_id=data.saved_content_id)
    return await repository.add_feedback(
        session,
        Feedback(
            user_id=user_id,
            generation_id=data.generation_id,
            related_log_id=related_log_id,
            related_saved_content_id=data.saved_content_id,
            rating=data.rating,
            feedback_text=data.feedback_text or None,
            context_details=data.context_details,
        ),
    )
