"""Response bodies of `/activity` and `/progress`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from langtutor.enums import ContentType, LogEvent


class ActivityEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    log_id: int
    timestamp: datetime | None
    event: LogEvent
    content_type: ContentType
    query_text: str
    target_language: str
    base_language: str | None
    generation_id: uuid.UUID | None
    request_metadata: dict[str, Any] | None
    response_metadata: dict[str, Any] | None


class ActivityPage(BaseModel):
    items: list[ActivityEntry]
    next_before: datetime | None
    """Pass as `before` to get the next (older) page; null on the last page."""


class DayCounts(BaseModel):
    date: date
    flashcards: int = 0
    exercises: int = 0
    simulation: int = 0


class TopicCount(BaseModel):
    topic: str
    count: int


class LanguageCount(BaseModel):
    language: str
    count: int


class Progress(BaseModel):
    days: int
    timezone: str
    totals: dict[ContentType, int]
    """Successful generations per content type within the window."""
    all_time_totals: dict[ContentType, int]
    per_day: list[DayCounts]
    """One entry per day of the window, oldest first, including days without activity."""
    streak_days: int
    """Consecutive days with a successful generation, ending today (or yesterday)."""
    top_topics: list[TopicCount]
    languages: list[LanguageCount]
    saved_count: int
    feedback_count: int
    mean_rating: float | None
