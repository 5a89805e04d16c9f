"""Model health from the activity log: per provider and model, the generations (every
logged ask of the model that ended: an `output`, `explain` or `error` entry), the errors
among them, the provider's 429s (`rate_limited`), the re-asks for content in the wrong
language, and the latency p50 and p95. The same events as the Prometheus metrics
`langtutor_generations`, `langtutor_generation_quality` and `langtutor_generation_seconds`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from langtutor.activity.models import ActivityLog
from langtutor.admin.figures import merged, percentile
from langtutor.db import as_date, utc_day
from langtutor.enums import LogEvent

ENDS = (LogEvent.output.value, LogEvent.explain.value, LogEvent.error.value)
RATE_LIMITED = "rate_limited"
WRONG_LANGUAGE = "wrong_language"

ModelKey = tuple[str, str]  # provider, model


@dataclass
class Tally:
    """One provider and model's sums over some entries; latencies in milliseconds, to three
    significant figures (within 1%), counted."""

    generations: int = 0
    errors: int = 0
    rate_limited: int = 0
    language_reasks: int = 0
    latencies: Counter[int] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.generations += other.generations
        self.errors += other.errors
        self.rate_limited += other.rate_limited
        self.language_reasks += other.language_reasks
        self.latencies.update(other.latencies)


Tallies = dict[ModelKey, Tally]


class ModelHealth(BaseModel):
    provider: str
    model: str
    generations: int
    errors: int
    error_rate: float
    rate_limited: int
    language_reasks: int
    latency_p50_ms: int | None
    latency_p95_ms: int | None


class HealthReport(BaseModel):
    """Model health over the last 24 hours and the last 30 days (today included), per
    provider and model, the busiest first."""

    last_24_hours: list[ModelHealth]
    last_30_days: list[ModelHealth]
    computed_at: datetime


def _metadata(name: str) -> ColumnElement[str]:
    return ActivityLog.response_metadata[name].as_string()


def _quantized(latency: ColumnElement[int]) -> ColumnElement[int]:
    """Milliseconds to three significant figures: a few thousand values a day at most."""
    return case(
        (latency < 1000, latency),
        (latency < 10_000, latency // 10 * 10),
        (latency < 100_000, latency // 100 * 100),
        else_=latency // 1000 * 1000,
    )


def ends_by_day(dialect: str, start: datetime, end: datetime, recent: datetime) -> Select[Any]:
    """The generations that ended in [start, end), grouped by UTC day, whether they ended
    since `recent`, provider, model, error kind, language re-ask and latency."""
    error = func.coalesce(_metadata("error"), "")
    mismatch = ActivityLog.response_metadata[("quality", "language_mismatch")].as_boolean()
    language = case((or_(mismatch.is_(True), error == WRONG_LANGUAGE), 1), else_=0)
    columns = [
        utc_day(ActivityLog.timestamp, dialect),
        case((ActivityLog.timestamp >= recent, 1), else_=0),
        func.coalesce(_metadata("provider"), "none"),
        func.coalesce(_metadata("model"), "none"),
        error,
        language,
        _quantized(ActivityLog.response_metadata["latency_ms"].as_integer()),
    ]
    return (
        select(*columns, func.count())
        .where(
            or_(*(ActivityLog.event == event for event in ENDS)),
            and_(ActivityLog.timestamp >= start, ActivityLog.timestamp < end),
        )
        .group_by(*columns)
    )


async def read_ends(
    connection: AsyncConnection, dialect: str, start: datetime, end: datetime, recent: datetime
) -> tuple[dict[date, Tallies], Tallies]:
    """The tallies per UTC day of [start, end), and those since `recent`."""
    days: dict[date, Tallies] = {}
    since: Tallies = {}
    found = await connection.execute(ends_by_day(dialect, start, end, recent))
    for day, is_recent, provider, model, error, language, latency, count in found:
        tally = Tally(
            generations=count,
            errors=count if error else 0,
            rate_limited=count if error == RATE_LIMITED else 0,
            language_reasks=count * language,
            latencies=Counter({int(latency): count}) if latency is not None else Counter(),
        )
        key = (str(provider), str(model))
        days.setdefault(as_date(day), {}).setdefault(key, Tally()).add(tally)
        if is_recent:
            since.setdefault(key, Tally()).add(tally)
    return days, since


def summed(tallies: list[Tallies]) -> Tallies:
    total: Tallies = {}
    for each in tallies:
        for key, tally in each.items():
            total.setdefault(key, Tally()).add(tally)
    return total


def health_rows(tallies: Tallies) -> list[ModelHealth]:
    """Per provider and model, the busiest first."""
    rows = [
        ModelHealth(
            provider=provider,
            model=model,
            generations=tally.generations,
            errors=tally.errors,
            error_rate=round(tally.errors / tally.generations, 4) if tally.generations else 0.0,
            rate_limited=tally.rate_limited,
            language_reasks=tally.language_reasks,
            latency_p50_ms=percentile(tally.latencies, 0.5),
            latency_p95_ms=percentile(tally.latencies, 0.95),
        )
        for (provider, model), tally in tallies.items()
    ]
    return sorted(rows, key=lambda row: (-row.generations, row.provider, row.model))


def all_models(tallies: Tallies) -> Tally:
    """One tally of every provider and model (a day's, for the usage figures)."""
    total = Tally(latencies=merged(tally.latencies for tally in tallies.values()))
    for tally in tallies.values():
        total.generations += tally.generations
        total.errors += tally.errors
        total.rate_limited += tally.rate_limited
        total.language_reasks += tally.language_reasks
    return total
