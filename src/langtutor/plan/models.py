"""`plans` (a learner's one study plan: the level, the language, how many weeks and minutes a
day) and `plan_steps` (each unit's deck, exercise set and role-play, with what they were made
into once started)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, UTCDateTime, utcnow

STEP_KINDS = ("deck", "exercises", "conversation")


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (
        # One plan a learner: a new one replaces it.
        UniqueConstraint("user_id", name="uq_plans_user"),
        CheckConstraint("weeks >= 1 AND weeks <= 52", name="weeks"),
    )

    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(2))
    target_language: Mapped[str] = mapped_column(String(50))
    weeks: Mapped[int] = mapped_column(Integer)
    minutes_per_day: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanStep(Base):
    __tablename__ = "plan_steps"
    __table_args__ = (
        UniqueConstraint("plan_id", "unit_index", "kind", name="uq_plan_steps_unit_kind"),
        CheckConstraint("kind IN ('deck', 'exercises', 'conversation')", name="kind"),
    )

    step_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    # Whose step it is, for the ownership condition of every read (as the plan's).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    # The unit's place in the plan (from 0) and its syllabus id (`a1-01`).
    unit_index: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[str] = mapped_column(String(10))
    # The week of the plan it is scheduled in (from 1).
    week: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    # Once started: the saved set it was made into (gone if the learner deletes it), the
    # generation that made it (its exercises' answers are logged under it), its size.
    saved_content_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_content.saved_content_id", ondelete="SET NULL")
    )
    generation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    items: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
