"""The statements of practice outside the schedule ("Practice this set", "Practice your
hardest cards"): reads of the learner's live cards only, through the review domain's `owned`
condition. Practice writes nothing here: a practice grade goes to the activity log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.review.models import ReviewCard
from langtutor.review.repository import owned


def _live(user_id: int) -> Any:
    return and_(owned(user_id), ReviewCard.suspended.is_(False))


async def set_cards(
    session: AsyncSession, *, user_id: int, saved_content_id: int, limit: int
) -> Sequence[ReviewCard]:
    """The learner's live cards of a saved set, in the set's order (cards added later by
    "Add to review" at their place)."""
    query = (
        select(ReviewCard)
        .where(_live(user_id), ReviewCard.saved_content_id == saved_content_id)
        .order_by(ReviewCard.item_index.nulls_last(), ReviewCard.card_id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def hardest_cards(session: AsyncSession, *, user_id: int, limit: int) -> Sequence[ReviewCard]:
    """The learner's hardest live cards among those reviewed at least once: the most often
    forgotten first, then the least stable (FSRS stability), then the most difficult."""
    query = (
        select(ReviewCard)
        .where(_live(user_id), ReviewCard.last_review.is_not(None))
        .order_by(
            ReviewCard.lapses.desc(),
            ReviewCard.stability.asc().nulls_last(),
            ReviewCard.difficulty.desc().nulls_last(),
            ReviewCard.card_id,
        )
        .limit(limit)
    )
    return (await session.scalars(query)).all()
