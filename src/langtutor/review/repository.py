"""The review domain's statements: cards, reviews, the queue's two reads and the statistics'.

Every read of a learner's cards or reviews goes through `owned`: another learner's id simply
finds nothing (and the service answers 404). The hot reads run through `db.fetch_rows`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from fsrs import State
from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from langtutor.db import fetch_rows
from langtutor.review.models import ReviewCard, ReviewLog


def owned(user_id: Any, model: type[ReviewCard] | type[ReviewLog] = ReviewCard) -> Any:
    """The condition every read of a learner's cards (or reviews) carries: theirs only."""
    condition: ColumnElement[bool] = model.user_id == user_id
    return condition


# -- cards ------------------------------------------------------------------------------------


async def card(session: AsyncSession, *, user_id: int, card_id: int) -> ReviewCard | None:
    return await session.scalar(
        select(ReviewCard).where(ReviewCard.card_id == card_id, owned(user_id))
    )


async def card_items(
    session: AsyncSession, *, user_id: int, saved_content_id: int
) -> set[tuple[str, Any]]:
    """(source, item_index) of the cards a saved set has already."""
    rows = await session.execute(
        select(ReviewCard.source, ReviewCard.item_index).where(
            owned(user_id), ReviewCard.saved_content_id == saved_content_id
        )
    )
    return {(source, index) for source, index in rows.all()}


async def insert_cards(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    # One statement for the set, without an ORM object per card.
    await session.execute(insert(ReviewCard), rows)


def mistake_card_id(
    *,
    user_id: int,
    generation_id: uuid.UUID | None,
    saved_content_id: int | None,
    source: str,
    item_index: int,
) -> Any:
    """The id of a mistake's card, keyed by the generation when there is one, else the set."""
    key = (
        ReviewCard.generation_id == generation_id
        if generation_id is not None
        else ReviewCard.saved_content_id == saved_content_id
    )
    return select(ReviewCard.card_id).where(
        owned(user_id), key, ReviewCard.source == source, ReviewCard.item_index == item_index
    )


async def count_cards_of(session: AsyncSession, *, user_id: int, generation_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.count()).where(owned(user_id), ReviewCard.generation_id == generation_id)
    )
    return total or 0


async def count_cards(session: AsyncSession, *, user_id: int, saved_content_id: int) -> int:
    total = await session.scalar(
        select(func.count()).where(owned(user_id), ReviewCard.saved_content_id == saved_content_id)
    )
    return total or 0


_LAPSED = (
    select(ReviewCard.front, ReviewCard.back)
    .where(
        owned(bindparam("user_id")),
        ReviewCard.target_language == bindparam("target_language"),
        ReviewCard.lapses > 0,
        ReviewCard.suspended.is_(False),
    )
    .order_by(ReviewCard.lapses.desc(), ReviewCard.last_review.desc())
    .limit(bindparam("limit"))
)


async def lapsed(
    connection: AsyncConnection, *, user_id: int, target_language: str, limit: int
) -> Sequence[Any]:
    values = {"user_id": user_id, "target_language": target_language, "limit": limit}
    return await fetch_rows(connection, _LAPSED, values)


async def apply_review(
    session: AsyncSession, *, card_id: int, reps: int, new_state: dict[str, Any]
) -> bool:
    """Compare-and-set on the review count: of two ratings read together, one applies."""
    applied = await session.execute(
        update(ReviewCard)
        .where(ReviewCard.card_id == card_id, ReviewCard.reps == reps)
        .values(new_state)
        .execution_options(synchronize_session=False)
    )
    return bool(applied.rowcount == 1)  # type: ignore[attr-defined]


async def last_review(session: AsyncSession, *, user_id: int) -> ReviewLog | None:
    return await session.scalar(
        select(ReviewLog)
        .where(owned(user_id, ReviewLog))
        .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.review_id.desc())
        .limit(1)
    )


# -- reviews given offline ----------------------------------------------------------------------

_LOGS = cast(Table, ReviewLog.__table__)
# Enough ids per statement for a 10,000-review sync in a few round trips, well under
# SQLite's limit of bound parameters.
_CHUNK = 1000


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[start : start + _CHUNK] for start in range(0, len(values), _CHUNK)]


async def known_client_reviews(
    session: AsyncSession, *, user_id: int, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these device-given review ids the learner's log holds already."""
    known: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        rows = await session.scalars(
            select(ReviewLog.client_review_id).where(
                owned(user_id, ReviewLog), ReviewLog.client_review_id.in_(chunk)
            )
        )
        known.update(value for value in rows if value is not None)
    return known


async def cards_by_id(
    session: AsyncSession, *, user_id: int, card_ids: set[int]
) -> dict[int, ReviewCard]:
    """The learner's cards among these ids (another learner's are simply not there)."""
    cards: dict[int, ReviewCard] = {}
    for chunk in _chunks(sorted(card_ids)):
        rows = await session.scalars(
            select(ReviewCard).where(owned(user_id), ReviewCard.card_id.in_(chunk))
        )
        cards.update((card.card_id, card) for card in rows)
    return cards


async def logs_after(
    session: AsyncSession, *, card_id: int, after: datetime
) -> Sequence[ReviewLog]:
    """A card's reviews after a moment, in time order (a card read through `owned`)."""
    rows = await session.scalars(
        select(ReviewLog)
        .where(ReviewLog.card_id == card_id, ReviewLog.reviewed_at > after)
        .order_by(ReviewLog.reviewed_at, ReviewLog.review_id)
    )
    return rows.all()


async def insert_logs(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    # The table's INSERT, one executemany: the ORM's would split the rows into a statement
    # per pattern of NULLs (a first review has no last_review_before, a review card no step).
    await session.execute(insert(_LOGS), rows)


async def delete_logs(session: AsyncSession, review_ids: Sequence[int]) -> None:
    await session.execute(
        delete(ReviewLog)
        .where(ReviewLog.review_id.in_(review_ids))
        .execution_options(synchronize_session=False)
    )


async def due_until(
    session: AsyncSession, *, user_id: int, until: datetime, skip: Sequence[int], limit: int
) -> Sequence[ReviewCard]:
    """Cards reviewed before and due by then, soonest first, but those already chosen."""
    rows = await session.scalars(
        select(ReviewCard)
        .where(
            _live(user_id),
            ReviewCard.last_review.is_not(None),
            ReviewCard.due <= until,
            ReviewCard.card_id.not_in(skip),
        )
        .order_by(ReviewCard.due, ReviewCard.card_id)
        .limit(limit)
    )
    return rows.all()


# -- the queue --------------------------------------------------------------------------------


def _live(user_id: Any) -> Any:
    return and_(owned(user_id), ReviewCard.suspended.is_(False))


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
        owned(bindparam("user_id"), ReviewLog),
        ReviewLog.reviewed_at >= bindparam("since"),
        ReviewLog.last_review_before.is_(None),
    )
    .scalar_subquery(),
    select(func.count())
    .where(owned(bindparam("user_id"), ReviewLog), ReviewLog.reviewed_at >= bindparam("since"))
    .scalar_subquery(),
).where(_LIVE)
# Each part limited on its own (SQLite wants a subquery around a part with LIMIT); the
# queue orders the at most `limit` + `allowance` rows itself, cheaper than a sort in SQL.
# The due part reads the cards due now before the learning steps due within the learn-ahead
# window: a review card due later today is due now, a step due in five minutes is not yet.
_QUEUE_CARDS = select(ReviewCard).from_statement(
    union_all(
        select(ReviewCard)
        .where(_LIVE, _DUE)
        .order_by(_LEARNING_AHEAD, ReviewCard.due, ReviewCard.card_id)
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


async def queue_counts(session: AsyncSession, bounds: dict[str, Any]) -> Any:
    """Due, due but learning ahead, new, new started since, reviews since."""
    return (await session.execute(_QUEUE_COUNTS, bounds)).one()


async def queue_cards(session: AsyncSession, bounds: dict[str, Any]) -> Sequence[ReviewCard]:
    return (await session.scalars(_QUEUE_CARDS, bounds)).all()


async def next_due(session: AsyncSession, *, user_id: int) -> datetime | None:
    return await session.scalar(
        select(func.min(ReviewCard.due)).where(_live(user_id), ReviewCard.last_review.is_not(None))
    )


# -- statistics -------------------------------------------------------------------------------


_REVIEW_TIMES = select(ReviewLog.reviewed_at).where(
    owned(bindparam("user_id"), ReviewLog), ReviewLog.reviewed_at >= bindparam("since")
)


async def review_times(
    connection: AsyncConnection, *, user_id: int, since: datetime
) -> list[datetime]:
    """When the learner reviewed a card since then (index: user_id, reviewed_at)."""
    rows = await fetch_rows(connection, _REVIEW_TIMES, {"user_id": user_id, "since": since})
    return [row.reviewed_at for row in rows]


async def reviews_since(session: AsyncSession, *, user_id: int, since: datetime) -> Sequence[Any]:
    """(reviewed_at, rating, state_before) of the learner's reviews since then."""
    rows = await session.execute(
        select(ReviewLog.reviewed_at, ReviewLog.rating, ReviewLog.state_before).where(
            owned(user_id, ReviewLog), ReviewLog.reviewed_at >= since
        )
    )
    return rows.all()


async def card_states(session: AsyncSession, *, user_id: int) -> Sequence[Any]:
    """(state, due, last_review, suspended) of each of the learner's cards."""
    rows = await session.execute(
        select(
            ReviewCard.state, ReviewCard.due, ReviewCard.last_review, ReviewCard.suspended
        ).where(owned(user_id))
    )
    return rows.all()


# -- what a study plan asks of a unit's cards -------------------------------------------------


async def learned_counts(
    session: AsyncSession, *, user_id: int, saved_content_ids: Sequence[int]
) -> Sequence[Any]:
    """(saved_content_id, cards, learned) of the learner's live cards of these sets made from
    the sets themselves (mistakes apart); learned: reviewed and in FSRS state Review."""
    learned = and_(ReviewCard.last_review.is_not(None), ReviewCard.state == State.Review.value)
    query = (
        select(
            ReviewCard.saved_content_id,
            func.count(),
            func.count().filter(learned),
        )
        .where(
            _live(user_id),
            ReviewCard.saved_content_id.in_(saved_content_ids),
            ReviewCard.source != "mistake",
        )
        .group_by(ReviewCard.saved_content_id)
    )
    return (await session.execute(query)).all()


async def bring_back(
    session: AsyncSession,
    *,
    user_id: int,
    saved_content_ids: Sequence[int],
    generation_ids: Sequence[uuid.UUID],
    now: datetime,
) -> int:
    """Weak cards (forgotten at least once, or made from a mistake) of these sets or
    generations that were reviewed and fall due later: due now. How many."""
    moved = await session.execute(
        update(ReviewCard)
        .where(
            _live(user_id),
            or_(
                ReviewCard.saved_content_id.in_(saved_content_ids),
                ReviewCard.generation_id.in_(generation_ids),
            ),
            or_(ReviewCard.lapses > 0, ReviewCard.source == "mistake"),
            ReviewCard.last_review.is_not(None),
            ReviewCard.due > now,
        )
        .values(due=now)
        .execution_options(synchronize_session=False)
    )
    return int(moved.rowcount)  # type: ignore[attr-defined]
