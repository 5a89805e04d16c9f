"""The generation domain's one table: the recent calls of each learner against a per-minute
limit, shared by every process of a server on PostgreSQL (see `ratelimit`)."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base

# An array of epoch seconds on PostgreSQL; SQLite keeps its windows in memory and never
# writes here, but has the table all the same, so that both schemas are the same.
CALLS = ARRAY(Float).with_variant(JSON(), "sqlite")


class RateLimit(Base):
    __tablename__ = "rate_limits"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # generation, audio
    calls: Mapped[list[float]] = mapped_column(CALLS)
