"""Saved content and feedback: every id is checked against its owner (another's is a 404).

`Library` is the domain's service object (built once in the `Runtime`): its methods take the
`Learner` and own their transactions, around the functions of `library.content` (which take a
session or a connection, and which practice, conversations and progress call inside their own
transaction: they are named here too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts import service as accounts_service
from langtutor.accounts.learner import Learner
from langtutor.activity import service as activity_service
from langtutor.activity.logger import BatchLogger
from langtutor.db import Database
from langtutor.enums import ContentType
from langtutor.errors import BadRequest, Conflict
from langtutor.generation.ratelimit import RateLimiter
from langtutor.generation.service import item_count
from langtutor.library import repository
from langtutor.library.content import LibraryCounts as LibraryCounts
from langtutor.library.content import Saved as Saved
from langtutor.library.content import (
    add_review_cards,
    create_feedback,
    get_content,
    list_content,
    open_content,
    record_study,
    save_content,
    study_entry,
)
from langtutor.library.content import checked_content as checked_content
from langtutor.library.content import library_counts as library_counts
from langtutor.library.copies import CopyFor as CopyFor
from langtutor.library.copies import copy_sets
from langtutor.library.exports import ExportFile, ExportFormat
from langtutor.library.files import Speaker as Speaker
from langtutor.library.files import card_context as card_context
from langtutor.library.files import card_contexts as card_contexts
from langtutor.library.files import export_all_flashcards, export_content
from langtutor.library.models import Feedback, SavedContent
from langtutor.library.pages import LibraryPages, ProgressReport
from langtutor.library.schemas import (
    ContentUpdate,
    FeedbackCreate,
    ReviewCardsAdded,
    SaveContent,
    StudyProgress,
    StudyRecord,
)
from langtutor.review import service as review_service
from langtutor.review.service import Review


class Library(LibraryPages):
    """A learner's saved sets, their study, their export, and feedback. The pages' views
    (`LibraryPages`) read through the same functions."""

    def __init__(
        self,
        db: Database,
        *,
        review: Review,
        activity: BatchLogger,
        feedback_limit: RateLimiter,
        progress: ProgressReport,
    ) -> None:
        super().__init__(db, review=review, activity=activity, progress=progress)
        self.feedback_limit = feedback_limit

    async def save(
        self, learner: Learner, *, data: SaveContent, review_cards: bool | None = None
    ) -> Saved:
        """Save content once (see `save_content`); its cards made as the learner chose, or
        as `review_cards` says (a study plan's sets always have theirs)."""
        async with self.db.transaction() as session:
            return await save_content(
                session=session,
                user_id=learner.user_id,
                data=data,
                activity=self.activity,
                review_cards=learner.review_auto_cards if review_cards is None else review_cards,
            )

    async def add_copies(
        self, *, source: SavedContent, recipients: Sequence[CopyFor], shared_by: str
    ) -> list[SavedContent]:
        """Copies of `source` for each recipient, in one transaction (see `copy_set`): a
        shared link's "Add to my library", a class's assignment."""
        async with self.db.transaction() as session:
            return await copy_sets(
                session, source=source, recipients=recipients, shared_by=shared_by
            )

    async def list_content(
        self,
        learner: Learner,
        *,
        content_type: ContentType | None,
        q: str | None,
        limit: int,
        offset: int,
        language: str | None = None,
        content_as_text: bool = False,
    ) -> tuple[Sequence[Any], int]:
        """A page of the learner's saved sets (see `list_content`), on an autocommit
        connection: the hot read."""
        async with self.db.connection() as connection:
            return await list_content(
                connection=connection,
                user_id=learner.user_id,
                content_type=content_type,
                q=q,
                limit=limit,
                offset=offset,
                language=language,
                content_as_text=content_as_text,
            )

    async def item(self, learner: Learner, *, saved_content_id: int) -> SavedContent:
        async with self.db.reading() as session:
            return await get_content(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )

    async def update(
        self, learner: Learner, *, saved_content_id: int, data: ContentUpdate
    ) -> SavedContent:
        """Only the fields sent change; an empty label is none."""
        async with self.db.transaction() as session:
            item = await get_content(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            for name in data.model_fields_set:
                value = getattr(data, name)
                setattr(item, name, value or None if name == "user_label" else value)
            await session.flush()
            return item

    async def delete(self, learner: Learner, *, saved_content_id: int) -> None:
        async with self.db.transaction() as session:
            item = await get_content(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            await session.delete(item)

    async def export(
        self,
        learner: Learner,
        *,
        saved_content_id: int,
        export_format: ExportFormat,
        speak: Speaker | None = None,
    ) -> ExportFile:
        async with self.db.reading() as session:
            item = await get_content(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            return await export_content(session, item, export_format, speak)

    async def export_flashcards(
        self, learner: Learner, *, speak: Speaker | None = None
    ) -> ExportFile:
        async with self.db.reading() as session:
            return await export_all_flashcards(session, learner.user_id, speak)

    async def record_study(
        self, learner: Learner, *, saved_content_id: int, data: StudyRecord, now: datetime
    ) -> None:
        """The learner went through a saved set (see `record_study`)."""
        async with self.db.transaction() as session:
            await record_study(
                session=session,
                activity=self.activity,
                user_id=learner.user_id,
                saved_content_id=saved_content_id,
                position=data.position,
                finished=data.finished,
                score=data.score,
                now=now,
            )

    async def studied(self, learner: Learner, *, data: StudyProgress, now: datetime) -> None:
        """Study progress from the pages: a saved set opened or gone through, or a
        generation not saved gone through (Continue comes back to it until it is finished,
        which is a day of study)."""
        user_id, position = learner.user_id, data.position
        async with self.db.transaction() as session:
            if data.saved_content_id is not None and data.opened:
                await open_content(
                    session=session,
                    user_id=user_id,
                    saved_content_id=data.saved_content_id,
                    position=position,
                )
            elif data.saved_content_id is not None:
                await record_study(
                    session=session,
                    activity=self.activity,
                    user_id=user_id,
                    saved_content_id=data.saved_content_id,
                    position=position,
                    finished=data.finished and not data.opened,
                    score=data.score,
                    now=now,
                )
            elif data.generation_id is not None:
                await self._studied_generation(session, learner, data)
            else:
                raise BadRequest("This study progress names no set.")

    async def _studied_generation(
        self, session: AsyncSession, learner: Learner, data: StudyProgress
    ) -> None:
        assert data.generation_id is not None
        finished = data.finished and not data.opened
        output = await activity_service.generation_output(
            session=session,
            activity=self.activity,
            user_id=learner.user_id,
            generation_id=data.generation_id,
        )
        await accounts_service.set_continue_point(
            session=session,
            user_id=learner.user_id,
            saved_content_id=None,
            generation_id=None if finished else data.generation_id,
            position=data.position,
        )
        if finished:
            await self.activity.buffered_log_query(
                study_entry(
                    user_id=learner.user_id,
                    content_type=output.content_type.value,
                    query=output.query_text,
                    target_language=output.target_language,
                    generation_id=data.generation_id,
                    items=item_count(output.content),
                    score=data.score,
                    saved_content_id=None,
                )
            )

    async def add_to_review(self, learner: Learner, *, saved_content_id: int) -> ReviewCardsAdded:
        """Review cards for a saved set by hand ("Add to review"); never a card twice."""
        async with self.db.transaction() as session:
            item = await get_content(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            if item.content_type == ContentType.exercises.value:
                raise Conflict(
                    "exercises are practised, not reviewed: add flashcards or a simulation"
                )
            added = await add_review_cards(
                session, item, await card_context(session=session, item=item)
            )
            total = await review_service.count_cards(
                session=session, user_id=learner.user_id, saved_content_id=saved_content_id
            )
            return ReviewCardsAdded(added=added, total=total)

    async def create_feedback(self, learner: Learner, *, data: FeedbackCreate) -> Feedback:
        """Feedback on a generation, a saved item or one item of a set; counts against the
        learner's feedback rate limit."""
        await self.feedback_limit.check(learner.user_id)
        async with self.db.transaction() as session:
            return await create_feedback(
                session=session, user_id=learner.user_id, data=data, activity=self.activity
            )

    async def list_feedback(self, learner: Learner, *, limit: int, offset: int) -> list[Feedback]:
        async with self.db.reading() as session:
            return await repository.feedback_page(
                session, user_id=learner.user_id, limit=limit, offset=offset
            )


async def set_title(*, session: AsyncSession, user_id: int, saved_content_id: int) -> str:
    """The name of the learner's saved set (its label, else its query; 404 for anyone
    else's): what practising a set asks of the library (the `Runtime` gives it to the review
    domain, which never reads the library)."""
    item = await get_content(session=session, user_id=user_id, saved_content_id=saved_content_id)
    return str(item.user_label or item.original_query)


async def own_set(*, session: AsyncSession, user_id: int, saved_content_id: int) -> SavedContent:
    """The learner's saved set (404 for anyone else's): what a class copies to a member who
    joins after it was assigned."""
    return await get_content(session=session, user_id=user_id, saved_content_id=saved_content_id)


async def finish_times(
    *, session: AsyncSession, saved_content_ids: Sequence[int]
) -> dict[int, datetime | None]:
    """When each of these saved sets was first gone through to its end, None when not yet
    (a class's assignment is done): ids the asker recorded as copies it made."""
    return await repository.finish_times(session, saved_content_ids)
