"""The generation domain's tables: the recent calls of each learner (and of each client
address, for what needs no account) against a per-minute limit, shared by every process of a
server on PostgreSQL (see `ratelimit`)."""

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


class ClientRateLimit(Base):
    """The same windows per client address, for what anyone may ask without an account (a
    shared set's views): rows of idle addresses are deleted as checks go (`ratelimit`)."""

    __tablename__ = "client_rate_limits"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # share_views
    calls: Mapped[list[float]] = mapped_column(CALLS)
