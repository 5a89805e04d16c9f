"""A learner's activity of one day, summed up: what `/progress` and the streak read of the log.

`/progress` sums up the entries it reads; `langtutor activity archive` keeps the sums of the
entries it moves out (`activity_days`, one row per learner and day), and `/progress` adds them
back. The sums are plain counts and score sums, so adding them up in any order or grouping
gives the same report.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from langtutor.enums import ContentType, LogEvent

# The events a day's summary counts; any of them makes a day active.
SUMMED_EVENTS = (
    LogEvent.output.value,
    LogEvent.answer.value,
    LogEvent.study.value,
    LogEvent.turn.value,
)
_SPACES = re.compile(r"\s+")


def normalize_topic(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower().rstrip(".!?")


@dataclass
class ItemScores:
    """One exercise's answers: where it is, how many, their score sum, the latest."""

    prompt: str
    expected: str
    item_index: int | None
    generation_id: uuid.UUID | None
    saved_content_id: int | None
    attempts: int = 0
    score_sum: float = 0.0
    last_at: datetime | None = None
    last_answer: str | None = None

    def add(self, stamp: datetime, score: float, answer: str | None) -> None:
        self.attempts += 1
        self.score_sum += score
        if self.last_at is None or stamp >= self.last_at:
            self.last_at = stamp
            self.last_answer = answer

    def merge(self, other: ItemScores) -> None:
        self.attempts += other.attempts
        self.score_sum += other.score_sum
        if other.last_at is not None and (self.last_at is None or other.last_at >= self.last_at):
            self.last_at = other.last_at
            self.last_answer = other.last_answer

    @property
    def mean(self) -> float:
        return self.score_sum / self.attempts

    def as_json(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "expected": self.expected,
            "item_index": self.item_index,
            "generation_id": None if self.generation_id is None else str(self.generation_id),
            "saved_content_id": self.saved_content_id,
            "attempts": self.attempts,
            "score_sum": self.score_sum,
            "last_at": None if self.last_at is None else self.last_at.isoformat(),
            "last_answer": self.last_answer,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemScores:
        return cls(
            prompt=data["prompt"],
            expected=data["expected"],
            item_index=data["item_index"],
            generation_id=_uuid(data["generation_id"]),
            saved_content_id=data["saved_content_id"],
            attempts=data["attempts"],
            score_sum=data["score_sum"],
            last_at=None if data["last_at"] is None else datetime.fromisoformat(data["last_at"]),
            last_answer=data["last_answer"],
        )


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


@dataclass
class Answers:
    """Checked answers of one content type: how many, right, almost, wrong, their score sum."""

    answers: int = 0
    correct: int = 0
    almost: int = 0
    wrong: int = 0
    score_sum: float = 0.0

    def add(self, score: float) -> None:
        self.answers += 1
        self.score_sum += score
        if score >= 1.0:
            self.correct += 1
        elif score > 0.0:
            self.almost += 1
        else:
            self.wrong += 1

    def merge(self, other: Answers) -> None:
        self.answers += other.answers
        self.correct += other.correct
        self.almost += other.almost
        self.wrong += other.wrong
        self.score_sum += other.score_sum


@dataclass
class DaySummary:
    outputs: Counter[str] = field(default_factory=Counter)  # per content type
    studied: int = 0  # flashcards and role-plays studied (exercise sets count by answers)
    answers: dict[str, Answers] = field(default_factory=dict)  # per content type
    topics: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    items: dict[str, ItemScores] = field(default_factory=dict)

    def add(
        self,
        *,
        stamp: datetime,
        event: str,
        content_type: str,
        query_text: str,
        target_language: str,
        score: float | None,
        generation_id: uuid.UUID | None,
        request: dict[str, Any] | None,
    ) -> None:
        request = request or {}
        if event == LogEvent.output.value:
            self.outputs[content_type] += 1
            self.topics[normalize_topic(query_text)] += 1
            self.languages[target_language] += 1
        elif event == LogEvent.study.value:
            studied = request.get("items")
            if isinstance(studied, int) and content_type != ContentType.exercises.value:
                self.studied += studied
        elif event == LogEvent.answer.value and score is not None:
            self.answers.setdefault(content_type, Answers()).add(score)
            answer = request.get("answer")
            self._item(query_text, generation_id, request).add(
                stamp, score, answer if isinstance(answer, str) else None
            )
        # a `turn` (a line of a conversation) makes the day active, and counts nothing

    def _item(
        self, prompt: str, generation_id: uuid.UUID | None, request: dict[str, Any]
    ) -> ItemScores:
        """An exercise, keyed by its set (generation, else saved set) and place."""
        saved_id = request.get("saved_content_id")
        index = request.get("item_index")
        if generation_id is not None:
            key = f"g:{generation_id}:{index}"
        elif saved_id:
            key = f"s:{saved_id}:{index}"
        else:
            key = f"p:{prompt}"
        if key not in self.items:
            self.items[key] = ItemScores(
                prompt=prompt,
                expected=str(request.get("expected", "")),
                item_index=index if isinstance(index, int) else None,
                generation_id=generation_id,
                saved_content_id=saved_id if isinstance(saved_id, int) else None,
            )
        return self.items[key]

    def merge(self, other: DaySummary) -> None:
        self.outputs.update(other.outputs)
        self.studied += other.studied
        for kind, answers in other.answers.items():
            self.answers.setdefault(kind, Answers()).merge(answers)
        self.topics.update(other.topics)
        self.languages.update(other.languages)
        for key, item in other.items.items():
            if key in self.items:
                self.items[key].merge(item)
            else:
                self.items[key] = ItemScores.from_json(item.as_json())

    def as_json(self) -> dict[str, Any]:
        return {
            "outputs": dict(self.outputs),
            "studied": self.studied,
            "answers": {kind: vars(answers).copy() for kind, answers in self.answers.items()},
            "topics": dict(self.topics),
            "languages": dict(self.languages),
            "items": {key: item.as_json() for key, item in self.items.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DaySummary:
        return cls(
            outputs=Counter(data.get("outputs", {})),
            studied=data.get("studied", 0),
            answers={kind: Answers(**found) for kind, found in data.get("answers", {}).items()},
            topics=Counter(data.get("topics", {})),
            languages=Counter(data.get("languages", {})),
            items={key: ItemScores.from_json(item) for key, item in data.get("items", {}).items()},
        )


def add_entry(days: dict[Any, DaySummary], key: Any, entry: Mapping[str, Any]) -> None:
    """Adds an entry (a mapping of activity_log's columns) to the summary of `days[key]`."""
    days.setdefault(key, DaySummary()).add(
        stamp=entry["timestamp"],
        event=entry["event"],
        content_type=entry["content_type"],
        query_text=entry["query_text"],
        target_language=entry["target_language"],
        score=entry["score"],
        generation_id=entry["generation_id"],
        request=entry["request_metadata"],
    )


def summarize(rows: Iterable[Any], tz: tzinfo) -> dict[date, DaySummary]:
    """Rows (SQLAlchemy's or psycopg's named tuples) with activity_log's columns that
    `add_entry` reads, summed up per day in `tz`."""
    days: dict[date, DaySummary] = {}
    for row in rows:
        add_entry(days, row.timestamp.astimezone(tz).date(), row._asdict())
    return days


def streak(active_days: set[date], today: date) -> int:
    """Days in a row with activity, ending today, or yesterday when today has none yet (a
    learner's progress, and each member of a class for its teacher)."""
    day = today if today in active_days else today - ONE_DAY
    count = 0
    while day in active_days:
        count += 1
        day -= ONE_DAY
    return count


ONE_DAY = timedelta(days=1)
