"""A class as its teacher and as a member see it, from its rows: the teacher sees the join
code, the members and how many are done with each assignment; a member sees only their own
copies (done or not, late or not), never the other members."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from langtutor.accounts.people import Named
from langtutor.classes.models import ClassAssignment, ClassMember, SchoolClass
from langtutor.classes.schemas import AssignmentOut, ClassOut, MemberOut

# No 0/O, 1/I/L: a code read aloud or copied from a board is typed right. 31 ** 10 codes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalized_code(text: str) -> str:
    """A code as typed: any case, spaces and dashes left out."""
    return "".join(c for c in text.upper() if c not in " -\t")


def is_late(due: date | None, finished_at: datetime | None, today: date) -> bool:
    """Done after the due date, or not done by its end (UTC days)."""
    if due is None:
        return False
    if finished_at is None:
        return today > due
    return finished_at.date() > due


def _assignment(row: ClassAssignment, **fields: object) -> AssignmentOut:
    return AssignmentOut(
        assignment_id=row.assignment_id,
        title=row.title,
        content_type=row.content_type,
        due_date=row.due_date,
        assigned_at=row.assigned_at,
        **fields,
    )


def teacher_view(
    school_class: SchoolClass,
    *,
    teacher: str,
    members: Sequence[ClassMember],
    names: Mapping[int, Named],
    assignments: Sequence[ClassAssignment],
    copies: Sequence[Any],
    finished: Mapping[int, datetime | None],
) -> ClassOut:
    in_class = {m.user_id for m in members}
    done: dict[int, int] = {}
    for copy in copies:
        if copy.user_id in in_class and copy.saved_content_id is not None:
            if finished.get(copy.saved_content_id) is not None:
                done[copy.assignment_id] = done.get(copy.assignment_id, 0) + 1
    return ClassOut(
        class_id=school_class.class_id,
        name=school_class.name,
        role="teacher",
        teacher=teacher,
        join_code=school_class.join_code,
        members=[
            MemberOut(
                user_id=m.user_id,
                username=names[m.user_id].username if m.user_id in names else "",
                joined_at=m.joined_at,
                review_cards=m.review_cards,
            )
            for m in members
        ],
        assignments=[
            _assignment(
                a, saved_content_id=a.saved_content_id, done_count=done.get(a.assignment_id, 0)
            )
            for a in assignments
        ],
    )


def member_assignments(
    assignments: Sequence[ClassAssignment],
    copies: Sequence[Any],
    finished: Mapping[int, datetime | None],
    today: date,
) -> list[AssignmentOut]:
    """The member's assignments: those they have a copy of (made when assigned, or when they
    joined), with their copy's id, whether they are done and late."""
    mine = {copy.assignment_id: copy.saved_content_id for copy in copies}
    shown = []
    for a in assignments:
        if a.assignment_id not in mine:
            continue
        copy_id = mine[a.assignment_id]
        finished_at = finished.get(copy_id) if copy_id is not None else None
        shown.append(
            _assignment(
                a,
                saved_content_id=copy_id,
                done=finished_at is not None,
                late=is_late(a.due_date, finished_at, today),
            )
        )
    return shown


def member_view(
    school_class: SchoolClass, *, teacher: str, assignments: list[AssignmentOut]
) -> ClassOut:
    return ClassOut(
        class_id=school_class.class_id,
        name=school_class.name,
        role="member",
        teacher=teacher,
        join_code=None,
        members=[],
        assignments=assignments,
    )
