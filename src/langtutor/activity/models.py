"""`activity_log`: what learners asked for and what came of it. Each generation writes a `query`
entry, then an `output` or `error` entry, tied together by `generation_id`; each checked exercise
answer an `answer` entry with its `score`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, JSONType, UTCDateTime, utcnow
from langtutor.enums import ContentType, LogEvent, sql_in


class ActivityLog(Base):
    __tablename__ = "activity_log"
    __table_args__ = (
        Index("idx_activity_log_generation_id", "generation_id"),
        CheckConstraint(f"content_type IN ({sql_in(ContentType)})", name="content_type"),
        CheckConstraint(f"event IN ({sql_in(LogEvent)})", name="event"),
        CheckConstraint("score >= 0.0 AND score <= 1.0", name="score"),
    )

    log_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Given by the batch logger: what makes a replay of its spool idempotent.
    entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    # On PostgreSQL the table is partitioned by month on this column (see `partitions`), and
    # its primary key is (log_id, timestamp): a partition key must belong to every unique key.
    timestamp: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    content_type: Mapped[str] = mapped_column(String(20))
    query_text: Mapped[str] = mapped_column(Text)
    target_language: Mapped[str] = mapped_column(String(50))
    base_language: Mapped[str | None] = mapped_column(String(50))
    request_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    generation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    event: Mapped[str] = mapped_column(String(16), default=LogEvent.query.value)
    # How well an exercise was answered (`answer` entries): 1.0 right, 0.5 almost, 0.0 wrong.
    score: Mapped[float | None] = mapped_column(Float)


# What a replayed spool's idempotent insert checks against (ON CONFLICT); with the partition key.
Index("idx_activity_log_entry_id", ActivityLog.entry_id, ActivityLog.timestamp, unique=True)
# For "a user's activities, newest first": the activity listing and progress read by it.
Index("idx_activity_log_user_timestamp", ActivityLog.user_id, ActivityLog.timestamp.desc())
# For "a user's latest entries of one kind": recent answers and outputs for history-aware
# generation, answers for accuracy.
Index(
    "idx_activity_log_user_event_timestamp",
    ActivityLog.user_id,
    ActivityLog.event,
    ActivityLog.timestamp.desc(),
)

# For "every entry of a period" (the operator's console): learners and answers counted from
# the index alone.
Index(
    "idx_activity_log_timestamp_event_user",
    ActivityLog.timestamp,
    ActivityLog.event,
    ActivityLog.user_id,
)


class ActivityDay(Base):
    """What `/progress` and the streak need of one learner's archived entries of one day (the
    day in the learner's time zone when they were archived): counts, answers, topics, the
    exercises answered; added to as more of that day is archived."""

    __tablename__ = "activity_days"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)


class QualityDay(Base):
    """What the quality report needs of archived generations: per UTC day and group (content
    type, target language, model, prompt version) and error kind ('' for none), the counts,
    the feedback given on them until they were archived, and its latest low-rated comments."""

    __tablename__ = "quality_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    content_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    target_language: Mapped[str] = mapped_column(String(50), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    prompt_version: Mapped[str] = mapped_column(String(50), primary_key=True)
    error: Mapped[str] = mapped_column(String(50), primary_key=True)
    generations: Mapped[int] = mapped_column(Integer)
    reasked: Mapped[int] = mapped_column(Integer)
    mismatched: Mapped[int] = mapped_column(Integer)
    rated: Mapped[int] = mapped_column(Integer)
    rating_sum: Mapped[int] = mapped_column(Integer)
    thumbs: Mapped[int] = mapped_column(Integer)
    down: Mapped[int] = mapped_column(Integer)
    # [timestamp, feedback_id, text] of the latest low-rated comments, newest first.
    comments: Mapped[list[Any]] = mapped_column(JSONType)


class ActivityQuarantine(Base):
    """Activity-log entries that the database refused on their own, try after try (text it
    cannot store, a value out of range): the batch logger sets them aside here so that they
    hold up no one's entries, for an operator to read, write again or remove (`langtutor
    activity quarantine`). Removed with their learner, as the log is."""

    __tablename__ = "activity_quarantine"

    quarantine_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # An entry is set aside once, however many processes replay it.
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(50))
    entry_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    quarantined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    tries: Mapped[int] = mapped_column(Integer)
    # The database's last word on it.
    error: Mapped[str] = mapped_column(Text)
    # The whole entry as JSON in ASCII (what could not be stored is escaped: `\u0000`).
    entry: Mapped[str] = mapped_column(Text)
