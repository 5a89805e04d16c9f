"""Classes, the service object of `/classes*` and their pages: any learner creates a class and
teaches it; learners join with its code; the teacher assigns their own saved sets, copied to
every member through `Library.add_copies` (into their review when they chose so at join), and
reads each member's figures (`figures`). A member sees only their own assignments; after they
leave or are removed the teacher sees nothing more of them; their copies stay theirs, also
when the class is deleted.

A learner who joins later gets copies of the assignments made before (those whose set the
teacher still has). An assignment is done when the member went through their copy to its end
(`saved_content.finished_at`), late when done after its due date or not done by it (UTC days).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.learner import Learner
from langtutor.accounts.people import names
from langtutor.classes import figures, repository
from langtutor.classes.models import ClassAssignment, ClassMember, SchoolClass
from langtutor.classes.schemas import (
    AssignmentCreate,
    AssignmentOut,
    ClassCreate,
    ClassOut,
    ClassPreview,
    ClassProgress,
    JoinRequest,
    TodayAssignment,
)
from langtutor.classes.views import (
    CODE_ALPHABET,
    CODE_LENGTH,
    member_assignments,
    member_view,
    new_code,
    normalized_code,
    teacher_view,
)
from langtutor.db import Database, utcnow
from langtutor.errors import Conflict, Forbidden, NotFound
from langtutor.generation.ratelimit import RateLimiter
from langtutor.library import service as library_service
from langtutor.library.service import CopyFor, Library

NOT_FOUND = "class not found"
NO_CODE = "No class has this join code: check it with your teacher (codes can be changed)."
TEACHER_ONLY = "only the class's teacher can do this"
# The teacher's saved sets offered to assign on the class's page.
SETS_OFFERED = 200
# Join codes a learner may try a minute (a code looked at or joined with, found or not): a
# learner types a few; a script guessing codes (31 ** 10 of them) is held to this pace.
CODE_TRIES_PER_MINUTE = 20


@dataclass(frozen=True)
class ClassPage:
    view: ClassOut
    progress: ClassProgress | None = None
    sets: list[tuple[int, str]] = field(default_factory=list)


class Classes:
    """Built once in the `Runtime`: the database and the library (which makes the copies)."""

    def __init__(self, db: Database, library: Library, *, code_tries: RateLimiter) -> None:
        self.db = db
        self.library = library
        self.code_tries = code_tries

    async def create(self, learner: Learner, *, data: ClassCreate) -> ClassOut:
        async with self.db.transaction() as session:
            row = SchoolClass(teacher_id=learner.user_id, name=data.name.strip() or data.name)
            row.join_code = new_code()
            await repository.add(session, row)
            return await self._view(session, learner, row, now=utcnow())

    async def list_classes(self, learner: Learner, *, now: datetime) -> list[ClassOut]:
        """The classes the learner teaches (`role` teacher) and those they are in."""
        async with self.db.reading() as session:
            found = await repository.classes_of(session, user_id=learner.user_id)
            return [await self._view(session, learner, row, now=now) for row in found]

    async def view(self, learner: Learner, *, class_id: int, now: datetime) -> ClassOut:
        async with self.db.reading() as session:
            row = await _seen(session, learner, class_id)
            return await self._view(session, learner, row, now=now)

    async def rotate_code(self, learner: Learner, *, class_id: int) -> ClassOut:
        """A new join code; the old one stops at once."""
        async with self.db.transaction() as session:
            row = await _taught(session, learner, class_id)
            row.join_code = new_code()
            await session.flush()
            return await self._view(session, learner, row, now=utcnow())

    async def preview(self, learner: Learner, *, join_code: str) -> ClassPreview:
        """The class a code leads to, and what its teacher will see (before joining)."""
        await self.code_tries.check(learner.user_id)
        async with self.db.reading() as session:
            row = await _by_code(session, join_code)
            teacher = await _teacher_name(session, row)
            return ClassPreview(class_id=row.class_id, name=row.name, teacher=teacher)

    async def join(self, learner: Learner, *, data: JoinRequest, now: datetime) -> ClassOut:
        """The learner in the class of the code, with copies of its assignments so far;
        joining again changes nothing."""
        await self.code_tries.check(learner.user_id)
        async with self.db.transaction() as session:
            row = await _by_code(session, data.join_code)
            if row.teacher_id == learner.user_id:
                raise Conflict("you teach this class: share its code with your learners")
            joined = await repository.member(
                session, class_id=row.class_id, user_id=learner.user_id
            )
            fresh = joined is None
            if fresh:
                joined = ClassMember(
                    class_id=row.class_id, user_id=learner.user_id, review_cards=data.review_cards
                )
                joined.joined_at = now
                await repository.add(session, joined)
            teacher = await _teacher_name(session, row)
            sources = await _sources(session, row) if fresh else []
        if sources:
            recipient = CopyFor(learner.user_id, learner.default_base_language, data.review_cards)
            made = []
            for assignment, source in sources:
                [copy] = await self.library.add_copies(
                    source=source, recipients=[recipient], shared_by=teacher
                )
                made.append(
                    {
                        "assignment_id": assignment,
                        "user_id": learner.user_id,
                        "saved_content_id": copy.saved_content_id,
                    }
                )
            async with self.db.transaction() as session:
                if await repository.member(session, class_id=row.class_id, user_id=learner.user_id):
                    await repository.add_copies(session, made)
        return await self.view(learner, class_id=row.class_id, now=now)

    async def assign(
        self, learner: Learner, *, class_id: int, data: AssignmentCreate, now: datetime
    ) -> AssignmentOut:
        """One of the teacher's saved sets assigned: a copy for every member, in one
        transaction; the assignment and which copy is whose recorded after it."""
        source = await self.library.item(learner, saved_content_id=data.saved_content_id)
        async with self.db.reading() as session:
            await _taught(session, learner, class_id)
            members = await repository.members(session, class_id=class_id)
            people = await names(session, [m.user_id for m in members])
        recipients = [
            CopyFor(
                m.user_id,
                people[m.user_id].base_language if m.user_id in people else None,
                m.review_cards,
            )
            for m in members
        ]
        made = await self.library.add_copies(
            source=source, recipients=recipients, shared_by=learner.username
        )
        async with self.db.transaction() as session:
            await _taught(session, learner, class_id)
            assignment = ClassAssignment(
                class_id=class_id,
                saved_content_id=source.saved_content_id,
                title=(source.user_label or source.original_query)[:200],
                content_type=source.content_type,
                due_date=data.due_date,
                assigned_at=now,
            )
            await repository.add(session, assignment)
            await repository.add_copies(
                session,
                [
                    {
                        "assignment_id": assignment.assignment_id,
                        "user_id": r.user_id,
                        "saved_content_id": copy.saved_content_id,
                    }
                    for r, copy in zip(recipients, made, strict=True)
                ],
            )
            return AssignmentOut(
                assignment_id=assignment.assignment_id,
                title=assignment.title,
                content_type=assignment.content_type,
                due_date=assignment.due_date,
                assigned_at=assignment.assigned_at,
                saved_content_id=assignment.saved_content_id,
                done_count=0,
            )

    async def leave(self, learner: Learner, *, class_id: int) -> None:
        """The learner out of a class they are in (their copies stay theirs)."""
        async with self.db.transaction() as session:
            if not await repository.remove_member(
                session, class_id=class_id, user_id=learner.user_id
            ):
                await _seen(session, learner, class_id)  # 404 for anyone not in it
                raise Conflict("you teach this class: delete it rather than leave it")

    async def remove(self, learner: Learner, *, class_id: int, user_id: int) -> None:
        """The teacher takes a member out (their copies stay theirs)."""
        async with self.db.transaction() as session:
            await _taught(session, learner, class_id)
            if not await repository.remove_member(session, class_id=class_id, user_id=user_id):
                raise NotFound("member not found")

    async def delete(self, learner: Learner, *, class_id: int) -> None:
        """The class gone; the members' copies stay theirs."""
        async with self.db.transaction() as session:
            await _taught(session, learner, class_id)
            await repository.delete_class(session, class_id=class_id)

    async def progress(self, learner: Learner, *, class_id: int, now: datetime) -> ClassProgress:
        """The teacher's view of each member (403 for a member: they see only their own)."""
        async with self.db.reading() as session:
            row = await _taught(session, learner, class_id)
        return (await self._teacher_parts(row, now=now))[1]

    async def _teacher_parts(
        self, row: SchoolClass, *, now: datetime
    ) -> tuple[ClassOut, ClassProgress]:
        """The class and its members' figures as its teacher sees them, from one read of each
        part: the records and the study figures at once, each on a connection of its own."""
        today = now.astimezone(UTC).date()
        async with self.db.reading() as session:
            members = await repository.members(session, class_id=row.class_id)
        user_ids = [m.user_id for m in members]
        (people, assignments, copies, finished), (days, tallies) = await asyncio.gather(
            self._records(row, user_ids),
            figures.study_figures(self.db, user_ids=user_ids, today=today),
        )
        teacher = people[row.teacher_id].username if row.teacher_id in people else ""
        parts = {"members": members, "names": people, "assignments": assignments}
        parts |= {"copies": copies, "finished": finished}
        view = teacher_view(row, teacher=teacher, **parts)
        rows = figures.member_rows(days=days, tallies=tallies, today=today, **parts)
        progress = ClassProgress(class_id=row.class_id, name=row.name, as_of=now, members=rows)
        return view, progress

    async def _records(self, row: SchoolClass, user_ids: list[int]) -> tuple[Any, ...]:
        """The members' and the teacher's names, the class's assignments, their copies and
        when each was finished."""
        async with self.db.reading() as session:
            people = await names(session, [*user_ids, row.teacher_id])
            assignments = await repository.assignments(session, class_id=row.class_id)
            copies = await repository.copies(session, class_id=row.class_id)
            finished = await figures.finish_times(session, copies)
        return people, assignments, copies, finished

    async def page(self, learner: Learner, *, class_id: int, now: datetime) -> ClassPage:
        """A class's page: the class; for its teacher also the members' figures and the
        teacher's saved sets to assign (the newest first)."""
        async with self.db.reading() as session:
            row = await _seen(session, learner, class_id)
        if row.teacher_id != learner.user_id:
            return ClassPage(view=await self.view(learner, class_id=class_id, now=now))
        (view, progress), (rows, _) = await asyncio.gather(
            self._teacher_parts(row, now=now),
            self.library.list_content(
                learner, content_type=None, q=None, limit=SETS_OFFERED, offset=0
            ),
        )
        sets = [(row.saved_content_id, row.user_label or row.original_query) for row in rows]
        return ClassPage(view=view, progress=progress, sets=sets)

    async def today(self, learner: Learner, *, now: datetime) -> list[TodayAssignment]:
        """The member's assignments in every class they are in, for Today."""
        shown: list[TodayAssignment] = []
        for found in await self.list_classes(learner, now=now):
            if found.role == "member":
                shown.extend(
                    TodayAssignment(class_id=found.class_id, class_name=found.name, assignment=a)
                    for a in found.assignments
                )
        return shown

    async def _view(
        self, session: AsyncSession, learner: Learner, row: SchoolClass, *, now: datetime
    ) -> ClassOut:
        teacher = await _teacher_name(session, row)
        assignments = await repository.assignments(session, class_id=row.class_id)
        if row.teacher_id != learner.user_id:
            copies = await repository.copies(
                session, class_id=row.class_id, user_id=learner.user_id
            )
            finished = await figures.finish_times(session, copies)
            shown = member_assignments(assignments, copies, finished, now.astimezone(UTC).date())
            return member_view(row, teacher=teacher, assignments=shown)
        members = await repository.members(session, class_id=row.class_id)
        copies = await repository.copies(session, class_id=row.class_id)
        return teacher_view(
            row,
            teacher=teacher,
            members=members,
            names=await names(session, [m.user_id for m in members]),
            assignments=assignments,
            copies=copies,
            finished=await figures.finish_times(session, copies),
        )


async def _seen(session: AsyncSession, learner: Learner, class_id: int) -> SchoolClass:
    row = await repository.seen_by(session, class_id=class_id, user_id=learner.user_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


async def _taught(session: AsyncSession, learner: Learner, class_id: int) -> SchoolClass:
    """The class when the learner teaches it; 403 for a member, 404 for anyone else."""
    row = await _seen(session, learner, class_id)
    if row.teacher_id != learner.user_id:
        raise Forbidden(TEACHER_ONLY)
    return row


async def _by_code(session: AsyncSession, join_code: str) -> SchoolClass:
    code = normalized_code(join_code)
    # A code that cannot be one is not looked for (nor sent to the database as it is).
    well_formed = len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    row = await repository.by_code(session, code) if well_formed else None
    if row is None:
        raise NotFound(NO_CODE)
    return row


async def _teacher_name(session: AsyncSession, row: SchoolClass) -> str:
    found = await names(session, [row.teacher_id])
    return found[row.teacher_id].username if row.teacher_id in found else ""


async def _sources(session: AsyncSession, row: SchoolClass) -> list[tuple[int, Any]]:
    """The class's assignments whose set the teacher still has, with that set."""
    found = []
    for assignment in await repository.assignments(session, class_id=row.class_id):
        if assignment.saved_content_id is None:
            continue
        source = await library_service.own_set(
            session=session, user_id=row.teacher_id, saved_content_id=assignment.saved_content_id
        )
        found.append((assignment.assignment_id, source))
    return found


async def class_counts(db: Database) -> tuple[int, int, int]:
    """Classes, memberships and assignments on the server (the console's usage)."""
    async with db.reading() as session:
        return await repository.counts(session)
