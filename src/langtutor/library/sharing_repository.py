"""The statements of shared links (`content_shares`): a set's link read by its owner
(through `owned`) or by its token (anyone holding the link), made once, deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.library.models import ContentShare, SavedContent


def owned(user_id: int) -> ColumnElement[bool]:
    """The condition every read of a learner's links by id carries: theirs only."""
    return ContentShare.user_id == user_id


async def token_of(session: AsyncSession, *, user_id: int, saved_content_id: int) -> str | None:
    return await session.scalar(
        select(ContentShare.token).where(
            ContentShare.saved_content_id == saved_content_id, owned(user_id)
        )
    )


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> str | None:
    """The new link's token, or None when the set has one already (even one made at this
    very moment: ON CONFLICT inserts nothing)."""
    dialect = session.get_bind().dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(ContentShare)
    return await session.scalar(
        insert.values(values)
        .on_conflict_do_nothing(index_elements=["saved_content_id"])
        .returning(ContentShare.token)
    )


async def remove(session: AsyncSession, *, user_id: int, saved_content_id: int) -> None:
    await session.execute(
        delete(ContentShare).where(
            ContentShare.saved_content_id == saved_content_id, owned(user_id)
        )
    )


async def shared_set(session: AsyncSession, *, token: str) -> SavedContent | None:
    """The set a live link shows, or None for a token that is not one."""
    return await session.scalar(
        select(SavedContent)
        .join(ContentShare, ContentShare.saved_content_id == SavedContent.saved_content_id)
        .where(ContentShare.token == token)
    )
