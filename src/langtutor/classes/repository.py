"""The statements of classes: every read of a class goes through `seen_by` (its teacher or
one of its members; anyone else finds nothing), a teacher's changes through `taught_by`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.classes.models import AssignmentCopy, ClassAssignment, ClassMember, SchoolClass


def _is_member(user_id: int) -> object:
    return exists().where(
        ClassMember.class_id == SchoolClass.class_id, ClassMember.user_id == user_id
    )


async def seen_by(session: AsyncSession, *, class_id: int, user_id: int) -> SchoolClass | None:
    """The class of that id when the user teaches it or is in it, else None."""
    return await session.scalar(
        select(SchoolClass).where(
            SchoolClass.class_id == class_id,
            or_(SchoolClass.teacher_id == user_id, _is_member(user_id)),  # type: ignore[arg-type]
        )
    )


async def classes_of(session: AsyncSession, *, user_id: int) -> Sequence[SchoolClass]:
    """The classes the user teaches or is in, the oldest first."""
    rows = await session.scalars(
        select(SchoolClass)
        .where(or_(SchoolClass.teacher_id == user_id, _is_member(user_id)))  # type: ignore[arg-type]
        .order_by(SchoolClass.class_id)
    )
    return rows.all()


async def by_code(session: AsyncSession, code: str) -> SchoolClass | None:
    return await session.scalar(select(SchoolClass).where(SchoolClass.join_code == code))


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def member(session: AsyncSession, *, class_id: int, user_id: int) -> ClassMember | None:
    return await session.get(ClassMember, (class_id, user_id))


async def members(session: AsyncSession, *, class_id: int) -> Sequence[ClassMember]:
    rows = await session.scalars(
        select(ClassMember)
        .where(ClassMember.class_id == class_id)
        .order_by(ClassMember.joined_at, ClassMember.user_id)
    )
    return rows.all()


async def assignments(session: AsyncSession, *, class_id: int) -> Sequence[ClassAssignment]:
    rows = await session.scalars(
        select(ClassAssignment)
        .where(ClassAssignment.class_id == class_id)
        .order_by(ClassAssignment.assignment_id)
    )
    return rows.all()


async def copies(
    session: AsyncSession, *, class_id: int, user_id: int | None = None
) -> Sequence[Any]:
    """The copies of the class's assignments (of one member when `user_id` is given): rows
    of `assignment_id`, `user_id`, `saved_content_id` (no ORM objects: a big class has
    thousands)."""
    statement = select(
        AssignmentCopy.assignment_id, AssignmentCopy.user_id, AssignmentCopy.saved_content_id
    ).join(ClassAssignment, ClassAssignment.assignment_id == AssignmentCopy.assignment_id)
    statement = statement.where(ClassAssignment.class_id == class_id)
    if user_id is not None:
        statement = statement.where(AssignmentCopy.user_id == user_id)
    return (await session.execute(statement)).all()


async def add_copies(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        session.add_all([AssignmentCopy(**row) for row in rows])
        await session.flush()


async def remove_member(session: AsyncSession, *, class_id: int, user_id: int) -> bool:
    """The member out of the class, with the record of their copies (the copies, their own
    saved sets, stay); whether they were in it."""
    assigned = select(ClassAssignment.assignment_id).where(ClassAssignment.class_id == class_id)
    await session.execute(
        delete(AssignmentCopy).where(
            AssignmentCopy.user_id == user_id, AssignmentCopy.assignment_id.in_(assigned)
        )
    )
    result = await session.execute(
        delete(ClassMember).where(ClassMember.class_id == class_id, ClassMember.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_class(session: AsyncSession, *, class_id: int) -> None:
    """The class, its members, assignments and their record (cascades); no saved set."""
    assigned = select(ClassAssignment.assignment_id).where(ClassAssignment.class_id == class_id)
    await session.execute(delete(AssignmentCopy).where(AssignmentCopy.assignment_id.in_(assigned)))
    await session.execute(delete(ClassAssignment).where(ClassAssignment.class_id == class_id))
    await session.execute(delete(ClassMember).where(ClassMember.class_id == class_id))
    await session.execute(delete(SchoolClass).where(SchoolClass.class_id == class_id))


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    """How many classes, memberships and assignments there are (the console's usage)."""
    found = []
    for model in (SchoolClass, ClassMember, ClassAssignment):
        found.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return found[0], found[1], found[2]
