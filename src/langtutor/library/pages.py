"""What the learner's pages show, each read in one go through the library's functions: the
library (a page of saved sets with their languages, level and size), one saved set, Today,
and progress. `Library` inherits these views; the API's routes call the same functions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts import service as accounts_service
from langtutor.accounts.learner import Learner
from langtutor.activity import service as activity_service
from langtutor.activity.logger import BatchLogger
from langtutor.activity.schemas import Progress
from langtutor.db import Database
from langtutor.enums import ContentType
from langtutor.errors import Conflict, NotFound
from langtutor.generation.service import item_count
from langtutor.library import repository, sharing_repository
from langtutor.library.content import get_content, list_content
from langtutor.library.exports import CardContext
from langtutor.library.files import card_context, card_contexts
from langtutor.library.models import SavedContent
from langtutor.review import service as review_service
from langtutor.review.service import Queue, Review, ReviewSettings, ReviewStats

PAGE_SIZE = 20
MAX_PAGE = 100_000
PROGRESS_DAYS = (7, 30, 90, 365)
# The activity domain's report of a learner's progress (`langtutor.progress.progress_report`),
# given by the Runtime: the library does not import the domain that reads it.
ProgressReport = Callable[..., Awaitable[Progress]]


@dataclass(frozen=True)
class LibraryRow:
    """A saved set as the library lists it: with its languages and level, and its size."""

    item: Any
    context: CardContext
    count: int


@dataclass(frozen=True)
class LibraryPage:
    rows: list[LibraryRow]
    total: int
    page: int
    pages: int
    languages: list[str]  # of the learner's saved sets, for the language filter
    language: str | None  # the one chosen, if it is one of them
    flashcards: int  # saved flashcard sets: the deck of them all is offered when there is one


@dataclass(frozen=True)
class ItemView:
    item: SavedContent
    languages: CardContext
    review_cards: int
    # The token of the set's live link, if it is shared.
    share_token: str | None = None


@dataclass(frozen=True)
class ContinuePoint:
    url: str
    title: str
    kind: str
    position: int
    total: int


@dataclass(frozen=True)
class Today:
    progress: Progress
    queue: Queue
    recent: Sequence[Any]
    saved_total: int
    resume: ContinuePoint | None

    @property
    def started(self) -> bool:
        """The learner has kept or made something."""
        return self.saved_total > 0 or any(self.progress.all_time_totals.values())


@dataclass(frozen=True)
class ProgressView:
    days: int
    progress: Progress
    review: ReviewStats
    queue: Queue


class LibraryPages:
    def __init__(
        self,
        db: Database,
        *,
        review: Review,
        activity: BatchLogger,
        progress: ProgressReport,
    ) -> None:
        self.db = db
        self.review = review
        self.activity = activity
        self.progress_report = progress

    async def library_page(
        self,
        learner: Learner,
        *,
        content_type: ContentType | None,
        q: str | None,
        page: int,
        language: str | None,
    ) -> LibraryPage:
        """A page (from 1) of the learner's saved sets, newest first, filtered by type,
        words and one of their languages."""
        page = max(1, min(page, MAX_PAGE))
        async with self.db.reading() as session:
            languages = sorted(await repository.languages(session, user_id=learner.user_id))
            chosen = language if language in languages else None
            items, total = await list_content(
                connection=await session.connection(),
                user_id=learner.user_id,
                content_type=content_type,
                q=q,
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
                language=chosen,
            )
            contexts = await card_contexts(session=session, items=items)
            flashcards = await repository.count_of_type(
                session, user_id=learner.user_id, content_type=ContentType.flashcards
            )
        rows = [
            LibraryRow(item, context, item_count(item.content_data))
            for item, context in zip(items, contexts, strict=True)
        ]
        pages = max(1, -(-total // PAGE_SIZE))
        return LibraryPage(rows, total, page, pages, languages, chosen, flashcards)

    async def item_view(self, learner: Learner, *, saved_content_id: int) -> ItemView:
        """One of the learner's saved sets (404 for anyone else's), with its languages and
        how many review cards it has."""
        async with self.db.reading() as session:
            item = await get_content(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            languages = await card_context(session=session, item=item)
            review_cards = await review_service.count_cards(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            share_token = await sharing_repository.token_of(
                session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
        return ItemView(item, languages, review_cards, share_token)

    async def today(self, learner: Learner, *, now: datetime) -> Today:
        """Today's study, what is due, the three sets saved last, and where to continue."""
        async with self.db.reading() as session:
            connection = await session.connection()
            report = await self.progress_report(
                connection=connection,
                activity=self.activity,
                user_id=learner.user_id,
                days=1,
                tz=learner.zone,
                now=now,
            )
            left = await review_service.queue(
                session=session,
                user_id=learner.user_id,
                settings=ReviewSettings.of(learner),
                limit=1,
                now=now,
            )
            recent, saved_total = await list_content(
                connection=connection,
                user_id=learner.user_id,
                content_type=None,
                q=None,
                limit=3,
                offset=0,
            )
            resume = await self._continue_point(session, learner)
        return Today(report, left, recent, saved_total, resume)

    async def _continue_point(
        self, session: AsyncSession, learner: Learner
    ) -> ContinuePoint | None:
        """The set the learner last opened, at the card reached; None when it is gone."""
        user = (await accounts_service.load_user(session=session, token=learner.token)).user
        position = user.continue_position
        try:
            if user.continue_saved_content_id is not None:
                item = await get_content(
                    session=session,
                    user_id=learner.user_id,
                    saved_content_id=user.continue_saved_content_id,
                )
                return ContinuePoint(
                    url=f"/app/library/{item.saved_content_id}?card={position}#study",
                    title=item.user_label or item.original_query,
                    kind=item.content_type,
                    position=position,
                    total=item_count(item.content_data),
                )
            if user.continue_generation_id is not None:
                output = await activity_service.generation_output(
                    session=session,
                    activity=self.activity,
                    user_id=learner.user_id,
                    generation_id=user.continue_generation_id,
                )
                return ContinuePoint(
                    url=f"/app/generations/{user.continue_generation_id}?card={position}#study",
                    title=output.query_text,
                    kind=output.content_type.value,
                    position=position,
                    total=item_count(output.content),
                )
        except (NotFound, Conflict):
            return None
        return None

    async def progress(self, learner: Learner, *, days: int, now: datetime) -> ProgressView:
        """The learner's learning over the last `days` (7, 30, 90 or 365, else 30): streak,
        activity, reviews, retention, what is left today."""
        days = days if days in PROGRESS_DAYS else 30
        review_stats, left = await self.review.overview(learner, days=days, now=now)
        async with self.db.connection() as connection:
            report = await self.progress_report(
                connection=connection,
                activity=self.activity,
                user_id=learner.user_id,
                days=days,
                tz=learner.zone,
                now=now,
            )
        return ProgressView(days, report, review_stats, left)
