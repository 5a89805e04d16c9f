"""The library's statements: saved sets, the library's page (the hot read, through
`db.fetch_rows`), its counts, and feedback.

Every read of a learner's saved sets or feedback goes through `owned`: another learner's id
simply finds nothing (and the service answers 404).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, bindparam, cast, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from langtutor.db import among, fetch_rows
from langtutor.enums import ContentType
from langtutor.library.models import Feedback, SavedContent


def owned(user_id: Any, model: type[SavedContent] | type[Feedback] = SavedContent) -> Any:
    """The condition every read of a learner's saved sets (or feedback) carries: theirs only."""
    condition: ColumnElement[bool] = model.user_id == user_id
    return condition


# -- saved sets -------------------------------------------------------------------------------


async def content(
    session: AsyncSession, *, user_id: int, saved_content_id: int
) -> SavedContent | None:
    return await session.scalar(
        select(SavedContent).where(
            SavedContent.saved_content_id == saved_content_id, owned(user_id)
        )
    )


async def insert_set(session: AsyncSession, values: dict[str, Any]) -> SavedContent:
    item = await session.scalar(insert(SavedContent).values(values).returning(SavedContent))
    assert item is not None
    return item


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> SavedContent | None:
    """The saved set, or None when this generation was saved before (even at this very
    moment: ON CONFLICT inserts nothing)."""
    dialect = session.get_bind().dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(SavedContent)
    return await session.scalar(
        insert.values(values)
        .on_conflict_do_nothing(index_elements=["user_id", "generation_id"])
        .returning(SavedContent)
    )


async def saved_generation(
    session: AsyncSession, *, user_id: int, generation_id: uuid.UUID
) -> SavedContent | None:
    return await session.scalar(
        select(SavedContent).where(owned(user_id), SavedContent.generation_id == generation_id)
    )


async def languages(session: AsyncSession, *, user_id: int) -> list[str]:
    found = await session.scalars(
        select(SavedContent.target_language)
        .where(owned(user_id), SavedContent.target_language.is_not(None))
        .distinct()
    )
    return [language for language in found if language]


async def count_of_type(session: AsyncSession, *, user_id: int, content_type: ContentType) -> int:
    total = await session.scalar(
        select(func.count()).where(owned(user_id), SavedContent.content_type == content_type.value)
    )
    return total or 0


async def flashcards(session: AsyncSession, *, user_id: int) -> Sequence[SavedContent]:
    return (
        await session.scalars(
            select(SavedContent)
            .where(owned(user_id), SavedContent.content_type == ContentType.flashcards.value)
            .order_by(SavedContent.saved_content_id)
        )
    ).all()


# -- the library's page -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Filters:
    """What a listing filters on: each shape's statement is built once, values bound."""

    dialect: str
    by_type: bool
    by_language: bool
    words: int


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


def _matching(shape: _Filters) -> Select[Any]:
    query = select(SavedContent).where(owned(bindparam("user_id")))
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


async def page(
    connection: AsyncConnection,
    *,
    user_id: int,
    content_type: ContentType | None,
    words: list[str],
    limit: int,
    offset: int,
    language: str | None,
    content_as_text: bool,
) -> tuple[Sequence[Any], int]:
    """A page of the learner's saved sets, newest first, and how many match in all: one
    statement, the total riding along on every row as a window count."""
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
    rows = await fetch_rows(connection, _page_query(shape, content_as_text=content_as_text), values)
    if rows:
        return rows, int(rows[0].total)
    if offset == 0:
        return rows, 0
    # A page past the end: the count has no row to ride on.
    total = await connection.scalar(
        select(func.count()).select_from(_matching(shape).subquery()), values
    )
    return rows, total or 0


# One scan of the learner's feedback (an aggregate without GROUP BY: always one row), with
# the saved items' count beside it.
_COUNTS = select(
    select(func.count())
    .select_from(SavedContent)
    .where(owned(bindparam("user_id")))
    .scalar_subquery()
    .label("saved"),
    func.count(Feedback.feedback_id).label("feedback"),
    func.avg(Feedback.rating).label("mean_rating"),
).where(owned(bindparam("user_id"), Feedback))


async def counts(connection: AsyncConnection, *, user_id: int) -> Any:
    """(saved, feedback, mean_rating) of the learner: one statement."""
    ((row),) = await fetch_rows(connection, _COUNTS, {"user_id": user_id})
    return row


# -- feedback ---------------------------------------------------------------------------------


async def add_feedback(session: AsyncSession, feedback: Feedback) -> Feedback:
    session.add(feedback)
    await session.flush()
    return feedback


async def feedback_page(
    session: AsyncSession, *, user_id: int, limit: int, offset: int
) -> list[Feedback]:
    return list(
        (
            await session.scalars(
                select(Feedback)
                .where(owned(user_id, Feedback))
                .order_by(Feedback.feedback_id.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
    )


async def finish_times(
    session: AsyncSession, saved_content_ids: Sequence[int]
) -> dict[int, datetime | None]:
    """When each of these saved sets was first gone through to its end (None: not yet)."""
    if not saved_content_ids:
        return {}
    rows = await session.execute(
        select(SavedContent.saved_content_id, SavedContent.finished_at).where(
            among(
                SavedContent.saved_content_id,
                saved_content_ids,
                session.get_bind().dialect.name,
            )
        )
    )
    return {row.saved_content_id: row.finished_at for row in rows}
