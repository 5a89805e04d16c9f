"""What the review page shows besides the card: the intervals on the rating buttons ("Good
10m"), what each rating would do to the card as FSRS schedules it, without the fuzz that the
rating itself adds (the same every time the card is shown); and, once all is done, when the
next card falls due."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.db import create_sessionmaker, session_scope
from langtutor.review.models import ReviewCard
from langtutor.review.service import ReviewSettings, next_due, preview

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SETTINGS = ReviewSettings(
    desired_retention=0.9, new_per_day=20, maximum_interval_days=36_500, timezone=ZoneInfo("UTC")
)


def card_in(state: State, **fields: object) -> ReviewCard:
    values: dict[str, object] = {
        "card_id": 1,
        "state": state.value,
        "step": 0,
        "stability": None,
        "difficulty": None,
        "due": NOW,
        "last_review": None,
    }
    return ReviewCard(**(values | fields))


def test_the_buttons_show_what_fsrs_would_do_without_fuzz() -> None:
    scheduler = Scheduler(desired_retention=0.9, maximum_interval=36_500, enable_fuzzing=False)
    reviewed = NOW - timedelta(days=12)
    for card, memory in (
        (card_in(State.Learning), Card(card_id=1, due=NOW)),
        (
            card_in(State.Review, step=None, stability=11.0, difficulty=5.5, last_review=reviewed),
            Card(
                card_id=1,
                state=State.Review,
                step=None,
                stability=11.0,
                difficulty=5.5,
                due=NOW,
                last_review=reviewed,
            ),
        ),
    ):
        expected = {
            rating.value: scheduler.review_card(memory, rating, NOW)[0].due - NOW
            for rating in Rating
        }
        for seed in (1, 2):
            random.seed(seed)
            assert preview(card, SETTINGS, NOW) == expected
    assert expected[Rating.Again.value] < expected[Rating.Easy.value]


async def test_all_done_says_when_the_next_reviewed_card_falls_due(db: AsyncEngine) -> None:
    """ "Next due in …" counts the learner's own cards that are studied (not new) and not
    suspended."""
    statement = text(
        "INSERT INTO users (username, password_hash) VALUES (:name, 'x') RETURNING user_id"
    )
    async with db.begin() as connection:
        learner, other = [
            (await connection.execute(statement, {"name": name})).scalar_one()
            for name in ("learner", "other")
        ]
    cards = [
        (learner, NOW + timedelta(days=3), NOW, False),
        (learner, NOW + timedelta(days=1), None, False),  # new: not studied yet
        (learner, NOW + timedelta(hours=2), NOW, True),  # suspended
        (other, NOW + timedelta(hours=1), NOW, False),
    ]
    async with session_scope(create_sessionmaker(db)) as session:
        assert await next_due(session=session, user_id=learner) is None
        for user_id, due, last_review, suspended in cards:
            session.add(
                card_in(
                    State.Review,
                    card_id=None,
                    user_id=user_id,
                    source="flashcard",
                    front="a",
                    back="b",
                    due=due,
                    last_review=last_review,
                    suspended=suspended,
                    reps=1,
                    lapses=0,
                )
            )
        await session.flush()
        assert await next_due(session=session, user_id=learner) == NOW + timedelta(days=3)
