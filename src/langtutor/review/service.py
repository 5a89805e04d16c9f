"""Spaced repetition with FSRS: cards from what learners save, the daily queue, ratings (with
undo), card edits and statistics. Days roll over at 4 a.m. in the learner's time zone, as in
Anki (`review.days`).

`Review` is the domain's service object (built once in the `Runtime`): its methods take the
`Learner` and own their transactions. The module's functions below it take a session or a
connection: the library, practice and conversations call them inside their own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fsrs import Rating, State
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from langtutor.accounts.learner import Learner
from langtutor.db import Database
from langtutor.errors import Conflict, NotFound, Unprocessable
from langtutor.review import repository
from langtutor.review.cards import CardSource as CardSource
from langtutor.review.cards import CardText as CardText
from langtutor.review.cards import add_cards as add_cards
from langtutor.review.cards import add_mistake_card as add_mistake_card
from langtutor.review.cards import card_texts as card_texts
from langtutor.review.days import DAY_STARTS_AT as DAY_STARTS_AT
from langtutor.review.days import day_of, day_start
from langtutor.review.learned import Learned as Learned
from langtutor.review.learned import bring_back_weak_cards as bring_back_weak_cards
from langtutor.review.learned import learned_cards as learned_cards
from langtutor.review.models import ReviewCard, ReviewLog
from langtutor.review.scheduling import fsrs_card as fsrs_card
from langtutor.review.scheduling import preview as preview
from langtutor.review.scheduling import review_log
from langtutor.review.schemas import CardUpdate, SyncReviewIn
from langtutor.review.schemas import Rating as RatingBody
from langtutor.review.settings import ReviewSettings as ReviewSettings
from langtutor.review.stats import FORECAST_DAYS as FORECAST_DAYS
from langtutor.review.stats import ReviewStats as ReviewStats
from langtutor.review.stats import review_stats
from langtutor.review.sync import Synced, sync

# Learning cards due this soon are shown once nothing else is left (Anki's "learn ahead").
LEARN_AHEAD = timedelta(minutes=20)
# A second rating this soon after the first is a double submission, not a review.
MIN_SECONDS_BETWEEN_RATINGS = 2.0


@dataclass(frozen=True)
class Queue:
    cards: list[ReviewCard]
    due_count: int
    new_count: int
    done_today: int = 0  # reviews since the learner's day began (a grade always moves it)

    @property
    def left(self) -> int:
        return self.due_count + self.new_count


@dataclass(frozen=True)
class ReviewScreen:
    """What the review page shows: the card to grade (with the interval each grade would
    give), else when the next card falls due."""

    queue: Queue
    card: ReviewCard | None
    intervals: dict[int, timedelta]
    next_due: datetime | None


class Review:
    """A learner's review cards, queue, ratings and statistics."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def queue(self, learner: Learner, *, limit: int, now: datetime) -> Queue:
        """Cards to review now (see `queue`)."""
        async with self.db.reading() as session:
            return await queue(
                session=session,
                user_id=learner.user_id,
                settings=ReviewSettings.of(learner),
                limit=limit,
                now=now,
            )

    async def stats(self, learner: Learner, *, days: int, now: datetime) -> ReviewStats:
        async with self.db.reading() as session:
            return await review_stats(
                session=session,
                user_id=learner.user_id,
                settings=ReviewSettings.of(learner),
                days=days,
                now=now,
            )

    async def overview(
        self, learner: Learner, *, days: int, now: datetime
    ) -> tuple[ReviewStats, Queue]:
        """The statistics of the last `days` and what is left today, on one connection."""
        settings = ReviewSettings.of(learner)
        async with self.db.reading() as session:
            stats = await review_stats(
                session=session, user_id=learner.user_id, settings=settings, days=days, now=now
            )
            left = await queue(
                session=session, user_id=learner.user_id, settings=settings, limit=1, now=now
            )
        return stats, left

    async def screen(
        self, learner: Learner, *, now: datetime, card_id: int | None = None
    ) -> ReviewScreen:
        """The next card of the queue, or `card_id` when it is the learner's (after an undo:
        the card to grade again), with its intervals; else when the next card falls due."""
        settings = ReviewSettings.of(learner)
        async with self.db.reading() as session:
            left = await queue(
                session=session, user_id=learner.user_id, settings=settings, limit=1, now=now
            )
            card = left.cards[0] if left.cards else None
            if card_id is not None:
                card = (
                    await repository.card(session, user_id=learner.user_id, card_id=card_id) or card
                )
            if card is not None:
                return ReviewScreen(left, card, preview(card, settings, now), None)
            return ReviewScreen(
                left, None, {}, await next_due(session=session, user_id=learner.user_id)
            )

    async def rate(
        self, learner: Learner, *, card_id: int, data: RatingBody, now: datetime
    ) -> ReviewCard:
        """Apply one review (see `rate_card`)."""
        async with self.db.transaction() as session:
            return await rate_card(
                session=session,
                user_id=learner.user_id,
                card_id=card_id,
                rating=data.rating,
                duration_ms=data.duration_ms,
                settings=ReviewSettings.of(learner),
                now=now,
                reps=data.reps,
            )

    async def undo(self, learner: Learner) -> ReviewCard:
        async with self.db.transaction() as session:
            return await undo_last_review(session=session, user_id=learner.user_id)

    async def offline(
        self, learner: Learner, *, days: int, limit: int, now: datetime
    ) -> list[tuple[ReviewCard, dict[int, timedelta]]]:
        """The cards to review within `days` (today's queue first, in its order, then those
        falling due), each with the interval each grade would give now: a device's copy."""
        settings = ReviewSettings.of(learner)
        user_id = learner.user_id
        async with self.db.reading() as session:
            today = await queue(
                session=session, user_id=user_id, settings=settings, limit=limit, now=now
            )
            cards = list(today.cards)
            if len(cards) < limit:
                cards += await repository.due_until(
                    session,
                    user_id=user_id,
                    until=now + timedelta(days=days),
                    skip=[card.card_id for card in cards],
                    limit=limit - len(cards),
                )
        return [(card, preview(card, settings, now)) for card in cards]

    async def sync(
        self, learner: Learner, *, reviews: Sequence[SyncReviewIn], now: datetime
    ) -> Synced:
        """Keep the reviews a device gave offline (see `review.sync`)."""
        return await sync(
            self.db,
            user_id=learner.user_id,
            settings=ReviewSettings.of(learner),
            reviews=reviews,
            now=now,
        )

    async def card(self, learner: Learner, *, card_id: int) -> ReviewCard:
        async with self.db.reading() as session:
            return await get_card(session=session, user_id=learner.user_id, card_id=card_id)

    async def update_card(self, learner: Learner, *, card_id: int, data: CardUpdate) -> ReviewCard:
        """Only the fields sent change; none of them may be null."""
        changes = {name: getattr(data, name) for name in data.model_fields_set}
        if None in changes.values():
            raise Unprocessable("front, back and suspended cannot be null", loc=["body"])
        async with self.db.transaction() as session:
            card = await get_card(session=session, user_id=learner.user_id, card_id=card_id)
            for name, value in changes.items():
                setattr(card, name, value)
            await session.flush()
            return card

    async def delete_card(self, learner: Learner, *, card_id: int) -> None:
        async with self.db.transaction() as session:
            card = await get_card(session=session, user_id=learner.user_id, card_id=card_id)
            await session.delete(card)


# -- what other domains call inside their transaction -----------------------------------------


async def count_cards_of(*, session: AsyncSession, user_id: int, generation_id: uuid.UUID) -> int:
    """The learner's cards keyed by a generation (or a conversation)."""
    return await repository.count_cards_of(session, user_id=user_id, generation_id=generation_id)


async def count_cards(*, session: AsyncSession, user_id: int, saved_content_id: int) -> int:
    """The learner's cards of a saved set."""
    return await repository.count_cards(session, user_id=user_id, saved_content_id=saved_content_id)


async def lapsed_cards(
    *, connection: AsyncConnection, user_id: int, target_language: str, limit: int
) -> list[tuple[str, str]]:
    """(front, back) of the learner's cards in a language that they have forgotten at least
    once, most often forgotten first."""
    rows = await repository.lapsed(
        connection, user_id=user_id, target_language=target_language, limit=limit
    )
    return [(front, back) for front, back in rows]


async def review_times(
    *, connection: AsyncConnection, user_id: int, since: datetime
) -> list[datetime]:
    """When the learner reviewed a card since then (index: user_id, reviewed_at)."""
    return await repository.review_times(connection, user_id=user_id, since=since)


# -- the queue ----------------------------------------------------------------------------------


async def queue(
    *, session: AsyncSession, user_id: int, settings: ReviewSettings, limit: int, now: datetime
) -> Queue:
    """Learning steps that are due, then review cards due today (oldest due first), then new
    cards within the day's allowance, then learning steps due within LEARN_AHEAD. Two round
    trips: the counts (with the new cards started today), then the cards."""
    zone = settings.timezone
    today = day_of(now, zone)
    bounds = {
        "now": now,
        "user_id": user_id,
        "ahead": now + LEARN_AHEAD,
        "day_end": day_start(today + timedelta(days=1), zone),
        "since": day_start(today, zone),
    }
    due_count, ahead_count, new_total, started, done = await repository.queue_counts(
        session, bounds
    )
    allowance = max(0, settings.new_per_day - started)
    # New cards come after the cards due now: only as many as still fit are read.
    room = max(0, limit - (due_count - ahead_count))
    rows = await repository.queue_cards(
        session, bounds | {"limit": limit, "allowance": min(allowance, room)}
    )
    rows = sorted(rows, key=lambda card: (card.due, card.card_id))
    learning = [card for card in rows if card.last_review and card.state != State.Review.value]
    ordered = (
        [card for card in learning if card.due <= now]
        + [card for card in rows if card.last_review and card.state == State.Review.value]
        + sorted((card for card in rows if card.last_review is None), key=lambda c: c.card_id)
        + [card for card in learning if card.due > now]
    )
    return Queue(
        cards=ordered[:limit],
        due_count=due_count,
        new_count=min(allowance, new_total),
        done_today=done,
    )


async def next_due(*, session: AsyncSession, user_id: int) -> datetime | None:
    """When the learner's next card falls due (for "all done, next due in …")."""
    return await repository.next_due(session, user_id=user_id)


# -- rating and undo ----------------------------------------------------------------------------


async def get_card(*, session: AsyncSession, user_id: int, card_id: int) -> ReviewCard:
    card = await repository.card(session, user_id=user_id, card_id=card_id)
    if card is None:
        raise NotFound(f"no review card {card_id} of yours")
    return card


def _check_rating(card: ReviewCard, *, reps: int | None, now: datetime) -> None:
    """Refuse (409) a rating of a suspended card, or one that would apply a review twice."""
    if card.suspended:
        raise Conflict("this card is suspended; unsuspend it to review it")
    if reps is not None and reps != card.reps:
        raise Conflict("this card was reviewed since it was shown; undo that review to change it")
    if (
        reps is None
        and card.last_review is not None
        and (now - card.last_review).total_seconds() < MIN_SECONDS_BETWEEN_RATINGS
    ):
        raise Conflict("this card was rated a moment ago; undo that rating to change it")


async def rate_card(
    *,
    session: AsyncSession,
    user_id: int,
    card_id: int,
    rating: int,
    duration_ms: int | None,
    settings: ReviewSettings,
    now: datetime,
    reps: int | None = None,
) -> ReviewCard:
    """Apply one review. A card not due yet may be reviewed (early review, as in Anki). One
    review is never applied twice: with `reps` (the card's review count when it was shown), a
    card reviewed since is refused (409); without it, a rating within
    MIN_SECONDS_BETWEEN_RATINGS of the last one is taken for a double submission (409); and
    of two ratings that race, one applies and the other answers 409."""
    card = await get_card(session=session, user_id=user_id, card_id=card_id)
    _check_rating(card, reps=reps, now=now)
    before = fsrs_card(card)
    after, _ = settings.scheduler().review_card(before, Rating(rating), now, duration_ms)
    assert after.stability is not None
    assert after.difficulty is not None
    lapse = int(card.state == State.Review.value and rating == Rating.Again.value)
    new_state = {
        "state": after.state.value,
        "step": after.step,
        "stability": after.stability,
        "difficulty": after.difficulty,
        "due": after.due,
        "last_review": after.last_review,
        "reps": card.reps + 1,
        "lapses": card.lapses + lapse,
    }
    try:
        applied = await repository.apply_review(
            session, card_id=card.card_id, reps=card.reps, new_state=new_state
        )
    except OperationalError as error:
        # SQLite refuses the write of a transaction whose snapshot another write made stale.
        if "locked" in str(error) and session.get_bind().dialect.name == "sqlite":
            raise Conflict("this card was rated by another request at the same moment") from None
        raise
    if not applied:
        raise Conflict("this card was rated by another request at the same moment")
    log = review_log(
        before, user_id=user_id, rating=rating, duration_ms=duration_ms, now=now, after=after
    )
    session.add(ReviewLog(**log))
    for name, value in new_state.items():  # what the UPDATE wrote, without reading it back
        set_committed_value(card, name, value)
    await session.flush()
    return card


async def undo_last_review(*, session: AsyncSession, user_id: int) -> ReviewCard:
    """Put the card of the learner's last review back exactly as it was, and forget it."""
    log = await repository.last_review(session, user_id=user_id)
    if log is None:
        raise NotFound("there is no review to undo")
    card = await get_card(session=session, user_id=user_id, card_id=log.card_id)
    card.state = log.state_before
    card.step = log.step_before
    card.stability = log.stability_before
    card.difficulty = log.difficulty_before
    card.due = log.due_before
    card.last_review = log.last_review_before
    card.reps = max(0, card.reps - 1)
    if log.state_before == State.Review.value and log.rating == Rating.Again.value:
        card.lapses = max(0, card.lapses - 1)
    await session.delete(log)
    await session.flush()
    return card
