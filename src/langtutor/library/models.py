"""`saved_content` (what a learner keeps, with label and notes), `feedback` (ratings and
comments on generations, saved items or single items of a set) and `content_shares` (a saved
set's link for others to read and copy)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, JSONType, UTCDateTime, utcnow
from langtutor.enums import ContentType, sql_in


class SavedContent(Base):
    __tablename__ = "saved_content"
    __table_args__ = (
        Index("idx_saved_content_user", "user_id"),
        # A generation is saved at most once per learner (several NULLs are allowed).
        Index("uq_saved_content_user_generation", "user_id", "generation_id", unique=True),
        CheckConstraint(f"content_type IN ({sql_in(ContentType)})", name="content_type"),
    )

    saved_content_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    content_type: Mapped[str] = mapped_column(String(20))
    original_query: Mapped[str] = mapped_column(Text)
    content_data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    saved_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    user_label: Mapped[str | None] = mapped_column(String(100))
    user_notes: Mapped[str | None] = mapped_column(Text)
    generation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # The language practised, from the generation (NULL for content saved without one).
    target_language: Mapped[str | None] = mapped_column(String(50))
    # When the learner last went through the set, and their best score on it (exercises).
    last_studied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    best_score: Mapped[float | None] = mapped_column(Float)
    # A copy of another learner's set (a shared link, a class's assignment): their name then.
    shared_by: Mapped[str | None] = mapped_column(String(50))
    # When the learner first went through the set to its end (a class's assignment is done).
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        Index("idx_feedback_user", "user_id"),
        Index("idx_feedback_related_log", "related_log_id"),
        Index("idx_feedback_related_saved", "related_saved_content_id"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating"),
    )

    feedback_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    timestamp: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    related_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("activity_log.log_id", ondelete="SET NULL")
    )
    related_saved_content_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_content.saved_content_id", ondelete="SET NULL")
    )
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    feedback_text: Mapped[str | None] = mapped_column(Text)
    context_details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    generation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class ContentShare(Base):
    """A saved set's live link: one at most per set, its token unguessable (`sharing`);
    unsharing deletes the row, and deleting the set or its owner deletes it too."""

    __tablename__ = "content_shares"
    __table_args__ = (Index("idx_content_shares_user", "user_id"),)

    saved_content_id: Mapped[int] = mapped_column(
        ForeignKey("saved_content.saved_content_id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
