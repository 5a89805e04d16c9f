"""A learner's progress: generations per type and day, checked answers and their accuracy,
the weakest exercises, reviews, streak, topics, languages, and what the library counts of saved
items and feedback."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.activity.logger import BatchLogger
from langtutor.activity.models import ActivityLog
from langtutor.activity.schemas import (
    Accuracy,
    DayCounts,
    LanguageCount,
    Progress,
    TopicCount,
    WeakItem,
)
from langtutor.db import utcnow
from langtutor.enums import ContentType, LogEvent
from langtutor.library import service as library
from langtutor.review import service as review

STREAK_LOOKBACK_DAYS = 366
TOP_TOPICS = 10
WEAKEST_ITEMS = 10
_SPACES = re.compile(r"\s+")


def normalize_topic(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower().rstrip(".!?")


async def progress_report(
    *, session: AsyncSession, activity: BatchLogger, user_id: int, days: int, tz: ZoneInfo
) -> Progress:
    await activity.flush_for(user_id)  # read-your-writes: this process's buffered entries
    now = utcnow()
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    lookback = min(first_day, today - timedelta(days=STREAK_LOOKBACK_DAYS))
    since = datetime.combine(lookback, datetime.min.time(), tz)

    # One pass over the user's successful generations, checked answers and studied sets (index:
    # user_id, event, timestamp).
    rows = (
        await session.execute(
            select(
                ActivityLog.timestamp,
                ActivityLog.event,
                ActivityLog.content_type,
                ActivityLog.query_text,
                ActivityLog.target_language,
                ActivityLog.score,
                ActivityLog.generation_id,
                ActivityLog.request_metadata,
            ).where(
                ActivityLog.user_id == user_id,
                ActivityLog.event.in_(
                    (
                        LogEvent.output.value,
                        LogEvent.answer.value,
                        LogEvent.study.value,
                        LogEvent.turn.value,
                    )
                ),
                ActivityLog.timestamp >= since,
            )
        )
    ).all()
    per_day = {
        first_day + timedelta(days=n): DayCounts(date=first_day + timedelta(days=n))
        for n in range(days)
    }
    active_days: set[date] = set()
    totals: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    scores_per_day: dict[date, list[float]] = {}
    accuracy = {kind: Accuracy() for kind in ContentType}
    items: dict[tuple[object, ...], _ItemScores] = {}
    for stamp, event, content_type, query_text, target, score, generation_id, request in rows:
        if stamp is None:  # the column allows it; nothing we write lacks one
            continue
        day = stamp.astimezone(tz).date()
        active_days.add(day)
        if day < first_day:
            continue
        if event == LogEvent.turn.value:  # a line of a conversation: a day of study
            continue
        if event == LogEvent.study.value:
            # A finished exercise set counts by its answers, which are counted already.
            studied = (request or {}).get("items")
            if isinstance(studied, int) and content_type != ContentType.exercises.value:
                per_day[day].studied += studied
            continue
        if event == LogEvent.answer.value:
            if score is None:
                continue
            scores_per_day.setdefault(day, []).append(score)
            _count_answer(accuracy[ContentType(content_type)], score)
            answer = (request or {}).get("answer")
            _item_scores(items, query_text, generation_id, request or {}).add(
                stamp, score, answer if isinstance(answer, str) else None
            )
            continue
        counts = per_day[day]
        setattr(counts, content_type, getattr(counts, content_type) + 1)
        totals[content_type] += 1
        topics[normalize_topic(query_text)] += 1
        languages[target] += 1
    for day, scores in scores_per_day.items():
        per_day[day].answers = len(scores)
        per_day[day].accuracy = round(sum(scores) / len(scores), 4)
    for stamp in await review.review_times(session=session, user_id=user_id, since=since):
        day = stamp.astimezone(tz).date()
        active_days.add(day)
        if day >= first_day:
            per_day[day].reviews += 1
    for summary in accuracy.values():
        if summary.answers:
            summary.mean_score = round(summary.mean_score or 0.0, 4)

    all_time = dict(
        (
            await session.execute(
                select(ActivityLog.content_type, func.count())
                .where(ActivityLog.user_id == user_id, ActivityLog.event == LogEvent.output.value)
                .group_by(ActivityLog.content_type)
            )
        ).all()
    )
    kept = await library.library_counts(session=session, user_id=user_id)
    return Progress(
        days=days,
        timezone=str(tz),
        totals={kind: totals[kind.value] for kind in ContentType},
        all_time_totals={kind: int(all_time.get(kind.value, 0)) for kind in ContentType},
        per_day=list(per_day.values()),
        streak_days=streak(active_days, today),
        accuracy=accuracy,
        weakest_items=weakest(items),
        top_topics=[TopicCount(topic=t, count=c) for t, c in topics.most_common(TOP_TOPICS)],
        languages=[LanguageCount(language=code, count=c) for code, c in languages.most_common()],
        saved_count=kept.saved,
        feedback_count=kept.feedback,
        mean_rating=kept.mean_rating,
    )


@dataclass
class _ItemScores:
    prompt: str
    expected: str
    item_index: int | None
    generation_id: uuid.UUID | None
    saved_content_id: int | None
    scores: list[float] = field(default_factory=list)
    last_at: datetime | None = None
    last_answer: str | None = None

    def add(self, stamp: datetime, score: float, answer: str | None = None) -> None:
        self.scores.append(score)
        if self.last_at is None or stamp >= self.last_at:
            self.last_at = stamp
            self.last_answer = answer


def _item_scores(
    items: dict[tuple[object, ...], _ItemScores],
    prompt: str,
    generation_id: uuid.UUID | None,
    request: dict[str, Any],
) -> _ItemScores:
    """One exercise's answers, keyed by its set (generation, else saved set) and place."""
    saved_id = request.get("saved_content_id")
    index = request.get("item_index")
    key = (generation_id or saved_id, index) if (generation_id or saved_id) else (prompt,)
    if key not in items:
        items[key] = _ItemScores(
            prompt=prompt,
            expected=str(request.get("expected", "")),
            item_index=index if isinstance(index, int) else None,
            generation_id=generation_id,
            saved_content_id=saved_id if isinstance(saved_id, int) else None,
        )
    return items[key]


def _count_answer(summary: Accuracy, score: float) -> None:
    """Adds one answer; mean_score is kept as a running mean."""
    summary.answers += 1
    if score >= 1.0:
        summary.correct += 1
    elif score > 0.0:
        summary.almost += 1
    else:
        summary.wrong += 1
    mean = summary.mean_score or 0.0
    summary.mean_score = mean + (score - mean) / summary.answers


def weakest(items: dict[tuple[object, ...], _ItemScores]) -> list[WeakItem]:
    """The exercises with the lowest mean score (below 1), most attempted first on a tie."""
    ranked = sorted(
        (item for item in items.values() if sum(item.scores) < len(item.scores)),
        key=lambda item: (sum(item.scores) / len(item.scores), -len(item.scores)),
    )
    return [
        WeakItem(
            prompt=item.prompt,
            expected=item.expected,
            attempts=len(item.scores),
            mean_score=round(sum(item.scores) / len(item.scores), 4),
            last_answer=item.last_answer,
            item_index=item.item_index,
            generation_id=item.generation_id,
            saved_content_id=item.saved_content_id,
        )
        for item in ranked[:WEAKEST_ITEMS]
    ]


def streak(active_days: set[date], today: date) -> int:
    """Days in a row with activity, ending today, or yesterday when today has none yet."""
    day = today if today in active_days else today - timedelta(days=1)
    count = 0
    while day in active_days:
        count += 1
        day -= timedelta(days=1)
    return count
