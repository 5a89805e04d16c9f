"""A learner's progress: generations per type and day, streak, topics, languages, and what
the library counts of saved items and feedback."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.activity.logger import BatchLogger
from langtutor.activity.models import ActivityLog
from langtutor.activity.schemas import DayCounts, LanguageCount, Progress, TopicCount
from langtutor.db import utcnow
from langtutor.enums import ContentType, LogEvent
from langtutor.library import service as library

STREAK_LOOKBACK_DAYS = 366
TOP_TOPICS = 10
_SPACES = re.compile(r"\s+")


def normalize_topic(text: str) -> str:
    return _SPACES.sub(" ", text).strip().lower().rstrip(".!?")


async def progress_report(
    *, session: AsyncSession, activity: BatchLogger, user_id: int, days: int, tz: ZoneInfo
) -> Progress:
    await activity.flush()  # read-your-writes: this process's buffered entries first
    now = utcnow()
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    lookback = min(first_day, today - timedelta(days=STREAK_LOOKBACK_DAYS))
    since = datetime.combine(lookback, datetime.min.time(), tz)

    # One pass over the user's successful generations (index: user_id, timestamp DESC).
    rows = (
        await session.execute(
            select(
                ActivityLog.timestamp,
                ActivityLog.content_type,
                ActivityLog.query_text,
                ActivityLog.target_language,
            ).where(
                ActivityLog.user_id == user_id,
                ActivityLog.timestamp >= since,
                ActivityLog.event == LogEvent.output.value,
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
    for stamp, content_type, query_text, target in rows:
        if stamp is None:  # the column allows it; nothing we write lacks one
            continue
        day = stamp.astimezone(tz).date()
        active_days.add(day)
        if day < first_day:
            continue
        counts = per_day[day]
        setattr(counts, content_type, getattr(counts, content_type) + 1)
        totals[content_type] += 1
        topics[normalize_topic(query_text)] += 1
        languages[target] += 1

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
        top_topics=[TopicCount(topic=t, count=c) for t, c in topics.most_common(TOP_TOPICS)],
        languages=[LanguageCount(language=code, count=c) for code, c in languages.most_common()],
        saved_count=kept.saved,
        feedback_count=kept.feedback,
        mean_rating=kept.mean_rating,
    )


def streak(active_days: set[date], today: date) -> int:
    """Days in a row with activity, ending today, or yesterday when today has none yet."""
    day = today if today in active_days else today - timedelta(days=1)
    count = 0
    while day in active_days:
        count += 1
        day -= timedelta(days=1)
    return count
