"""Reviews given offline (`POST /review/sync`): each kept once, by the id the device gave it,
and each card the replay of all its reviews in time order through FSRS. That is Anki's rule
when two devices reviewed the same card: both reviews are in the log, and the card is as of
the latest answer, whichever device sent it first.

A review is checked on its own: one that cannot be kept (a rating outside 1–4, a date in the
future or before its card existed, a card deleted or never the learner's) is answered
`rejected` with its reason, and the others are still kept.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fsrs import Card, Rating, State
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from langtutor.db import Database
from langtutor.errors import Conflict
from langtutor.review import repository
from langtutor.review.models import ReviewCard
from langtutor.review.scheduling import fsrs_card, review_log
from langtutor.review.schemas import MAX_DURATION_MS, SyncReviewIn
from langtutor.review.settings import ReviewSettings

# A device whose clock runs a little ahead of the server's has not reviewed in the future.
CLOCK_SKEW = timedelta(minutes=5)
MAX_CARD_ID = 2_147_483_647
Status = Literal["applied", "duplicate", "rejected"]


@dataclass(frozen=True)
class Outcome:
    client_review_id: uuid.UUID
    status: Status
    reason: str | None = None


@dataclass(frozen=True)
class Synced:
    outcomes: list[Outcome]  # one per review sent, in its order
    cards: list[ReviewCard]  # each card a review was applied to, as it is now


@dataclass(frozen=True)
class Step:
    """One review of a card to (re)apply, in time order."""

    reviewed_at: datetime
    rating: int
    duration_ms: int | None
    client_review_id: uuid.UUID | None


def problem(review: SyncReviewIn, now: datetime) -> str | None:
    """Why a review cannot be kept whatever the card, or None."""
    if not 1 <= review.rating <= 4:
        return "rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)"
    if review.reviewed_at.tzinfo is None:
        return "reviewed_at has no time zone offset"
    if review.reviewed_at > now + CLOCK_SKEW:
        return "reviewed_at is in the future"
    if review.duration_ms is not None and not 0 <= review.duration_ms <= MAX_DURATION_MS:
        return f"duration_ms must be 0 to {MAX_DURATION_MS:,} (a day)"
    if not 1 <= review.card_id <= MAX_CARD_ID:
        return f"no review card {review.card_id} of yours"
    return None


async def sync_reviews(
    *,
    session: AsyncSession,
    user_id: int,
    settings: ReviewSettings,
    reviews: Sequence[SyncReviewIn],
    now: datetime,
) -> Synced:
    """Keep every review that can be kept, once; replay each card they touch."""
    outcomes: dict[int, Outcome] = {}
    candidates: list[int] = []
    seen: set[uuid.UUID] = set()
    for index, review in enumerate(reviews):
        if review.client_review_id in seen:  # the same review twice in one send
            outcomes[index] = Outcome(review.client_review_id, "duplicate")
        elif (reason := problem(review, now)) is not None:
            outcomes[index] = Outcome(review.client_review_id, "rejected", reason)
        else:
            candidates.append(index)
        seen.add(review.client_review_id)
    known = await repository.known_client_reviews(
        session, user_id=user_id, ids=[reviews[index].client_review_id for index in candidates]
    )
    cards = await repository.cards_by_id(
        session, user_id=user_id, card_ids={reviews[index].card_id for index in candidates}
    )
    accepted: dict[int, list[Step]] = defaultdict(list)
    for index in candidates:
        review = reviews[index]
        outcome = _judge(review, known, cards.get(review.card_id))
        outcomes[index] = outcome
        if outcome.status == "applied":
            accepted[review.card_id].append(
                Step(
                    review.reviewed_at.astimezone(UTC),
                    review.rating,
                    review.duration_ms,
                    review.client_review_id,
                )
            )
    for card_id, steps in accepted.items():
        await replay(session, cards[card_id], steps, settings)
    await session.flush()
    return Synced(
        [outcomes[index] for index in range(len(reviews))],
        [cards[card_id] for card_id in accepted],
    )


def _judge(review: SyncReviewIn, known: set[uuid.UUID], card: ReviewCard | None) -> Outcome:
    if review.client_review_id in known:
        return Outcome(review.client_review_id, "duplicate")
    if card is None:
        reason = f"no review card {review.card_id} of yours (it was deleted, or is not yours)"
        return Outcome(review.client_review_id, "rejected", reason)
    if review.reviewed_at < card.created_at:
        reason = f"reviewed_at is before review card {review.card_id} was made"
        return Outcome(review.client_review_id, "rejected", reason)
    return Outcome(review.client_review_id, "applied")


async def replay(
    session: AsyncSession, card: ReviewCard, new: list[Step], settings: ReviewSettings
) -> None:
    """Apply the new reviews of a card. When one is older than the card's last review, the
    reviews after it are taken back and applied again with the new ones, in time order, from
    the card as it was before the first of them."""
    first = min(step.reviewed_at for step in new)
    later: Sequence[Any] = []
    if card.last_review is not None and first < card.last_review:
        later = await repository.logs_after(session, card_id=card.card_id, after=first)
    state = _state_before(card, later)
    reps = card.reps - len(later)
    lapses = card.lapses - sum(_is_lapse(log.state_before, log.rating) for log in later)
    if later:
        await repository.delete_logs(session, [log.review_id for log in later])
    steps = sorted(
        [
            Step(log.reviewed_at.astimezone(UTC), log.rating, log.duration_ms, log.client_review_id)
            for log in later
        ]
        + new,
        key=lambda step: step.reviewed_at,
    )
    scheduler = settings.scheduler()
    logs = []
    for step in steps:
        after, _ = scheduler.review_card(
            state, Rating(step.rating), step.reviewed_at, step.duration_ms
        )
        logs.append(
            review_log(
                state,
                user_id=card.user_id,
                rating=step.rating,
                duration_ms=step.duration_ms,
                now=step.reviewed_at,
                after=after,
                client_review_id=step.client_review_id,
            )
        )
        reps += 1
        lapses += _is_lapse(state.state.value, step.rating)
        state = after
    await _write(session, card, state, reps=reps, lapses=lapses)
    await repository.insert_logs(session, logs)


def _is_lapse(state_before: int, rating: int) -> int:
    return int(state_before == State.Review.value and rating == Rating.Again.value)


def _state_before(card: ReviewCard, later: Sequence[Any]) -> Card:
    """The card as FSRS takes it before the first of the reviews taken back (or as it is)."""
    if not later:
        return fsrs_card(card)
    first = later[0]
    return Card(
        card_id=card.card_id,
        state=State(first.state_before),
        step=first.step_before,
        stability=first.stability_before,
        difficulty=first.difficulty_before,
        due=first.due_before,
        last_review=first.last_review_before,
    )


async def _write(
    session: AsyncSession, card: ReviewCard, state: Card, *, reps: int, lapses: int
) -> None:
    """The card's new state, if no other request changed it since it was read."""
    new_state = {
        "state": state.state.value,
        "step": state.step,
        "stability": state.stability,
        "difficulty": state.difficulty,
        "due": state.due,
        "last_review": state.last_review,
        "reps": reps,
        "lapses": lapses,
    }
    if not await repository.apply_review(
        session, card_id=card.card_id, reps=card.reps, new_state=new_state
    ):
        raise Conflict("this card was reviewed by another request at the same moment")
    for name, value in new_state.items():
        set_committed_value(card, name, value)


# Two sends of the same reviews at once (a reconnect and "Sync now"): one waits for the other's
# rows or finds its card changed, and is tried again, finding then what the other kept.
ATTEMPTS = 3


async def sync(
    db: Database,
    *,
    user_id: int,
    settings: ReviewSettings,
    reviews: Sequence[SyncReviewIn],
    now: datetime,
) -> Synced:
    """`sync_reviews` in a transaction of its own, tried again when another send raced it."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with db.transaction() as session:
                return await sync_reviews(
                    session=session, user_id=user_id, settings=settings, reviews=reviews, now=now
                )
        except (Conflict, IntegrityError, OperationalError) as error:
            # SQLite refuses the write of a transaction whose snapshot another write made
            # stale ("database is locked"); any other operational error is not a race.
            raced = not isinstance(error, OperationalError) or "locked" in str(error)
            if attempt == ATTEMPTS or not raced:
                raise
    raise AssertionError("unreachable")
