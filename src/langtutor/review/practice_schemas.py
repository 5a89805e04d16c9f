"""Request and response bodies of `/review/practice`: practice outside the schedule."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from langtutor.review.schemas import MAX_DURATION_MS, ReviewCardOut
from langtutor.schemas import RequestModel

MAX_ID = 2_147_483_647  # PostgreSQL integer
DEFAULT_HARDEST = 20
MAX_HARDEST = 100


class PracticeGrade(RequestModel):
    """One card graded in practice: recorded as practice, the card's schedule unchanged."""

    card_id: int = Field(ge=1, le=MAX_ID, description="one of your review cards")
    rating: int = Field(ge=1, le=4, description="1 Again, 2 Hard, 3 Good, 4 Easy")
    duration_ms: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DURATION_MS,
        description="how long the learner looked at the card",
    )

    @classmethod
    def from_page(cls, card_id: Any, rating: Any, duration_ms: Any = None) -> PracticeGrade:
        """A grade sent by the practice page's form (numbers already read as numbers): the
        script's timing rides along when it is a whole number; a grade is never refused
        for it."""
        values: dict[str, Any] = {
            "card_id": card_id if isinstance(card_id, int) else str(card_id),
            "rating": rating if isinstance(rating, int) else str(rating),
        }
        if isinstance(duration_ms, int) and duration_ms >= 0:
            values["duration_ms"] = min(duration_ms, MAX_DURATION_MS)
        return cls.model_validate(values)


class PracticeSetOut(BaseModel):
    cards: list[ReviewCardOut] = Field(
        description="the cards to practise, in order: a set's in its order, the hardest "
        "cards the most often forgotten first; empty when there are none"
    )
    saved_content_id: int | None = Field(description="the saved set practised, if one")
    title: str | None = Field(description="the saved set's label (else its query)")
    hardest: int | None = Field(description="how many hardest cards were asked for, if so")


class PracticeOut(BaseModel):
    card: ReviewCardOut = Field(description="the card, its schedule unchanged")
    rating: int
    duration_ms: int | None
