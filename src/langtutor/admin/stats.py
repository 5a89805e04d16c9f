"""`AdminStats`, the service object of the console's figures: model health, usage and the
quality report (`langtutor.reports`, the one `langtutor report quality` prints).

Settled days (see `figures.settled`) are read from the log once per process and kept; the
days still open (today, and yesterday for a quarter of an hour after midnight UTC), the
last 24 hours and the current week are read again when what was read is older than
`cache_s` seconds (`LANGTUTOR_ADMIN_FIGURES_CACHE_S`). A page of the console thus reads a
day or two of the log, whatever its size."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from langtutor import reports
from langtutor.accounts.learner import Learner
from langtutor.admin.figures import (
    days_between,
    forget_old,
    merged,
    percentile,
    settled,
    start_of,
)
from langtutor.admin.generations import GenerationView, read_generation
from langtutor.admin.health import (
    HealthReport,
    Tallies,
    Tally,
    all_models,
    health_rows,
    read_ends,
    summed,
)
from langtutor.admin.usage import (
    DayFigures,
    DayModels,
    DayUsage,
    Stats,
    WeekFigures,
    read_days,
    read_learners,
)
from langtutor.classes.service import class_counts
from langtutor.db import Database
from langtutor.errors import Forbidden

T = TypeVar("T")
HEALTH_DAYS = 30
DAY = timedelta(days=1)


def _operator(learner: Learner) -> None:
    if not learner.is_admin:
        raise Forbidden("only the server's operators may do this")


@dataclass
class _Live:
    """What was read of the open days, and when."""

    read_at: datetime
    key: tuple[Any, ...]
    value: Any


@dataclass
class AdminStats:
    db: Database
    cache_s: float = 60.0
    _health: dict[date, Tallies] = field(default_factory=dict)
    _usage: dict[date, DayUsage] = field(default_factory=dict)
    _weeks: dict[date, int] = field(default_factory=dict)
    _live: dict[str, _Live] = field(default_factory=dict)
    # Of settled days and periods: every model's tally and figures per day, sums.
    _totals: dict[date, Tally] = field(default_factory=dict)
    _day_figures: dict[date, DayModels] = field(default_factory=dict)
    _sums: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def health(self, learner: Learner, *, now: datetime) -> HealthReport:
        """Per provider and model, over the last 24 hours and the last 30 days."""
        _operator(learner)
        today = now.astimezone(UTC).date()
        async with self._lock:
            days, recent = await self._health_days(today - (HEALTH_DAYS - 1) * DAY, now)
        closed = [day for day in days if settled(day, now)]
        kept: Tallies = (
            self._memo(("health", closed[0], closed[-1]), lambda: summed([days[d] for d in closed]))
            if closed
            else {}
        )
        opened = [days[day] for day in days if not settled(day, now)]
        return HealthReport(
            last_24_hours=health_rows(recent),
            last_30_days=health_rows(summed([kept, *opened])),
            computed_at=now,
        )

    async def stats(self, learner: Learner, *, days: int, now: datetime) -> Stats:
        """Usage and model figures per UTC day over the last `days` days, today included."""
        _operator(learner)
        today = now.astimezone(UTC).date()
        first = today - (days - 1) * DAY
        async with self._lock:
            health, _ = await self._health_days(first, now)
            usage = await self._usage_days(first, now)
            weeks = await self._active_per_week(first, now)
        classes, members, assignments = await class_counts(self.db)
        per_day = []
        for day in days_between(first, today):
            model, used = (
                self._day_models(day, health.get(day, {}), now),
                usage.get(day, DayUsage()),
            )
            per_day.append(
                DayFigures(
                    date=day,
                    active_learners=used.active_learners,
                    answers=used.answers,
                    reviews=used.reviews,
                    **model.model_dump(),
                )
            )
        closed = [day for day in health if settled(day, now)]
        latencies = merged(
            [
                self._memo(
                    ("latency", closed[0], closed[-1]),
                    lambda: merged(self._totals[day].latencies for day in closed),
                )
                if closed
                else Counter(),
                *(all_models(health[day]).latencies for day in health if not settled(day, now)),
            ]
        )
        return _stats(days, per_day, weeks, latencies, now).model_copy(
            update={
                "classes": classes,
                "class_members": members,
                "class_assignments": assignments,
            }
        )

    def _day_models(self, day: date, tallies: Tallies, now: datetime) -> DayModels:
        """A day's generations, errors and latency over every model (kept once settled)."""
        if settled(day, now) and day in self._totals:
            return self._day_figures[day]
        total = all_models(tallies)
        figures = DayModels(
            generations=total.generations,
            model_errors=total.errors,
            latency_p50_ms=percentile(total.latencies, 0.5),
            latency_p95_ms=percentile(total.latencies, 0.95),
        )
        if settled(day, now):
            self._totals[day], self._day_figures[day] = total, figures
            forget_old(self._totals)
            forget_old(self._day_figures)
        return figures

    def _memo(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """A sum over settled days, made once per period."""
        if key not in self._sums:
            if len(self._sums) > 32:
                self._sums.clear()
            self._sums[key] = make()
        value: T = self._sums[key]
        return value

    async def quality(
        self, learner: Learner, *, days: int | None, now: datetime
    ) -> list[reports.QualityRow]:
        """The quality report (every generation, or those of the last `days` days)."""
        _operator(learner)
        since = now - days * DAY if days else None
        return await reports.quality_report(self.db.sessions, since)

    async def generation(self, learner: Learner, *, generation_id: uuid.UUID) -> GenerationView:
        """Any learner's generation: what was asked and answered (404 for an unknown id)."""
        _operator(learner)
        async with self.db.connection() as connection:
            return await read_generation(connection, generation_id)

    async def quality_csv(self, learner: Learner, *, days: int | None, now: datetime) -> str:
        """The quality report as `langtutor report quality --format csv` writes it."""
        return reports.as_csv(await self.quality(learner, days=days, now=now))

    # -- the days, settled and open ----------------------------------------------------------

    def _fresh(self, name: str, key: tuple[Any, ...], now: datetime) -> Any:
        live = self._live.get(name)
        if live is None or live.key != key or not 0 <= (now - live.read_at).total_seconds():
            return None
        return live.value if (now - live.read_at).total_seconds() < self.cache_s else None

    async def _settled_days(
        self,
        kept: dict[date, T],
        wanted: list[date],
        now: datetime,
        read: Callable[[datetime, datetime], Awaitable[dict[date, T]]],
        empty: T,
    ) -> None:
        """The settled days not read yet, read in one pass and kept."""
        missing = [day for day in wanted if settled(day, now) and day not in kept]
        if missing:
            found = await read(start_of(missing[0]), start_of(missing[-1]) + DAY)
            for day in missing:
                kept[day] = found.get(day, empty)
            forget_old(kept)

    async def _health_days(self, first: date, now: datetime) -> tuple[dict[date, Tallies], Tallies]:
        """Each day's tallies from `first` to today, and the last 24 hours'."""
        wanted = days_between(first, now.astimezone(UTC).date())
        open_days = [day for day in wanted if not settled(day, now)]
        dialect = self.db.dialect
        async with self.db.connection() as connection:

            async def read(start: datetime, end: datetime) -> dict[date, Tallies]:
                return (await read_ends(connection, dialect, start, end, end))[0]

            await self._settled_days(self._health, wanted, now, read, {})
            key = (open_days[0],)
            live = self._fresh("health", key, now)
            if live is None:
                recent = now - DAY
                start = min(start_of(open_days[0]), recent)
                live = await read_ends(connection, dialect, start, now + DAY, recent)
                self._live["health"] = _Live(now, key, live)
        open_tallies, recent_tallies = live
        days = {day: self._health[day] for day in wanted if day in self._health}
        return days | {day: open_tallies.get(day, {}) for day in open_days}, recent_tallies

    async def _usage_days(self, first: date, now: datetime) -> dict[date, DayUsage]:
        wanted = days_between(first, now.astimezone(UTC).date())
        open_days = [day for day in wanted if not settled(day, now)]
        dialect = self.db.dialect
        async with self.db.connection() as connection:

            async def read(start: datetime, end: datetime) -> dict[date, DayUsage]:
                return await read_days(connection, dialect, start, end)

            await self._settled_days(self._usage, wanted, now, read, DayUsage())
            key = (open_days[0],)
            live = self._fresh("usage", key, now)
            if live is None:
                live = await read(start_of(open_days[0]), now + DAY)
                self._live["usage"] = _Live(now, key, live)
        days = {day: self._usage[day] for day in wanted if day in self._usage}
        return days | {day: live.get(day, DayUsage()) for day in open_days}

    async def _active_per_week(self, first: date, now: datetime) -> list[WeekFigures]:
        """Learners active per week (from Monday, UTC) over the weeks the period touches."""
        today = now.astimezone(UTC).date()
        mondays = days_between(first - first.weekday() * DAY, today)[::7]
        dialect = self.db.dialect
        found: dict[date, int] = {}
        async with self.db.connection() as connection:
            for monday in mondays:
                week_settled = settled(monday + 6 * DAY, now)
                if week_settled and monday in self._weeks:
                    found[monday] = self._weeks[monday]
                    continue
                live = None if week_settled else self._fresh(f"week {monday}", (monday,), now)
                if live is None:
                    end = start_of(monday) + 7 * DAY
                    live = await read_learners(connection, dialect, start_of(monday), end)
                    if week_settled:
                        self._weeks[monday] = live
                    else:
                        self._live[f"week {monday}"] = _Live(now, (monday,), live)
                found[monday] = live
        return [WeekFigures(week_start=monday, active_learners=found[monday]) for monday in mondays]


def _stats(
    days: int,
    per_day: list[DayFigures],
    weeks: list[WeekFigures],
    latencies: Counter[int],
    now: datetime,
) -> Stats:
    return Stats(
        days=days,
        per_day=per_day,
        per_week=weeks,
        generations=sum(day.generations for day in per_day),
        answers=sum(day.answers for day in per_day),
        reviews=sum(day.reviews for day in per_day),
        model_errors=sum(day.model_errors for day in per_day),
        latency_p50_ms=percentile(latencies, 0.5),
        latency_p95_ms=percentile(latencies, 0.95),
        computed_at=now,
    )
