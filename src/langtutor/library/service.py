"""Saved content and feedback: every id is checked against its owner (another's is a 404)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row, Select, Text, bindparam, cast, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from langtutor.accounts import service as accounts_service
from langtutor.activity import service as activity_service
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import fetch_rows, utcnow
from langtutor.enums import ContentType, LogEvent
from langtutor.errors import Conflict, NotFound, PayloadTooLarge, Unprocessable
from langtutor.generation.schemas import CONTENT_MODELS
from langtutor.generation.service import item_count
from langtutor.library import exports
from langtutor.library.exports import CardContext, ExportFile, ExportFormat
from langtutor.library.models import Feedback, SavedContent
from langtutor.library.schemas import (
    MAX_CONTENT_BYTES,
    ContentUpdate,
    FeedbackCreate,
    ReviewCardsAdded,
    SaveContent,
)
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
    values = {
        "user_id": user_id,
        "content_type": data.content_type.value,
        "original_query": data.original_query,
        "content_data": content,
        "user_label": data.user_label or None,
        "user_notes": data.user_notes,
        "generation_id": data.generation_id,
        "target_language": languages.target_language,
        "saved_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(SavedContent)
    # ON CONFLICT: a generation saved before (even at this very moment) inserts nothing.
    item = await session.scalar(
        insert.values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "generation_id"])
        .returning(SavedContent)
    )
    if item is None:
        assert data.generation_id is not None
        existing = await _saved_generation(session, user_id, data.generation_id)
        assert existing is not None
        return Saved(existing, created=False)
    if review_cards:
        await _add_review_cards(session, item, languages, new_item=True)
    return Saved(item, created=True)


async def _saved_generation(
    session: AsyncSession, user_id: int, generation_id: uuid.UUID
) -> SavedContent | None:
    return await session.scalar(
        select(SavedContent).where(
            SavedContent.user_id == user_id, SavedContent.generation_id == generation_id
        )
    )


async def _add_review_cards(
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


async def add_to_review(
    *, session: AsyncSession, user_id: int, saved_content_id: int
) -> ReviewCardsAdded:
    """Review cards for a saved set by hand ("Add to review"); never a card twice."""
    item = await get_content(session=session, user_id=user_id, saved_content_id=saved_content_id)
    if item.content_type == ContentType.exercises.value:
        raise Conflict("exercises are practised, not reviewed: add flashcards or a simulation")
    added = await _add_review_cards(session, item, await card_context(session=session, item=item))
    total = await review_service.count_cards(session=session, saved_content_id=saved_content_id)
    return ReviewCardsAdded(added=added, total=total)


async def get_content(
    *, session: AsyncSession, user_id: int, saved_content_id: int
) -> SavedContent:
    item = await session.get(SavedContent, saved_content_id)
    if item is None or item.user_id != user_id:
        raise NotFound(f"no saved content {saved_content_id} of yours")
    return item


def _search(query: Select[Any], shape: _Filters) -> Select[Any]:
    haystack = (
        func.coalesce(SavedContent.user_label, "")
        + " "
        + func.coalesce(SavedContent.user_notes, "")
        + " "
        + SavedContent.original_query
    )
    if shape.dialect == "postgresql":
        # Full-text search with the 'simple' configuration: no stemming, any language.
        return query.where(
            func.to_tsvector("simple", haystack).op("@@")(
                func.plainto_tsquery("simple", bindparam("words"))
            )
        )
    return query.where(
        *(
            or_(
                SavedContent.user_label.ilike(bindparam(f"word_{n}"), escape="\\"),
                SavedContent.user_notes.ilike(bindparam(f"word_{n}"), escape="\\"),
                SavedContent.original_query.ilike(bindparam(f"word_{n}"), escape="\\"),
            )
            for n in range(shape.words)
        )
    )


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    is), and how many match in all: one statement, the total riding along on every row as a
    window count. On a connection: a plain statement of columns needs none of the ORM's
    per-execution work (about a tenth of the request, measured)."""
    if q is not None and contains_nul(q):  # PostgreSQL text cannot hold it, so nothing matches
        raise Unprocessable("q must not contain NUL characters", loc=["query", "q"])
    words = q.split() if q and q.strip() else []
    dialect = connection.dialect.name
    values: dict[str, Any] = {"user_id": user_id, "limit": limit, "offset": offset}
    if content_type is not None:
        values["content_type"] = content_type.value
    if language is not None:
        values["language"] = language
    if words and dialect == "postgresql":
        values["words"] = " ".join(words)
    elif words:
        values |= {f"word_{n}": f"%{_escape(word)}%" for n, word in enumerate(words)}
    shape = _Filters(
        dialect=dialect,
        by_type=content_type is not None,
        by_language=language is not None,
        words=len(words),
    )
    page = _page_query(shape, content_as_text=content_as_text)
    rows = await fetch_rows(connection, page, values)
    if rows:
        return rows, int(rows[0].total)
    if offset == 0:
        return rows, 0
    # A page past the end: the count has no row to ride on.
    total = await connection.scalar(
        select(func.count()).select_from(_matching(shape).subquery()), values
    )
    return rows, total or 0


@dataclass(frozen=True)
class _Filters:
    """What a listing filters on: each shape's statement is built once, values bound."""

    dialect: str
    by_type: bool
    by_language: bool
    words: int


def _matching(shape: _Filters) -> Select[Any]:
    query = select(SavedContent).where(SavedContent.user_id == bindparam("user_id"))
    if shape.by_type:
        query = query.where(SavedContent.content_type == bindparam("content_type"))
    if shape.by_language:
        query = query.where(SavedContent.target_language == bindparam("language"))
    if shape.words:
        query = _search(query, shape)
    return query


@cache
def _page_query(shape: _Filters, *, content_as_text: bool) -> Select[Any]:
    columns = [
        cast(column, Text).label(column.key)
        if content_as_text and column.key == "content_data"
        else column
        for column in SavedContent.__table__.columns
    ]
    return (
        _matching(shape)
        .with_only_columns(*columns, func.count().over().label("total"))
        # saved_content_id breaks ties, so that pages never overlap or skip.
        .order_by(SavedContent.saved_at.desc(), SavedContent.saved_content_id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


async def library_languages(*, session: AsyncSession, user_id: int) -> list[str]:
    """The languages of the learner's saved sets, for the library's language filter."""
    found = await session.scalars(
        select(SavedContent.target_language)
        .where(SavedContent.user_id == user_id, SavedContent.target_language.is_not(None))
        .distinct()
    )
    return sorted(language for language in found if language)


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


async def count_content(*, session: AsyncSession, user_id: int, content_type: ContentType) -> int:
    total = await session.scalar(
        select(func.count()).where(
            SavedContent.user_id == user_id, SavedContent.content_type == content_type.value
        )
    )
    return total or 0


@dataclass(frozen=True)
class LibraryCounts:
    saved: int
    feedback: int
    mean_rating: float | None


# One scan of the learner's feedback (an aggregate without GROUP BY: always one row), with
# the saved items' count beside it.
_COUNTS = select(
    select(func.count())
    .select_from(SavedContent)
    .where(SavedContent.user_id == bindparam("user_id"))
    .scalar_subquery()
    .label("saved"),
    func.count(Feedback.feedback_id).label("feedback"),
    func.avg(Feedback.rating).label("mean_rating"),
).where(Feedback.user_id == bindparam("user_id"))


async def library_counts(*, connection: AsyncConnection, user_id: int) -> LibraryCounts:
    """Saved items, feedback given and its mean rating, for the learner's progress: one
    statement."""
    ((saved, feedback, mean_rating),) = await fetch_rows(connection, _COUNTS, {"user_id": user_id})
    return LibraryCounts(
        saved=saved,
        feedback=feedback,
        mean_rating=round(float(mean_rating), 2) if mean_rating is not None else None,
    )


async def update_content(
    *, session: AsyncSession, user_id: int, saved_content_id: int, data: ContentUpdate
) -> SavedContent:
    item = await get_content(session=session, user_id=user_id, saved_content_id=saved_content_id)
    for name in data.model_fields_set:
        value = getattr(data, name)
        setattr(item, name, value or None if name == "user_label" else value)
    await session.flush()
    return item


async def delete_content(*, session: AsyncSession, user_id: int, saved_content_id: int) -> None:
    item = await get_content(session=session, user_id=user_id, saved_content_id=saved_content_id)
    await session.delete(item)
    await session.flush()


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
    feedback = Feedback(
        user_id=user_id,
        generation_id=data.generation_id,
        related_log_id=related_log_id,
        related_saved_content_id=data.saved_content_id,
        rating=data.rating,
        feedback_text=data.feedback_text or None,
        context_details=data.context_details,
    )
    session.add(feedback)
    await session.flush()
    return feedback


async def list_feedback(
    *, session: AsyncSession, user_id: int, limit: int, offset: int
) -> list[Feedback]:
    return list(
        (
            await session.scalars(
                select(Feedback)
                .where(Feedback.user_id == user_id)
                .order_by(Feedback.feedback_id.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
    )


async def card_contexts(
    *, session: AsyncSession, items: Sequence[SavedContent | Row[Any]]
) -> list[CardContext]:
    """Languages and level of the generations that produced saved items, for Anki tags and
    `lang` attributes; one query for any number of items."""
    found = await activity_service.generation_settings(
        session=session,
        generations=(
            (item.user_id, item.generation_id) for item in items if item.generation_id is not None
        ),
    )
    contexts = []
    for item in items:
        known = found.get((item.user_id, item.generation_id)) if item.generation_id else None
        contexts.append(
            CardContext(
                target_language=known.target_language,
                base_language=known.base_language,
                level=known.level,
            )
            if known
            else CardContext()
        )
    return contexts


async def card_context(*, session: AsyncSession, item: SavedContent) -> CardContext:
    return (await card_contexts(session=session, items=[item]))[0]


# What reads a text aloud for an export: the audio file of (text, language), or None.
Speaker = Callable[[str, str], Awaitable[Path | None]]


async def card_audio(
    pairs: Sequence[tuple[SavedContent, CardContext]], speak: Speaker | None
) -> exports.CardAudio:
    """The audio of each card's front and example, in the set's language, where there is
    a voice for it."""
    audio: exports.CardAudio = {}
    if speak is None:
        return audio
    for item, context in pairs:
        if not context.target_language:
            continue
        for index, card in enumerate(item.content_data["cards"]):
            for field in ("front", "example"):
                if card.get(field):
                    path = await speak(card[field], context.target_language)
                    if path is not None:
                        audio[(item.saved_content_id, index, field)] = path
    return audio


async def export_content(
    *,
    session: AsyncSession,
    user_id: int,
    saved_content_id: int,
    export_format: ExportFormat,
    speak: Speaker | None = None,
) -> ExportFile:
    item = await get_content(session=session, user_id=user_id, saved_content_id=saved_content_id)
    if export_format is ExportFormat.apkg:
        context = await card_context(session=session, item=item)
        filename = f"langtutor-{item.saved_content_id}.apkg"
        audio = (
            await card_audio([(item, context)], speak)
            if item.content_type == ContentType.flashcards.value
            else {}
        )
        return await asyncio.to_thread(exports.anki_package, [(item, context)], filename, audio)
    if export_format is ExportFormat.csv:
        return exports.csv_file(item)
    if export_format is ExportFormat.md:
        return exports.markdown_file(item)
    return exports.json_file(item)


async def export_all_flashcards(
    *, session: AsyncSession, user_id: int, speak: Speaker | None = None
) -> ExportFile:
    items = (
        await session.scalars(
            select(SavedContent)
            .where(
                SavedContent.user_id == user_id,
                SavedContent.content_type == ContentType.flashcards.value,
            )
            .order_by(SavedContent.saved_content_id)
        )
    ).all()
    if not items:
        raise NotFound("you have no saved flashcards to export")
    pairs = list(zip(items, await card_contexts(session=session, items=items), strict=True))
    audio = await card_audio(pairs, speak)
    return await asyncio.to_thread(exports.anki_package, pairs, "langtutor-flashcards.apkg", audio)
