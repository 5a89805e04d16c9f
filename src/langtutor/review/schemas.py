"""Request and response bodies of `/review/*`."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from langtutor.review.models import ReviewCard
from langtutor.schemas import NOT_BLANK, RequestModel, Strip

MAX_DURATION_MS = 86_400_000  # a day
CardText = Annotated[str, StringConstraints(max_length=2000, pattern=NOT_BLANK), Strip]


class Rating(RequestModel):
    rating: int = Field(ge=1, le=4, description="1 Again, 2 Hard, 3 Good, 4 Easy")
    duration_ms: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DURATION_MS,
        description="how long the learner looked at the card",
    )
    reps: int | None = Field(
        default=None,
        ge=0,
        le=2_147_483_647,
        description="the card's `reps` when it was shown: a card reviewed since answers 409. "
        "Without it, a second rating within 2 seconds is refused as a double submission",
    )

    @classmethod
    def from_page(cls, rating: Any, duration_ms: Any = None, reps: Any = None) -> Rating:
        """A grade sent by the review page's form (numbers already read as numbers): the
        script's timing (a day at most) and the card's review count ride along when they
        are whole numbers; a grade is never refused for them."""
        # A grade the form sent as 1.0 or the like is not one of the four buttons' values.
        values: dict[str, Any] = {"rating": rating if isinstance(rating, int) else str(rating)}
        if isinstance(duration_ms, int) and duration_ms >= 0:
            values["duration_ms"] = min(duration_ms, MAX_DURATION_MS)
        if isinstance(reps, int) and reps >= 0:
            values["reps"] = reps
        return cls.model_validate(values)


class CardUpdate(RequestModel):
    """Only the fields sent are changed; none of them may be null."""

    suspended: bool | SkipJsonSchema[None] = None
    front: CardText | SkipJsonSchema[None] = None
    back: CardText | SkipJsonSchema[None] = None


class ReviewCardOut(BaseModel):
    card_id: int
    front: str
    back: str
    example: str | None
    example_translation: str | None
    source: str = Field(description="flashcard or vocabulary (of a saved simulation)")
    saved_content_id: int | None
    item_index: int | None
    target_language: str | None
    base_language: str | None
    state: str = Field(description="new, learning, review or relearning")
    due: datetime
    stability: float | None
    difficulty: float | None
    last_review: datetime | None
    reps: int
    lapses: int
    suspended: bool

    @classmethod
    def of(cls, card: ReviewCard) -> ReviewCardOut:
        return cls(
            card_id=card.card_id,
            front=card.front,
            back=card.back,
            example=card.example,
            example_translation=card.example_translation,
            source=card.source,
            saved_content_id=card.saved_content_id,
            item_index=card.item_index,
            target_language=card.target_language,
            base_language=card.base_language,
            state=card.state_name,
            due=card.due,
            stability=card.stability,
            difficulty=card.difficulty,
            last_review=card.last_review,
            reps=card.reps,
            lapses=card.lapses,
            suspended=card.suspended,
        )


class QueueOut(BaseModel):
    cards: list[ReviewCardOut]
    due_count: int = Field(description="cards due today, learning steps included")
    new_count: int = Field(description="new cards the learner may still start today")


class DayCount(BaseModel):
    date: date
    count: int


class StatsOut(BaseModel):
    due_today: int
    reviews_per_day: list[DayCount]
    true_retention: float | None = Field(
        description="share of reviews of cards in the review state not rated Again"
    )
    retention_reviews: int = Field(description="how many reviews the retention is over")
    forecast: list[DayCount] = Field(description="cards falling due on each of the next 30 days")
    cards_by_state: dict[str, int]


# -- offline review ------------------------------------------------------------------------------

MAX_SYNC_REVIEWS = 10_000
# Room for 10,000 reviews (about 150 bytes each), above the 1 MiB of other requests.
SYNC_BODY_BYTES = 4 * 1024 * 1024


class OfflineCardOut(ReviewCardOut):
    intervals: dict[int, float] = Field(
        description="the interval each rating (1–4) would give, in seconds, as of `generated_at`"
    )
    audio_url: str | None = Field(description="the card's front read aloud (`GET /audio`)")

    @classmethod
    def of(  # type: ignore[override]
        cls, card: ReviewCard, intervals: dict[int, timedelta], audio_url: str | None
    ) -> OfflineCardOut:
        return cls(
            **ReviewCardOut.of(card).model_dump(),
            intervals={rating: span.total_seconds() for rating, span in intervals.items()},
            audio_url=audio_url,
        )


class OfflineOut(BaseModel):
    generated_at: datetime
    cards: list[OfflineCardOut] = Field(
        description="the cards due within the days asked for, in the order review shows them"
    )


class SyncReviewIn(BaseModel):
    """One review given offline. Its values are checked one review at a time: a review that
    cannot be kept is answered `rejected` with its reason, and the others are still kept."""

    client_review_id: uuid.UUID = Field(description="the id the device gave the review")
    card_id: int = Field(description="the review card graded")
    rating: int = Field(description="1 Again, 2 Hard, 3 Good, 4 Easy")
    reviewed_at: datetime = Field(description="when it was graded, with its time zone offset")
    duration_ms: int | None = Field(
        default=None, description="how long the learner looked at the card"
    )


class SyncIn(RequestModel):
    reviews: list[SyncReviewIn] = Field(
        max_length=MAX_SYNC_REVIEWS,
        description=f"at most {MAX_SYNC_REVIEWS:,} reviews, in any order",
    )


class SyncResultOut(BaseModel):
    client_review_id: uuid.UUID
    status: Literal["applied", "duplicate", "rejected"] = Field(
        description="applied: kept now; duplicate: kept by an earlier send; rejected: not "
        "kept, see `reason`"
    )
    reason: str | None = None


class SyncOut(BaseModel):
    results: list[SyncResultOut] = Field(description="one per review sent, in the same order")
    cards: list[ReviewCardOut] = Field(description="each card a review was applied to, as now")
