"""Operators' reports across domains: which content type, language, model and prompt
version goes wrong, from the activity log and the feedback, with aggregate queries (a
handful of statements whatever the number of rows)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from langtutor.activity.models import ActivityLog, QualityDay
from langtutor.enums import LogEvent
from langtutor.library.exports import csv_cell
from langtutor.library.models import Feedback, SavedContent

# Errors of the model's answer after the re-ask: the generation was re-asked before failing.
REASKED_ERRORS = ("invalid_output", "wrong_language", "repeated_content")
LOW_RATING = 2
COMMENTS = 5

Key = tuple[str, str, str, str]

# A learner's comment reaches the operator's terminal or spreadsheet: what either would act
# on rather than show goes. Control characters (escape sequences start with ESC, or CSI in
# C1) and the bidirectional controls that reorder what is shown are dropped; line breaks
# and tabs become spaces, so that a comment stays one line of its own.
_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain_text(text: str) -> str:
    return _CONTROLS.sub("", _BREAKS.sub(" ", text))


@dataclass
class QualityRow:
    content_type: str
    target_language: str
    model: str
    prompt_version: str
    generations: int = 0
    invalid_output_rate: float = 0.0
    reask_rate: float = 0.0
    language_mismatch_rate: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    ratings: int = 0
    mean_rating: float | None = None
    thumbs: int = 0
    thumbs_down_share: float | None = None
    low_rated_comments: list[str] = field(default_factory=list)
    # The generation each comment is about (None for an archived day's), for the console's
    # links; not part of the CLI's JSON or CSV.
    comment_generations: list[str | None] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        del values["comment_generations"]
        return values


def _metadata(*path: str) -> ColumnElement[str]:
    return ActivityLog.response_metadata[path if len(path) > 1 else path[0]].as_string()


def _group_columns() -> list[Any]:
    return [
        ActivityLog.content_type,
        ActivityLog.target_language,
        func.coalesce(_metadata("model"), "-"),
        func.coalesce(_metadata("prompt_version"), "-"),
    ]


def _generations(since: datetime | None) -> ColumnElement[bool]:
    """The end of each generation: its output, or its error (an explanation's error carries
    no prompt version and is left out; so are outputs older than prompt versions)."""
    ended = or_(
        ActivityLog.event == LogEvent.output.value,
        and_(ActivityLog.event == LogEvent.error.value, _metadata("prompt_version").is_not(None)),
    )
    return and_(ended, ActivityLog.timestamp >= since) if since is not None else ended


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


async def quality_report(
    sessions: async_sessionmaker[AsyncSession], since: datetime | None = None
) -> list[QualityRow]:
    """Per content type × target language × model × prompt version: generations, the rates
    of invalid output, re-asks and language mismatches, errors by kind, the mean rating and
    the share of thumbs down of the feedback on them, and the latest low-rated comments.
    Two aggregate queries and the summaries of archived days (`QualityDay`), run at once on
    connections of their own."""
    counted, commented, archived = await asyncio.gather(
        _rows(sessions, _counts(since)),
        _rows(sessions, _low_rated_comments(since)),
        _rows(sessions, _archived_days(since)),
    )
    days = [day for (day,) in archived]
    rows = _quality_rows([*map(_logged_tally, counted), *map(_archived_tally, days)])
    for key, found_comments in _comments(commented, days).items():
        if (with_comments := rows.get(key)) is not None:
            latest = sorted(found_comments, key=lambda c: (c[0], c[1]), reverse=True)[:COMMENTS]
            with_comments.low_rated_comments = [plain_text(c[2]) for c in latest]
            with_comments.comment_generations = [c[3] for c in latest]
    return sorted(rows.values(), key=lambda row: (-row.generations, row.content_type))


def _counts(since: datetime | None) -> Select[Any]:
    """One pass over the table: counts per group and error kind (none for outputs), with the
    feedback of each generation summed in (a small table, hashed once)."""
    columns = _group_columns()
    error = _metadata("error")
    attempts = ActivityLog.response_metadata["attempts"].as_integer()
    mismatch = ActivityLog.response_metadata[("quality", "language_mismatch")].as_boolean()
    feedback = feedback_per_generation(since)
    return (
        select(
            *columns,
            error,
            func.count(),
            _count(attempts == 2),
            _count(mismatch.is_(True)),
            func.sum(feedback.c.rated),
            func.sum(feedback.c.rating_sum),
            func.sum(feedback.c.thumbs),
            func.sum(feedback.c.down),
        )
        .select_from(ActivityLog)
        .outerjoin(
            feedback,
            and_(
                feedback.c.generation_id == ActivityLog.generation_id,
                ActivityLog.event == LogEvent.output.value,
            ),
        )
        .where(_generations(since))
        .group_by(*columns, error)
    )


# (key, error kind or "", generations, re-asked, mismatched, ratings, their sum, thumbs,
# thumbs down): from the log, or from the summary of an archived day.
Tally = tuple[Key, str, int, int, int, int, int, int, int]


def _logged_tally(found: Any) -> Tally:
    count, reasked, mismatched, rated, rating_sum, thumbs, down = (
        int(value or 0) for value in tuple(found)[5:12]
    )
    return (
        _key(found),
        found[4] or "",
        count,
        reasked,
        mismatched,
        rated,
        rating_sum,
        thumbs,
        down,
    )


def _archived_tally(day: QualityDay) -> Tally:
    return (
        (day.content_type, day.target_language, day.model, day.prompt_version),
        day.error,
        day.generations,
        day.reasked,
        day.mismatched,
        day.rated,
        day.rating_sum,
        day.thumbs,
        day.down,
    )


Comment = tuple[datetime, int, str, str | None]  # time, feedback id, text, generation


def _comments(commented: list[Any], days: list[QualityDay]) -> dict[Key, list[Comment]]:
    """The low-rated comments per group, from the log and then the archived days."""
    comments: dict[Key, list[Comment]] = {}
    for found in commented:
        comment = (found[5], found[6], found[4], str(found[7]) if found[7] else None)
        comments.setdefault(_key(found), []).append(comment)
    for day in days:
        key = (day.content_type, day.target_language, day.model, day.prompt_version)
        for stamp, feedback_id, text in day.comments:
            stamped = datetime.fromisoformat(stamp)
            comments.setdefault(key, []).append((stamped, feedback_id, text, None))
    return comments


def _quality_rows(tallied: list[Tally]) -> dict[Key, QualityRow]:
    """The tallies summed up per group, into rates and shares."""
    rows: dict[Key, QualityRow] = {}
    tallies: dict[Key, list[int]] = {}
    ratings: dict[Key, list[int]] = {}
    for key, kind, count, reasked, mismatched, *feedback_sums in tallied:
        row = rows.setdefault(key, QualityRow(*key))
        sums = ratings.setdefault(key, [0, 0, 0, 0])  # ratings, their sum, thumbs, thumbs down
        for index, value in enumerate(feedback_sums):
            sums[index] += value
        tally = tallies.setdefault(key, [0, 0, 0, 0])  # generations, invalid, re-asked, wrong
        tally[0] += count
        if not kind:
            tally[2] += reasked
            tally[3] += mismatched
            continue
        row.errors[kind] = row.errors.get(kind, 0) + count
        tally[1] += count if kind == "invalid_output" else 0
        tally[2] += count if kind in REASKED_ERRORS else 0
        tally[3] += count if kind == "wrong_language" else 0
    for key, (generations, invalid, reasked, mismatched) in tallies.items():
        row = rows[key]
        row.generations = generations
        row.invalid_output_rate = _share(invalid, generations)
        row.reask_rate = _share(reasked, generations)
        row.language_mismatch_rate = _share(mismatched, generations)
    for key, (rated, rating_sum, thumbs, down) in ratings.items():
        row = rows[key]
        row.ratings = rated
        row.mean_rating = round(rating_sum / rated, 2) if rated else None
        row.thumbs = thumbs
        row.thumbs_down_share = _share(down, thumbs) if thumbs else None
    return rows


async def _rows(sessions: async_sessionmaker[AsyncSession], query: Select[Any]) -> list[Any]:
    async with sessions() as session:
        return list(await session.execute(query))


def _archived_days(since: datetime | None) -> Select[Any]:
    """The summaries of archived generations (by whole UTC days when `since` is given)."""
    query = select(QualityDay)
    if since is not None:
        query = query.where(QualityDay.day >= since.astimezone(UTC).date())
    return query


def _key(found: Any) -> Key:
    return (str(found[0]), str(found[1]), str(found[2]), str(found[3]))


def _share(part: int | None, whole: int) -> float:
    return round((part or 0) / whole, 4) if whole else 0.0


def feedback_per_generation(since: datetime | None) -> Subquery:
    """Per generation: its ratings (count and sum) and thumbs (all, and down), from the
    feedback given on it or on the item saved from it."""
    generation = func.coalesce(Feedback.generation_id, SavedContent.generation_id)
    thumb = Feedback.context_details["thumb"].as_string()
    query = (
        select(
            generation.label("generation_id"),
            func.count(Feedback.rating).label("rated"),
            func.sum(Feedback.rating).label("rating_sum"),
            _count(thumb.in_(("up", "down"))).label("thumbs"),
            _count(thumb == "down").label("down"),
        )
        .select_from(Feedback)
        .outerjoin(SavedContent, SavedContent.saved_content_id == Feedback.related_saved_content_id)
        .where(generation.is_not(None))
        .group_by(generation)
    )
    if since is not None:
        query = query.where(Feedback.timestamp >= since)
    return query.subquery()


def low_rated_feedback(since: datetime | None = None) -> Select[*tuple[Any, ...]]:
    """Comments with a low rating or a thumbs down: generation_id, text, timestamp,
    feedback_id."""
    generation = func.coalesce(Feedback.generation_id, SavedContent.generation_id)
    thumb = Feedback.context_details["thumb"].as_string()
    low = (
        select(
            generation.label("generation_id"),
            Feedback.feedback_text.label("text"),
            Feedback.timestamp,
            Feedback.feedback_id,
        )
        .select_from(Feedback)
        .outerjoin(SavedContent, SavedContent.saved_content_id == Feedback.related_saved_content_id)
        .where(
            or_(Feedback.rating <= LOW_RATING, thumb == "down"),
            func.length(func.trim(Feedback.feedback_text)) > 0,
            Feedback.feedback_text.not_in(("thumbs down",)),
        )
    )
    if since is not None:
        low = low.where(Feedback.timestamp >= since)
    return low


def _low_rated_comments(since: datetime | None) -> Select[*tuple[Any, ...]]:
    """The latest comments with a low rating or a thumbs down, a few per group: the few
    such comments first, then their generations' output entries by index."""
    comments = low_rated_feedback(since).subquery()
    columns = _group_columns()
    latest = func.row_number().over(
        partition_by=columns, order_by=(comments.c.timestamp.desc(), comments.c.feedback_id.desc())
    )
    ranked = (
        select(
            *[column.label(f"key{i}") for i, column in enumerate(columns)],
            comments.c.text,
            comments.c.timestamp,
            comments.c.feedback_id,
            comments.c.generation_id,
            latest.label("rank"),
        )
        .select_from(comments)
        .join(
            ActivityLog,
            and_(
                ActivityLog.generation_id == comments.c.generation_id,
                ActivityLog.event == LogEvent.output.value,
            ),
        )
        .subquery()
    )
    keys = [ranked.c[f"key{i}"] for i in range(len(columns))]
    return (
        select(
            *keys, ranked.c.text, ranked.c.timestamp, ranked.c.feedback_id, ranked.c.generation_id
        )
        .where(ranked.c.rank <= COMMENTS)
        .order_by(*keys, ranked.c.rank)
    )


CSV_COLUMNS = [
    "content_type",
    "target_language",
    "model",
    "prompt_version",
    "generations",
    "invalid_output_rate",
    "reask_rate",
    "language_mismatch_rate",
    "errors",
    "ratings",
    "mean_rating",
    "thumbs",
    "thumbs_down_share",
    "low_rated_comments",
]


def as_json(rows: list[QualityRow]) -> str:
    return json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=2)


def _cell(value: Any) -> Any:
    """Text that a spreadsheet shows as text (a comment may start with `=`)."""
    if value is None:
        return ""
    return csv_cell(plain_text(value)) if isinstance(value, str) else value


def as_csv(rows: list[QualityRow]) -> str:
    """A row per group; errors as `kind=count; ...`, comments joined by ` | `."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = row.as_dict()
        values["errors"] = "; ".join(
            f"{kind}={count}" for kind, count in sorted(row.errors.items())
        )
        values["low_rated_comments"] = " | ".join(row.low_rated_comments)
        writer.writerow([_cell(values[name]) for name in CSV_COLUMNS])
    return out.getvalue()
