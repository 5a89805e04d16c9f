"""Spaced repetition with FSRS: cards from what learners save, the daily queue, ratings (with
undo), card edits and statistics. Days roll over at 4 a.m. in the learner's time zone, as in
Anki, so that a late-night session counts for the day it belongs to."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import and_, bindparam, func, insert, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from langtutor.db import fetch_rows, utcnow
from langtutor.enums import ContentType
from langtutor.errors import Conflict, NotFound
from langtutor.review.models import NEW, STATE_NAMES, ReviewCard, ReviewLog

DAY_STARTS_AT = time(4)
# Learning cards due this soon are shown once nothing else is left (Anki's "learn ahead").
LEARN_AHEAD = timedelta(minutes=20)
# A second rating this soon after the first is a double submission, not a review.
MIN_SECONDS_BETWEEN_RATINGS = 2.0
FORECAST_DAYS = 30


class CardSource:
    flashcard = "flashcard"
    vocabulary = "vocabulary"
    mistake = "mistake"  # an exercise answered wrong or almost right
    correction = "correction"  # a learner's line corrected in a conversation


@dataclass(frozen=True)
class ReviewSettings:
    """A learner's scheduling: their own values, else the server's."""

    desired_retention: float
    new_per_day: int
    maximum_interval_days: int
    timezone: ZoneInfo
    parameters: Sequence[float] | None = None

    def scheduler(self, *, fuzz: bool = True) -> Scheduler:
        kwargs: dict[str, Any] = {}
        if self.parameters:
            kwargs["parameters"] = self.parameters
        return Scheduler(
            desired_retention=self.desired_retention,
            maximum_interval=self.maximum_interval_days,
            enable_fuzzing=fuzz,
            **kwargs,
        )


def day_of(moment: datetime, zone: ZoneInfo) -> date:
    """The learner's day of a moment: before 4 a.m. local time it is still yesterday."""
    return (moment.astimezone(zone) - timedelta(hours=DAY_STARTS_AT.hour)).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """When a learner's day begins: 4 a.m. local time (any offset, half hours included)."""
    return datetime.combine(day, DAY_STARTS_AT, zone)


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


# -- cards from saved content -----------------------------------------------------------------


@dataclass(frozen=True)
class CardText:
    source: str
    item_index: int
    front: str
    back: str
    example: str | None = None
    example_translation: str | None = None


def card_texts(content_type: ContentType, content: dict[str, Any]) -> list[CardText]:
    """What of a saved set becomes review cards: each flashcard, a simulation's vocabulary."""
    if content_type is ContentType.flashcards:
        return [
            CardText(
                CardSource.flashcard,
                index,
                card["front"],
                card["back"],
                card.get("example"),
                card.get("example_translation"),
            )
            for index, card in enumerate(content["cards"])
        ]
    if content_type is ContentType.simulation:
        return [
            CardText(CardSource.vocabulary, index, item["term"], item["translation"])
            for index, item in enumerate(content["vocabulary"])
        ]
    return []


async def add_cards(
    *,
    session: AsyncSession,
    user_id: int,
    saved_content_id: int,
    content_type: ContentType,
    content: dict[str, Any],
    target_language: str | None,
    base_language: str | None,
    new_item: bool = False,
) -> int:
    """Cards for every item of a saved set that has none yet (`new_item`: it was saved just
    now, so it has none); the number added."""
    existing: set[Any] = set()
    if not new_item:
        existing = set(
            (
                await session.execute(
                    select(ReviewCard.source, ReviewCard.item_index).where(
                        ReviewCard.saved_content_id == saved_content_id
                    )
                )
            ).all()
        )
    now = utcnow()
    rows = [
        {
            "user_id": user_id,
            "saved_content_id": saved_content_id,
            "source": text.source,
            "item_index": text.item_index,
            "front": text.front,
            "back": text.back,
            "example": text.example,
            "example_translation": text.example_translation,
            "target_language": target_language,
            "base_language": base_language,
            "state": State.Learning.value,
            "step": 0,
            "due": now,
            "reps": 0,
            "lapses": 0,
            "suspended": False,
            "created_at": now,
        }
        for text in card_texts(content_type, content)
        if (text.source, text.item_index) not in existing
    ]
    if rows:  # one statement for the set, without an ORM object per card
        await session.execute(insert(ReviewCard), rows)
    return len(rows)


async def add_mistake_card(
    *,
    session: AsyncSession,
    user_id: int,
    generation_id: uuid.UUID | None,
    saved_content_id: int | None,
    item_index: int,
    text: CardText,
    target_language: str | None,
    base_language: str | None,
    source: str = CardSource.mistake,
) -> int:
    """The review card of an item the learner got wrong (an exercise, a line corrected in a
    conversation): made the first time, the same card every later time. Keyed by the
    generation (or conversation) when there is one, so that answering before and after
    saving is one item; else by the saved set."""
    key = (
        ReviewCard.generation_id == generation_id
        if generation_id is not None
        else ReviewCard.saved_content_id == saved_content_id
    )
    existing = select(ReviewCard.card_id).where(
        ReviewCard.user_id == user_id,
        key,
        ReviewCard.source == source,
        ReviewCard.item_index == item_index,
    )
    if (card_id := await session.scalar(existing)) is not None:
        return card_id
    now = utcnow()
    card = ReviewCard(
        user_id=user_id,
        generation_id=generation_id,
        saved_content_id=saved_content_id,
        source=source,
        item_index=item_index,
        front=text.front,
        back=text.back,
        example=text.example,
        example_translation=text.example_translation,
        target_language=target_language,
        base_language=base_language,
        state=State.Learning.value,
        step=0,
        due=now,
        reps=0,
        lapses=0,
        suspended=False,
        created_at=now,
    )
    try:
        async with session.begin_nested():  # the same mistake, answered twice at once
            session.add(card)
    except IntegrityError:
        if (card_id := await session.scalar(existing)) is not None:
            return card_id
        raise
    return card.card_id


async def count_cards_of(*, session: AsyncSession, user_id: int, generation_id: uuid.UUID) -> int:
    """The learner's cards keyed by a generation (or a conversation)."""
    total = await session.scalar(
        select(func.count()).where(
            ReviewCard.user_id == user_id, ReviewCard.generation_id == generation_id
        )
    )
    return total or 0


_LAPSED = (
    select(ReviewCard.front, ReviewCard.back)
    .where(
        ReviewCard.user_id == bindparam("user_id"),
        ReviewCard.target_language == bindparam("target_language"),
        ReviewCard.lapses > 0,
        ReviewCard.suspended.is_(False),
    )
    .order_by(ReviewCard.lapses.desc(), ReviewCard.last_review.desc())
    .limit(bindparam("limit"))
)


async def lapsed_cards(
    *, connection: AsyncConnection, user_id: int, target_language: str, limit: int
) -> list[tuple[str, str]]:
    """(front, back) of the learner's cards in a language that they have forgotten at least
    once, most often forgotten first."""
    values = {"user_id": user_id, "target_language": target_language, "limit": limit}
    return [(front, back) for front, back in await fetch_rows(connection, _LAPSED, values)]


async def count_cards(*, session: AsyncSession, saved_content_id: int) -> int:
    total = await session.scalar(
        select(func.count()).where(ReviewCard.saved_content_id == saved_content_id)
    )
    return total or 0


# -- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    cards: list[ReviewCard]
    due_count: int
    new_count: int
    done_today: int = 0  # reviews since the learner's day began (a grade always moves it)

    @property
    def left(self) -> int:
        return self.due_count + self.new_count


def _live(user_id: Any) -> Any:
    return and_(ReviewCard.user_id == user_id, ReviewCard.suspended.is_(False))


def _due(learning_until: Any, day_end: Any) -> Any:
    """Learning steps due by `learning_until`; review cards due before the day ends."""
    return and_(
        ReviewCard.last_review.is_not(None),
        or_(
            and_(ReviewCard.state != State.Review.value, ReviewCard.due <= learning_until),
            and_(ReviewCard.state == State.Review.value, ReviewCard.due < day_end),
        ),
    )


# The queue's two statements, built once: every review page runs them, and building them
# costs more than running them (bound: user_id, ahead, day_end, since, limit, allowance).
_LIVE = _live(bindparam("user_id"))
_DUE = _due(bindparam("ahead"), bindparam("day_end"))
_NEW = ReviewCard.last_review.is_(None)
_LEARNING_AHEAD = and_(
    ReviewCard.last_review.is_not(None),
    ReviewCard.state != State.Review.value,
    ReviewCard.due > bindparam("now"),
)
_QUEUE_COUNTS = select(
    func.count().filter(_DUE),
    func.count().filter(_DUE, _LEARNING_AHEAD),
    func.count().filter(_NEW),
    select(func.count())
    .where(
        ReviewLog.user_id == bindparam("user_id"),
        ReviewLog.reviewed_at >= bindparam("since"),
        ReviewLog.last_review_before.is_(None),
    )
    .scalar_subquery(),
    select(func.count())
    .where(ReviewLog.user_id == bindparam("user_id"), ReviewLog.reviewed_at >= bindparam("since"))
    .scalar_subquery(),
).where(_LIVE)
# Each part limited on its own (SQLite wants a subquery around a part with LIMIT); the
# queue orders the at most `limit` + `allowance` rows itself, cheaper than a sort in SQL.
_QUEUE_CARDS = select(ReviewCard).from_statement(
    union_all(
        select(ReviewCard)
        .where(_LIVE, _DUE)
        .order_by(ReviewCard.due, ReviewCard.card_id)
        .limit(bindparam("limit"))
        .subquery()
        .select(),
        select(ReviewCard)
        .where(_LIVE, _NEW)
        .order_by(ReviewCard.card_id)
        .limit(bindparam("allowance"))
        .subquery()
        .select(),
    )
)


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
    due_count, ahead_count, new_total, started, done = (
        await session.execute(_QUEUE_COUNTS, bounds)
    ).one()
    allowance = max(0, settings.new_per_day - started)
    # New cards come after the cards due now: only as many as still fit are read.
    room = max(0, limit - (due_count - ahead_count))
    rows = (
        await session.scalars(
            _QUEUE_CARDS, bounds | {"limit": limit, "allowance": min(allowance, room)}
        )
    ).all()
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
    return await session.scalar(
        select(func.min(ReviewCard.due)).where(_live(user_id), ReviewCard.last_review.is_not(None))
    )


def preview(card: ReviewCard, settings: ReviewSettings, now: datetime) -> dict[int, timedelta]:
    """The interval each rating would give, for the buttons ("Good 10m"), before fuzz."""
    scheduler = settings.scheduler(fuzz=False)
    current = fsrs_card(card)
    return {
        rating.value: scheduler.review_card(current, rating, now)[0].due - now for rating in Rating
    }


# -- rating and undo ----------------------------------------------------------------------------


async def get_card(*, session: AsyncSession, user_id: int, card_id: int) -> ReviewCard:
    card = await session.get(ReviewCard, card_id)
    if card is None or card.user_id != user_id:
        raise NotFound(f"no review card {card_id} of yours")
    return card


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
    # Compare-and-set on the review count: of two ratings read together, one applies.
    try:
        applied = await session.execute(
            update(ReviewCard)
            .where(ReviewCard.card_id == card.card_id, ReviewCard.reps == card.reps)
            .values(new_state)
            .execution_options(synchronize_session=False)
        )
    except OperationalError as error:
        # SQLite refuses the write of a transaction whose snapshot another write made stale.
        if "locked" in str(error) and session.get_bind().dialect.name == "sqlite":
            raise Conflict("this card was rated by another request at the same moment") from None
        raise
    if applied.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this card was rated by another request at the same moment")
    before_state = (card.state, card.step, card.stability, card.difficulty, card.due)
    last_review_before = card.last_review
    for name, value in new_state.items():  # what the UPDATE wrote, without reading it back
        set_committed_value(card, name, value)
    session.add(
        ReviewLog(
            card_id=card.card_id,
            user_id=user_id,
            rating=rating,
            reviewed_at=now,
            duration_ms=duration_ms,
            interval_days=(after.due - now).days,
            elapsed_days=(now - last_review_before).days if last_review_before else 0,
            stability_after=after.stability,
            difficulty_after=after.difficulty,
            state_before=before_state[0],
            step_before=before_state[1],
            stability_before=before_state[2],
            difficulty_before=before_state[3],
            due_before=before_state[4],
            last_review_before=last_review_before,
        )
    )
    await session.flush()
    return card


async def undo_last_review(*, session: AsyncSession, user_id: int) -> ReviewCard:
    """Put the card of the learner's last review back exactly as it was, and forget it."""
    log = await session.scalar(
        select(ReviewLog)
        .where(ReviewLog.user_id == user_id)
        .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.review_id.desc())
        .limit(1)
    )
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


# -- editing ------------------------------------------------------------------------------------


async def update_card(
    *, session: AsyncSession, user_id: int, card_id: int, changes: dict[str, Any]
) -> ReviewCard:
    card = await get_card(session=session, user_id=user_id, card_id=card_id)
    for name, value in changes.items():
        setattr(card, name, value)
    await session.flush()
    return card


async def delete_card(*, session: AsyncSession, user_id: int, card_id: int) -> None:
    card = await get_card(session=session, user_id=user_id, card_id=card_id)
    await session.delete(card)
    await session.flush()


# -- statistics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewStats:
    due_today: int
    reviews_per_day: list[tuple[date, int]]
    true_retention: float | None
    retention_reviews: int
    forecast: list[tuple[date, int]]
    cards_by_state: dict[str, int]


_REVIEW_TIMES = select(ReviewLog.reviewed_at).where(
    ReviewLog.user_id == bindparam("user_id"), ReviewLog.reviewed_at >= bindparam("since")
)


async def review_times(
    *, connection: AsyncConnection, user_id: int, since: datetime
) -> list[datetime]:
    """When the learner reviewed a card since then (index: user_id, reviewed_at)."""
    rows = await fetch_rows(connection, _REVIEW_TIMES, {"user_id": user_id, "since": since})
    return [row.reviewed_at for row in rows]


async def review_stats(
    *, session: AsyncSession, user_id: int, settings: ReviewSettings, days: int, now: datetime
) -> ReviewStats:
    zone = settings.timezone
    today = day_of(now, zone)
    first = today - timedelta(days=days - 1)
    logs = (
        await session.execute(
            select(ReviewLog.reviewed_at, ReviewLog.rating, ReviewLog.state_before).where(
                ReviewLog.user_id == user_id, ReviewLog.reviewed_at >= day_start(first, zone)
            )
        )
    ).all()
    per_day: Counter[date] = Counter(day_of(reviewed_at, zone) for reviewed_at, _, _ in logs)
    # True retention: of reviews of cards in the review state, the share not forgotten.
    recalls = [rating != Rating.Again.value for _, rating, state in logs if state == 2]
    cards = (
        await session.execute(
            select(
                ReviewCard.state, ReviewCard.due, ReviewCard.last_review, ReviewCard.suspended
            ).where(ReviewCard.user_id == user_id)
        )
    ).all()
    by_state: Counter[str] = Counter()
    forecast: Counter[date] = Counter()
    for state, due, last_review, suspended in cards:
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
