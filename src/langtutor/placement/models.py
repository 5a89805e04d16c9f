"""`placements`: one placement test of a learner, its items with their answers, and its
result; the level accepted, when it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, JSONType, UTCDateTime, utcnow
from langtutor.enums import Level, sql_in


class PlacementTest(Base):
    __tablename__ = "placements"
    __table_args__ = (
        Index("idx_placements_user_created", "user_id", "created_at"),
        CheckConstraint("stage IN ('vocabulary', 'gaps', 'done')", name="stage"),
        CheckConstraint(f"level IN ({sql_in(Level)})", name="level"),
        CheckConstraint(f"accepted_level IN ({sql_in(Level)})", name="accepted_level"),
    )

    placement_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(50))
    stage: Mapped[str] = mapped_column(String(10))
    # Rounds of the vocabulary stage given so far: an answer to an older round is stale.
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    # Every item shown, with what it is (a word's rank, -1 for a pseudowords; a gap's
    # solution) and the learner's answer: the server's record, never shown whole.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    # The gap texts: their levels, texts and scores.
    texts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    level: Mapped[str | None] = mapped_column(String(2))
    vocabulary_size: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    accepted_level: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Each change is written only over the version it read (else 409): two posts of the same
    # answers at once (SQLite takes no row lock) do not both apply.
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}
