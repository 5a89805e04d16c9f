"""What a study plan asks of the cards of a unit's sets: how many are learned (FSRS state
Review), and the weak ones brought back into the next unit's reviews."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.review import repository


@dataclass(frozen=True)
class Learned:
    """A set's cards (mistakes apart, suspended ones apart) and how many of them are learned."""

    cards: int
    learned: int

    @property
    def share(self) -> float:
        """From 0 to 1; a set without cards has nothing left to learn."""
        return self.learned / self.cards if self.cards else 1.0


async def learned_cards(
    *, session: AsyncSession, user_id: int, saved_content_ids: Sequence[int]
) -> dict[int, Learned]:
    """Of each of these saved sets of the learner's: its cards and how many are learned."""
    if not saved_content_ids:
        return {}
    rows = await repository.learned_counts(
        session, user_id=user_id, saved_content_ids=saved_content_ids
    )
    return {saved_content_id: Learned(cards, learned) for saved_content_id, cards, learned in rows}


async def bring_back_weak_cards(
    *,
    session: AsyncSession,
    user_id: int,
    saved_content_ids: Sequence[int],
    generation_ids: Sequence[uuid.UUID],
    now: datetime,
) -> int:
    """The weak cards of these sets and generations (forgotten at least once, or made from a
    mistake) due now, so that they come back in today's reviews; how many were moved."""
    if not saved_content_ids and not generation_ids:
        return 0
    return await repository.bring_back(
        session,
        user_id=user_id,
        saved_content_ids=saved_content_ids,
        generation_ids=generation_ids,
        now=now,
    )
