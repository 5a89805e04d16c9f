"""`langtutor review optimize`: parameters fitted to a learner's own log (fsrs-rs) predict that
log better than the defaults, and too short a log is refused with a clear message."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fsrs import Card, Rating, Scheduler
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from langtutor.accounts.models import User
from langtutor.cli import app as cli
from langtutor.config import get_settings
from langtutor.db import create_sessionmaker
from langtutor.jobs import fit_due_learners
from langtutor.review.models import ReviewCard, ReviewLog
from tests.conftest import TEST_SECRET

# A learner whose memory is much better than FSRS's default learner: initial stabilities
# (the first four parameters) several times longer.
TRUE_PARAMETERS = list(Scheduler().parameters)
TRUE_PARAMETERS[:4] = [2.0, 6.0, 15.0, 40.0]


def synthetic_log(
    cards: int, reviews_per_card: int, seed: int = 7
) -> list[list[tuple[datetime, int]]]:
    """Reviews drawn from TRUE_PARAMETERS: recalled with the true model's probability."""
    rng = random.Random(seed)
    truth = Scheduler(parameters=TRUE_PARAMETERS, learning_steps=(), enable_fuzzing=False)
    start = datetime(2025, 1, 1, 9, tzinfo=UTC)
    log = []
    for number in range(cards):
        card = Card(card_id=number + 1, due=start)
        when = start + timedelta(hours=number)
        reviews = []
        for review in range(reviews_per_card):
            if review == 0:
                rating = rng.choices(list(Rating), weights=[15, 10, 60, 15])[0]
            else:
                recalled = rng.random() < truth.get_card_retrievability(card, when)
                rating = (
                    rng.choice([Rating.Hard, Rating.Good, Rating.Good, Rating.Easy])
                    if recalled
                    else Rating.Again
                )
            card, _ = truth.review_card(card, rating, when)
            reviews.append((when, rating.value))
            when = card.due + timedelta(hours=rng.randint(0, 30))
        log.append(reviews)
    return log


async def learner_with_log(
    db: AsyncEngine, username: str, log: list[list[tuple[datetime, int]]]
) -> int:
    async with db.begin() as connection:
        user_id = int(
            (
                await connection.execute(
                    insert(User)
                    .values(username=username, password_hash="x")
                    .returning(User.user_id)
                )
            ).scalar_one()
        )
        for reviews in log:
            card_id = (
                await connection.execute(
                    insert(ReviewCard)
                    .values(
                        user_id=user_id,
                        source="flashcard",
                        front="f",
                        back="b",
                        state=2,
                        due=reviews[-1][0],
                        reps=len(reviews),
                        lapses=0,
                        suspended=False,
                        created_at=reviews[0][0],
                    )
                    .returning(ReviewCard.card_id)
                )
            ).scalar_one()
            rows: list[dict[str, Any]] = [
                {
                    "card_id": card_id,
                    "user_id": user_id,
                    "rating": rating,
                    "reviewed_at": when,
                    "interval_days": 1,
                    "elapsed_days": 0,
                    "stability_after": 1.0,
                    "difficulty_after": 5.0,
                    "state_before": 2,
                    "due_before": when,
                }
                for when, rating in reviews
            ]
            await connection.execute(insert(ReviewLog), rows)
    return user_id


@pytest.fixture
def cli_environment(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LANGTUTOR_DATABASE_URL", database_url)
    monkeypatch.setenv("LANGTUTOR_SECRET_KEY", TEST_SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def optimize(*args: str) -> Result:
    # The command runs its own event loop: give it a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, cli, ["review", "optimize", *args])


async def test_fitted_parameters_predict_the_learners_log_better(
    db: AsyncEngine, cli_environment: None
) -> None:
    log = synthetic_log(cards=200, reviews_per_card=10)
    assert sum(len(reviews) for reviews in log) == 2000
    user_id = await learner_with_log(db, "fitted", log)
    result = await optimize("--user", "fitted")
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("fitted: 2000 reviews, log loss ")
    before, after = (
        float(value) for value in line.split("log loss ")[1].split(" (")[0].split(" -> ")
    )
    assert after < before, line
    assert "(kept)" in line
    async with db.connect() as connection:
        stored, at_fit = (
            await connection.execute(
                select(User.fsrs_parameters, User.fsrs_reviews_at_fit).where(
                    User.user_id == user_id
                )
            )
        ).one()
    assert len(stored) == 21
    assert stored != list(Scheduler().parameters)
    assert at_fit == 2000
    Scheduler(parameters=stored)  # the scheduler accepts them


async def test_too_short_a_log_is_refused_with_a_clear_message(
    db: AsyncEngine, cli_environment: None
) -> None:
    await learner_with_log(db, "newcomer", synthetic_log(cards=20, reviews_per_card=5))
    result = await optimize("--user", "newcomer")
    assert result.exit_code == 1
    assert "100 reviews are too few to fit parameters to; at least 400 are needed" in result.output
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT fsrs_parameters FROM users")) is None
    unknown = await optimize("--user", "nobody")
    assert unknown.exit_code == 1
    assert "no learner named 'nobody'" in unknown.output


async def test_the_background_fit_takes_learners_with_enough_new_reviews(db: AsyncEngine) -> None:
    fitted_id = await learner_with_log(db, "busy", synthetic_log(cards=100, reviews_per_card=5))
    await learner_with_log(db, "quiet", synthetic_log(cards=20, reviews_per_card=5))
    sessionmaker = create_sessionmaker(db)
    first = await fit_due_learners(sessionmaker, after=400)
    assert [(fit.username, fit.fit.reviews) for fit in first] == [("busy", 500)]
    async with db.connect() as connection:
        at_fit = await connection.scalar(
            select(User.fsrs_reviews_at_fit).where(User.user_id == fitted_id)
        )
    assert at_fit == 500
    assert await fit_due_learners(sessionmaker, after=400) == []  # nothing new since
