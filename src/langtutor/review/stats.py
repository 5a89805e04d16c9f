"""A learner's review statistics: reviews per day, true retention, cards by state and the
forecast of cards falling due, each day counted in the learner's time zone."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fsrs import Rating
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.review import repository
from langtutor.review.days import day_of, day_start
from langtutor.review.models import NEW, STATE_NAMES
from langtutor.review.settings import ReviewSettings

FORECAST_DAYS = 30


@dataclass(frozen=True)
class ReviewStats:
    due_today: int
    reviews_per_day: list[tuple[date, int]]
    true_retention: float | None
    retention_reviews: int
    forecast: list[tuple[date, int]]
    cards_by_state: dict[str, int]


async def review_stats(
    *, session: AsyncSession, user_id: int, settings: ReviewSettings, days: int, now: datetime
) -> ReviewStats:
    zone = settings.timezone
    today = day_of(now, zone)
    first = today - timedelta(days=days - 1)
    logs = await repository.reviews_since(session, user_id=user_id, since=day_start(first, zone))
    per_day: Counter[date] = Counter(day_of(reviewed_at, zone) for reviewed_at, _, _ in logs)
    # True retention: of reviews of cards in the review state, the share not forgotten.
    recalls = [rating != Rating.Again.value for _, rating, state in logs if state == 2]
    by_state: Counter[str] = Counter()
    forecast: Counter[date] = Counter()
    for state, due, last_review, suspended in await repository.card_states(
        session, user_id=user_id
    ):
        if suspended:
            by_state["suspended"] += 1
            continue
        by_state[NEW if last_review is None else STATE_NAMES[state]] += 1
        if last_review is not None:
            forecast[max(today, day_of(due, zone))] += 1
    return ReviewStats(
        due_today=forecast[today],
        reviews_per_day=[
            (first + timedelta(days=n), per_day[first + timedelta(days=n)]) for n in range(days)
        ],
        true_retention=round(sum(recalls) / len(recalls), 4) if recalls else None,
        retention_reviews=len(recalls),
        forecast=[
            (today + timedelta(days=n), forecast[today + timedelta(days=n)])
            for n in range(FORECAST_DAYS)
        ],
        cards_by_state={
            name: by_state[name] for name in (NEW, "learning", "review", "relearning", "suspended")
        },
    )
