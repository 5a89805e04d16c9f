"""`conversations` (a role-play scene, its roles, who the learner plays, and at the end a
summary) and `conversation_turns` (each line, the learner's or the model's, in order)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, JSONType, UTCDateTime, utcnow


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("idx_conversations_user_updated", "user_id", "updated_at"),)

    conversation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    # Ties the conversation's log entries and its corrections' review cards together.
    key: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    learner_role: Mapped[str] = mapped_column(String(100))
    vocabulary: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    target_language: Mapped[str] = mapped_column(String(50))
    base_language: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(20))
    source_generation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source_saved_content_id: Mapped[int | None] = mapped_column(Integer)
    learner_turns: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConversationTurn(Base):
    __tablename__ = "conversation_turns"
    __table_args__ = (
        UniqueConstraint("conversation_id", "position", name="uq_conversation_turns_position"),
        CheckConstraint("speaker IN ('learner', 'model')", name="speaker"),
    )

    turn_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.conversation_id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    translation: Mapped[str | None] = mapped_column(Text)
    # On a learner's line: the model's corrections of it, [{original, corrected, explanation}].
    corrections: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
