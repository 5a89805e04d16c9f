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
    score: float | None = None
    """For `answer` entries: 1.0 right, 0.5 almost, 0.0 wrong (a model may grade between)."""


class ActivityPage(BaseModel):
    items: list[ActivityEntry]
    next_before: datetime | None
    """Pass as `before` to get the next (older) page; null on the last page."""


class DayCounts(BaseModel):
    date: date
    flashcards: int = 0
    exercises: int = 0
    simulation: int = 0
    answers: int = 0
    """Exercise answers checked that day."""
    accuracy: float | None = None
    """Their mean score (0.0-1.0); null on a day without answers."""
    reviews: int = 0
    studied: int = 0
    """Items of sets gone through to their end that day (a deck's cards, say)."""

    @property
    def done(self) -> int:
        """What counts towards the daily goal: cards reviewed or studied, answers checked."""
        return self.reviews + self.studied + self.answers


class Accuracy(BaseModel):
    answers: int = 0
    correct: int = 0
    almost: int = 0
    wrong: int = 0
    mean_score: float | None = None


class WeakItem(BaseModel):
    """An exercise the learner keeps getting wrong: where it is, and how it went."""

    prompt: str
    expected: str
    attempts: int
    mean_score: float
    last_answer: str | None
    item_index: int | None
    generation_id: uuid.UUID | None
    saved_content_id: int | None


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
    """Consecutive days of study (a generation, an exercise answered or a card reviewed),
    ending today (or yesterday when today has none yet)."""
    accuracy: dict[ContentType, Accuracy]
    """Checked answers per content type within the window, with their mean score."""
    weakest_items: list[WeakItem]
    """Up to 10 exercises with the lowest mean score within the window, worst first."""
    top_topics: list[TopicCount]
    languages: list[LanguageCount]
    saved_count: int
    feedback_count: int
    mean_rating: float | None
