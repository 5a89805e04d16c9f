"""Practice outside the schedule ("study ahead"): a saved set's cards, or the learner's
hardest cards, gone through one by one and graded as in review, while FSRS never hears of
it: no card's state, due date, reps or lapses change, and no review log is written (the
parameters are fitted on those, and "reviews done today" counts them).

A practice grade is logged to the activity log as a `study` entry of one item, marked
`practice` (with the card, the grade and the time taken): like a deck gone through, it counts
towards the daily goal ("cards reviewed or studied, answers checked"), the streak and the
cards studied that `/progress` shows per day.

`PracticeAhead` is a service object of the review domain (built once in the `Runtime`). The
review domain never reads the library: whose a saved set is, and its name, come from a
function of the library's that the `Runtime` gives (`SetTitle`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from langtutor.accounts.learner import Learner
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import Database
from langtutor.enums import ContentType, LogEvent
from langtutor.errors import NotFound
from langtutor.review import practice_repository, repository
from langtutor.review.models import ReviewCard
from langtutor.review.practice_schemas import PracticeGrade

# The most cards a set's practice holds (a saved set has at most 50 cards, 100 words).
MAX_SET_CARDS = 200
# The name of the learner's saved set, 404 (`NotFound`) for anyone else's: called with
# `session`, `user_id` and `saved_content_id` (the library's `set_title`).
SetTitle = Callable[..., Awaitable[str]]


@dataclass(frozen=True)
class PracticeSet:
    """The cards to practise, and what they are: a saved set (its id and name) or the
    learner's hardest cards (how many were asked for)."""

    cards: list[ReviewCard]
    saved_content_id: int | None = None
    title: str | None = None
    hardest: int | None = None


@dataclass(frozen=True)
class Practised:
    card: ReviewCard
    grade: PracticeGrade


class PracticeAhead:
    """A learner's practice outside the schedule: what to practise, and a grade recorded."""

    def __init__(self, db: Database, log: BatchLogger, *, set_title: SetTitle) -> None:
        self.db = db
        self.log = log
        self.set_title = set_title

    async def cards(
        self, learner: Learner, *, saved_content_id: int | None, hardest: int
    ) -> PracticeSet:
        """A saved set's cards when one is named, else the `hardest` hardest ones."""
        if saved_content_id is not None:
            return await self.set_cards(learner, saved_content_id=saved_content_id)
        return await self.hardest(learner, limit=hardest)

    async def set_cards(self, learner: Learner, *, saved_content_id: int) -> PracticeSet:
        """The live cards of one of the learner's saved sets (404 for anyone else's set;
        none when the set has no cards in review)."""
        async with self.db.reading() as session:
            title = await self.set_title(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            cards = await practice_repository.set_cards(
                session,
                user_id=learner.user_id,
                saved_content_id=saved_content_id,
                limit=MAX_SET_CARDS,
            )
        return PracticeSet(list(cards), saved_content_id=saved_content_id, title=title)

    async def hardest(self, learner: Learner, *, limit: int) -> PracticeSet:
        """The learner's `limit` hardest cards (see `practice_repository.hardest_cards`)."""
        async with self.db.reading() as session:
            cards = await practice_repository.hardest_cards(
                session, user_id=learner.user_id, limit=limit
            )
        return PracticeSet(list(cards), hardest=limit)

    async def grade(self, learner: Learner, *, data: PracticeGrade, now: datetime) -> Practised:
        """Record one practice grade of one of the learner's cards (404 for anyone else's):
        the card is read, never written; the grade goes to the activity log."""
        async with self.db.reading() as session:
            card = await repository.card(session, user_id=learner.user_id, card_id=data.card_id)
        if card is None:
            raise NotFound(f"no review card {data.card_id} of yours")
        await self.log.buffered_log_query(practice_entry(card, data, now=now))
        return Practised(card, data)


def practice_entry(card: ReviewCard, data: PracticeGrade, *, now: datetime) -> LogEntry:
    """The `study` entry of one card practised: one item studied, marked as practice."""
    return LogEntry(
        user_id=card.user_id,
        content_type=ContentType.flashcards.value,
        query_text=card.front,
        target_language=card.target_language or "und",
        base_language=card.base_language,
        generation_id=card.generation_id,
        event=LogEvent.study.value,
        timestamp=now,
        request_metadata={
            "items": 1,
            "practice": True,
            "card_id": card.card_id,
            "saved_content_id": card.saved_content_id,
            "rating": data.rating,
            "duration_ms": data.duration_ms,
        },
    )
