"""`classes` (a teacher's class and its join code), `class_members` (who joined, and whether
assigned sets go into their review), `class_assignments` (a set the teacher assigned, with its
due date) and `assignment_copies` (which of a member's saved sets is their copy of it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, UTCDateTime, utcnow


class SchoolClass(Base):
    __tablename__ = "classes"
    __table_args__ = (
        Index("idx_classes_teacher", "teacher_id"),
        Index("uq_classes_join_code", "join_code", unique=True),
    )

    class_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    join_code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassMember(Base):
    __tablename__ = "class_members"
    __table_args__ = (Index("idx_class_members_user", "user_id"),)

    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.class_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    # Whether the flashcards of assigned sets go into the member's review (chosen at join).
    review_cards: Mapped[bool] = mapped_column(Boolean)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassAssignment(Base):
    __tablename__ = "class_assignments"
    __table_args__ = (Index("idx_class_assignments_class", "class_id"),)

    assignment_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.class_id", ondelete="CASCADE"))
    # The teacher's set (NULL once they delete it: later joiners get no copy of it).
    saved_content_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_content.saved_content_id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(20))
    due_date: Mapped[date | None] = mapped_column(Date)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentCopy(Base):
    __tablename__ = "assignment_copies"
    __table_args__ = (Index("idx_assignment_copies_user", "user_id"),)

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("class_assignments.assignment_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    # The member's own copy (NULL once they delete it: not done).
    saved_content_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_content.saved_content_id", ondelete="SET NULL")
    )
