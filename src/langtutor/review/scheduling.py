"""A card as FSRS takes it, and the log of one review: what rating a card online and replaying
the reviews given offline (`review.sync`) share."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fsrs import Card, Rating, State

from langtutor.review.models import ReviewCard
from langtutor.review.settings import ReviewSettings


def fsrs_card(card: ReviewCard) -> Card:
    return Card(
        card_id=card.card_id,
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def review_log(
    before: Card,
    *,
    user_id: int,
    rating: int,
    duration_ms: int | None,
    now: datetime,
    after: Card,
    client_review_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The row of a review's log, from the card as it was before it (for undo and
    statistics): a row, so that a sync's many are inserted in one statement."""
    assert after.stability is not None
    assert after.difficulty is not None
    return {
        "card_id": before.card_id,
        "user_id": user_id,
        "rating": rating,
        "reviewed_at": now,
        "duration_ms": duration_ms,
        "interval_days": (after.due - now).days,
        "elapsed_days": (now - before.last_review).days if before.last_review else 0,
        "stability_after": after.stability,
        "difficulty_after": after.difficulty,
        "state_before": before.state.value,
        "step_before": before.step,
        "stability_before": before.stability,
        "difficulty_before": before.difficulty,
        "due_before": before.due,
        "last_review_before": before.last_review,
        "client_review_id": client_review_id,
    }


def preview(card: ReviewCard, settings: ReviewSettings, now: datetime) -> dict[int, timedelta]:
    """The interval each rating would give, for the buttons ("Good 10m"), before fuzz."""
    scheduler = settings.scheduler(fuzz=False)
    current = fsrs_card(card)
    return {
        rating.value: scheduler.review_card(current, rating, now)[0].due - now for rating in Rating
    }
