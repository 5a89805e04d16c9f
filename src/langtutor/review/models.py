"""`review_cards` (one per flashcard or vocabulary item a learner keeps, with its FSRS memory
state) and `review_logs` (one per review, with Anki's revlog fields and what undo restores)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, UTCDateTime, utcnow

NEW = "new"
STATE_NAMES = {1: "learning", 2: "review", 3: "relearning"}


class ReviewCard(Base):
    __tablename__ = "review_cards"
    __table_args__ = (
        # One card per source: saving or re-saving never makes a second.
        UniqueConstraint("saved_content_id", "source", "item_index", name="uq_review_cards_source"),
        # One card per mistaken item of a generation, however often it is answered wrong.
        UniqueConstraint(
            "user_id", "generation_id", "source", "item_index", name="uq_review_cards_generation"
        ),
        # Covers the queue's counts (index-only) and its due cards, oldest first.
        Index("idx_review_cards_user_due", "user_id", "due", "state", "suspended", "last_review"),
        CheckConstraint("state IN (1, 2, 3)", name="state"),
    )

    card_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    saved_content_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_content.saved_content_id", ondelete="CASCADE")
    )
    # The generation the item came from, when known (mistakes: their card is keyed by it).
    generation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # What the card was made from: "flashcard", "vocabulary" (of a simulation), "mistake" (an
    # exercise answered wrong), and later sources such as a conversation correction.
    source: Mapped[str] = mapped_column(String(20))
    item_index: Mapped[int | None] = mapped_column(Integer)
    front: Mapped[str] = mapped_column(Text)
    back: Mapped[str] = mapped_column(Text)
    example: Mapped[str | None] = mapped_column(Text)
    example_translation: Mapped[str | None] = mapped_column(Text)
    target_language: Mapped[str | None] = mapped_column(String(50))
    base_language: Mapped[str | None] = mapped_column(String(50))
    # FSRS: state 1 Learning, 2 Review, 3 Relearning; a card never reviewed is "new".
    state: Mapped[int] = mapped_column(SmallInteger, default=1)
    step: Mapped[int | None] = mapped_column(Integer, default=0)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def state_name(self) -> str:
        """new (never reviewed), learning, review or relearning."""
        return NEW if self.last_review is None else STATE_NAMES[self.state]


class ReviewLog(Base):
    __tablename__ = "review_logs"
    __table_args__ = (
        Index("idx_review_logs_user_reviewed", "user_id", "reviewed_at"),
        Index("idx_review_logs_card", "card_id"),
        # Reviews of a period, and who did them (the operator's console).
        Index("idx_review_logs_reviewed_user", "reviewed_at", "user_id"),
        CheckConstraint("rating >= 1 AND rating <= 4", name="rating"),
        # A review given offline is sent again until the server has answered: kept once.
        UniqueConstraint("user_id", "client_review_id", name="uq_review_logs_client"),
    )

    review_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("review_cards.card_id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)  # Anki's ease: 1 Again … 4 Easy
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)  # Anki's time
    interval_days: Mapped[int] = mapped_column(Integer)  # Anki's ivl: scheduled, in days
    elapsed_days: Mapped[int] = mapped_column(Integer)  # days since the previous review
    stability_after: Mapped[float] = mapped_column(Float)
    difficulty_after: Mapped[float] = mapped_column(Float)
    # The card as it was before (Anki's type is state_before): undo restores it exactly.
    state_before: Mapped[int] = mapped_column(SmallInteger)
    step_before: Mapped[int | None] = mapped_column(Integer)
    stability_before: Mapped[float | None] = mapped_column(Float)
    difficulty_before: Mapped[float | None] = mapped_column(Float)
    due_before: Mapped[datetime] = mapped_column(UTCDateTime)
    last_review_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The id the learner's device gave a review made offline (`POST /review/sync`).
    client_review_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
