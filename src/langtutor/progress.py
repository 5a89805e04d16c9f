"""A learner's progress: generations per type and day, checked answers and their accuracy,
the weakest exercises, reviews, streak, topics, languages, and what the library counts of saved
items and feedback. Days come from the log's entries, and from the summaries of the days whose
entries were archived (`activity_days`; `days.DaySummary`).

Above the domains it reads (activity, library, review): none of them imports it. Routes and
pages ask `Progress`, the service object; `progress_report` takes a connection.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.accounts.learner import Learner
from langtutor.activity import service as activity_log
from langtutor.activity.days import DaySummary, ItemScores, streak, summarize
from langtutor.activity.logger import BatchLogger
from langtutor.activity.schemas import (
    Accuracy,
    DayCounts,
    LanguageCount,
    TopicCount,
    WeakItem,
)
from langtutor.activity.schemas import Progress as ProgressReport
from langtutor.db import Database, utcnow
from langtutor.enums import ContentType
from langtutor.library import service as library
from langtutor.review import service as review

STREAK_LOOKBACK_DAYS = 366
TOP_TOPICS = 10
WEAKEST_ITEMS = 10


class Progress:
    """A learner's progress as routes and pages read it: each statement on its own, on one
    connection that needs no transaction."""

    def __init__(self, db: Database, log: BatchLogger) -> None:
        self.db = db
        self.log = log

    async def report(
        self, learner: Learner, *, days: int, zone: ZoneInfo | None = None, now: datetime
    ) -> ProgressReport:
        """The last `days` days, counted in `zone` (by default the learner's)."""
        async with self.db.connection() as connection:
            return await progress_report(
                connection=connection,
                activity=self.log,
                user_id=learner.user_id,
                days=days,
                tz=zone or learner.zone,
                now=now,
            )


async def progress_report(
    *,
    connection: AsyncConnection,
    activity: BatchLogger,
    user_id: int,
    days: int,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> ProgressReport:
    """Each statement on its own (`connection` needs no transaction): the activity domain's
    reads (through `fetch_rows`), the review domain's review times, the library's counts."""
    await activity.flush_for(user_id)  # read-your-writes: this process's buffered entries
    now = now or utcnow()
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    lookback = min(first_day, today - timedelta(days=STREAK_LOOKBACK_DAYS))
    since = datetime.combine(lookback, datetime.min.time(), tz)

    summaries, archived_outputs = await _day_summaries(
        connection, user_id=user_id, since=since, lookback=lookback, tz=tz
    )
    active_days = set(summaries)
    window, per_day = _window(summaries, first_day=first_day, days=days)
    for stamp in await review.review_times(connection=connection, user_id=user_id, since=since):
        day = stamp.astimezone(tz).date()
        active_days.add(day)
        if day >= first_day:
            per_day[day].reviews += 1

    outputs = await activity_log.output_counts(connection=connection, user_id=user_id)
    all_time = Counter({row.content_type: row.count for row in outputs})
    all_time.update(archived_outputs)
    kept = await library.library_counts(connection=connection, user_id=user_id)
    return ProgressReport(
        days=days,
        timezone=str(tz),
        totals={kind: window.outputs[kind.value] for kind in ContentType},
        all_time_totals={kind: int(all_time[kind.value]) for kind in ContentType},
        per_day=list(per_day.values()),
        streak_days=streak(active_days, today),
        accuracy={kind: _accuracy(window, kind) for kind in ContentType},
        weakest_items=weakest(window.items.values()),
        top_topics=[
            TopicCount(topic=t, count=c) for t, c in most_common(window.topics, TOP_TOPICS)
        ],
        languages=[
            LanguageCount(language=code, count=c) for code, c in most_common(window.languages)
        ],
        saved_count=kept.saved,
        feedback_count=kept.feedback,
        mean_rating=kept.mean_rating,
    )


async def _day_summaries(
    connection: AsyncConnection, *, user_id: int, since: datetime, lookback: date, tz: ZoneInfo
) -> tuple[dict[date, DaySummary], Counter[str]]:
    """The live entries since `since` summed up per day, merged with the archived days' sums
    from `lookback` on; and the outputs of every archived day (all-time totals count them)."""
    rows = await activity_log.summed_entries(connection=connection, user_id=user_id, since=since)
    summaries = summarize(rows, tz)
    archived_outputs: Counter[str] = Counter()
    for day, summary in await activity_log.archived_days(connection=connection, user_id=user_id):
        archived_outputs.update(summary.outputs)
        if day >= lookback:
            summaries.setdefault(day, DaySummary()).merge(summary)
    return summaries, archived_outputs


def _window(
    summaries: dict[date, DaySummary], *, first_day: date, days: int
) -> tuple[DaySummary, dict[date, DayCounts]]:
    """The sums of the report's days, and each day's counts (reviews are added after)."""
    window = DaySummary()
    per_day = {}
    for n in range(days):
        day = first_day + timedelta(days=n)
        counts = per_day[day] = DayCounts(date=day)
        if (found := summaries.get(day)) is None:
            continue
        window.merge(found)
        for kind, count in found.outputs.items():
            setattr(counts, kind, count)
        counts.studied = found.studied
        answered = sum(answers.answers for answers in found.answers.values())
        if answered:
            counts.answers = answered
            score_sum = sum(answers.score_sum for answers in found.answers.values())
            counts.accuracy = round(score_sum / answered, 4)
    return window, per_day


def _accuracy(window: DaySummary, kind: ContentType) -> Accuracy:
    answers = window.answers.get(kind.value)
    if answers is None or not answers.answers:
        return Accuracy()
    return Accuracy(
        answers=answers.answers,
        correct=answers.correct,
        almost=answers.almost,
        wrong=answers.wrong,
        mean_score=round(answers.score_sum / answers.answers, 4),
    )


def most_common(counts: Counter[str], n: int | None = None) -> list[tuple[str, int]]:
    """The largest counts first, ties in alphabetical order (the same whatever the order in
    which the entries were counted)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


def weakest(items: Iterable[ItemScores]) -> list[WeakItem]:
    """The exercises with the lowest mean score (below 1); on a tie, the most attempted, then
    the latest answered."""
    ranked = sorted(
        (item for item in items if item.score_sum < item.attempts),
        key=lambda item: (
            item.mean,
            -item.attempts,
            -(item.last_at.timestamp() if item.last_at else 0.0),
            item.prompt,
        ),
    )
    return [
        WeakItem(
            prompt=item.prompt,
            expected=item.expected,
            attempts=item.attempts,
            mean_score=round(item.mean, 4),
            last_answer=item.last_answer,
            item_index=item.item_index,
            generation_id=item.generation_id,
            saved_content_id=item.saved_content_id,
        )
        for item in ranked[:WEAKEST_ITEMS]
    ]
