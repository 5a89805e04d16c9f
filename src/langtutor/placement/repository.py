"""The statements of placements: every read of a learner's placement through `owned` (another
learner's id finds nothing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from langtutor.errors import Conflict
from langtutor.placement.models import PlacementTest

TAKEN = "these answers were already taken: see the placement as it is"


async def owned(
    session: AsyncSession, *, user_id: int, placement_id: int, for_update: bool = False
) -> PlacementTest | None:
    """The learner's placement of that id, or None; locked for the transaction when it is
    to change (PostgreSQL: two posts of the same answers do not both apply)."""
    statement = select(PlacementTest).where(
        PlacementTest.placement_id == placement_id, PlacementTest.user_id == user_id
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def add(session: AsyncSession, placement: PlacementTest) -> PlacementTest:
    session.add(placement)
    await session.flush()
    return placement


async def save(session: AsyncSession, placement: PlacementTest) -> None:
    """The placement's changes written over the version it was read at; 409 when another
    request changed it since."""
    try:
        await session.flush()
    except StaleDataError:
        raise Conflict(TAKEN) from None


async def last_accepted(session: AsyncSession, *, user_id: int, language: str) -> datetime | None:
    """When the learner last kept a placement's level in this language, or None."""
    return await session.scalar(
        select(func.max(PlacementTest.accepted_at)).where(
            PlacementTest.user_id == user_id, PlacementTest.language == language
        )
    )
