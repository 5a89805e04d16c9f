"""Personal FSRS parameters: fitted to a learner's own review log with fsrs-rs (the Rust
optimizer Anki uses), and kept only when they predict that log better than the current ones."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

import fsrs_rs_python as fsrs_rs
from fsrs import Scheduler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.errors import Unprocessable
from langtutor.review.models import ReviewLog

# Below this, a fit describes noise rather than the learner (Anki asks for a few hundred too).
MIN_REVIEWS_TO_FIT = 400


class NotEnoughReviews(Unprocessable):
    pass


@dataclass(frozen=True)
class Fit:
    reviews: int
    log_loss_before: float
    log_loss_after: float
    parameters: list[float]

    @property
    def better(self) -> bool:
        return self.log_loss_after < self.log_loss_before


def training_items(history: Sequence[tuple[int, datetime, int]]) -> list[fsrs_rs.FSRSItem]:
    """(card_id, reviewed_at, rating) rows, ordered by card then time, as fsrs-rs items: one
    per review on a later day than the card's previous one, holding the card's reviews up to
    it (with the days between them)."""
    items = []
    for _, rows in groupby(history, key=lambda row: row[0]):
        reviews: list[fsrs_rs.FSRSReview] = []
        previous: datetime | None = None
        for _, reviewed_at, rating in rows:
            elapsed = 0 if previous is None else (reviewed_at - previous).days
            reviews.append(fsrs_rs.FSRSReview(rating, elapsed))
            previous = reviewed_at
            # A review on the day of the one before teaches the model nothing it predicts
            # (FSRS predicts recall across days): it stays in the history, never a target.
            if len(reviews) > 1 and elapsed > 0:
                items.append(fsrs_rs.FSRSItem(list(reviews)))
    return items


def fit(history: Sequence[tuple[int, datetime, int]], current: Sequence[float]) -> Fit:
    """Blocking (fsrs-rs trains for a few seconds): run it in a worker thread."""
    if len(history) < MIN_REVIEWS_TO_FIT:
        raise NotEnoughReviews(
            f"{len(history)} reviews are too few to fit parameters to; at least "
            f"{MIN_REVIEWS_TO_FIT} are needed"
        )
    items = training_items(history)
    before = fsrs_rs.FSRS(list(current)).evaluate(items).log_loss
    fitted = [float(value) for value in fsrs_rs.FSRS(list(current)).compute_parameters(items)]
    try:
        Scheduler(parameters=fitted)  # within the bounds the scheduler accepts
    except ValueError:
        return Fit(len(history), before, before, list(current))
    after = fsrs_rs.FSRS(fitted).evaluate(items).log_loss
    return Fit(len(history), before, after, fitted)


async def review_history(*, session: AsyncSession, user_id: int) -> list[tuple[int, datetime, int]]:
    rows = await session.execute(
        select(ReviewLog.card_id, ReviewLog.reviewed_at, ReviewLog.rating)
        .where(ReviewLog.user_id == user_id)
        .order_by(ReviewLog.card_id, ReviewLog.reviewed_at, ReviewLog.review_id)
    )
    return [(card_id, reviewed_at, rating) for card_id, reviewed_at, rating in rows]


async def fit_learner(
    *, session: AsyncSession, user_id: int, current: Sequence[float] | None
) -> Fit:
    history = await review_history(session=session, user_id=user_id)
    return await asyncio.to_thread(fit, history, current or Scheduler().parameters)


async def review_counts(*, session: AsyncSession) -> dict[int, int]:
    """Reviews per learner, for the background fit."""
    rows = await session.execute(
        select(ReviewLog.user_id, func.count()).group_by(ReviewLog.user_id)
    )
    return {user_id: count for user_id, count in rows.all()}  # noqa: C416 (Rows, not pairs)
