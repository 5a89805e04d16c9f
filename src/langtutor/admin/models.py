"""`audit_log`: every change an operator makes from the console, kept as it was written."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """Who did what to whom, when, from which address. The names are copied, so an entry
    still reads whole after either account is deleted; nothing in the console changes or
    deletes an entry."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("idx_audit_log_at", "at"),)

    audit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
    actor_name: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(32))
    # The learner acted on (no foreign key: a deleted learner's entries stay), or none.
    target_user_id: Mapped[int | None] = mapped_column(Integer)
    target_name: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(255))
    client: Mapped[str | None] = mapped_column(String(64))
