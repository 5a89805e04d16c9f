"""The operator's console's figures as pages: model health, the quality report (its CSV is
the API's `/admin/quality?format=csv`), usage with charts drawn by the server like
Progress's, and one generation as an operator sees it. Operators only (a 403 page)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from langtutor.admin.usage import DayFigures, Stats
from langtutor.deps import AdminStatsDep, NowDep, SettingsDep
from langtutor.routing import JSONRoute
from langtutor.web import i18n
from langtutor.web.deps import PageOperator
from langtutor.web.i18n import gettext
from langtutor.web.rendering import Chart, bar_chart, render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
PERIODS = (7, 30, 90)
# Each chart: the figure it draws, and the colour of the bars (one of Progress's).
CHARTS = {
    "active_learners": "forecast",
    "generations": "flashcards",
    "answers": "exercises",
    "reviews": "reviews",
}
Days = Annotated[int, Query(ge=1, le=366)]


@router.get("/app/admin/health")
async def health_page(
    request: Request,
    operator: PageOperator,
    stats: AdminStatsDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """Per provider and model, over the last 24 hours and 30 days."""
    report = await stats.health(operator, now=now)
    return render(
        request, "admin/health.html", settings=settings, user=operator, report=report, count=count
    )


@router.get("/app/admin/quality")
async def quality_page(
    request: Request,
    operator: PageOperator,
    stats: AdminStatsDep,
    settings: SettingsDep,
    now: NowDep,
    days: Annotated[int, Query(ge=0, le=3660)] = 0,
) -> Response:
    """The quality report as a table (all time, or the last `days` days), with its CSV a
    click away."""
    rows = await stats.quality(operator, days=days or None, now=now)
    return render(
        request,
        "admin/quality.html",
        settings=settings,
        user=operator,
        rows=rows,
        days=days,
        periods=PERIODS,
    )


@router.get("/app/admin/generations/{generation_id}")
async def generation_page(
    request: Request,
    operator: PageOperator,
    stats: AdminStatsDep,
    settings: SettingsDep,
    generation_id: uuid.UUID,
) -> Response:
    """What was asked and what the model answered, whoever asked."""
    shown = await stats.generation(operator, generation_id=generation_id)
    return render(
        request,
        "admin/generation.html",
        settings=settings,
        user=operator,
        generation=shown,
        content=json.dumps(shown.content, ensure_ascii=False, indent=2),
    )


@router.get("/app/admin/usage")
async def usage_page(
    request: Request,
    operator: PageOperator,
    stats: AdminStatsDep,
    settings: SettingsDep,
    now: NowDep,
    days: Days = 30,
) -> Response:
    """Learners active per day and week, generations, answers and reviews per day."""
    figures = await stats.stats(operator, days=days, now=now)
    charts = {name: usage_chart(figures, name, colour) for name, colour in CHARTS.items()}
    return render(
        request,
        "admin/usage.html",
        settings=settings,
        user=operator,
        stats=figures,
        charts=charts,
        periods=PERIODS,
        count=count,
    )


@lru_cache(maxsize=4096)
def _count(value: int, tag: str) -> str:
    return i18n.number(value)


def count(value: int) -> str:
    """A count in the page's language, formatted once per process (a usage page shows a few
    hundred, most of them the same few)."""
    return _count(value, i18n.current().tag)


def usage_chart(figures: Stats, name: str, colour: str) -> Chart:
    """One figure per day as bars, with what it shows in a sentence for a screen reader."""
    days: list[DayFigures] = figures.per_day
    counts = [int(getattr(day, name)) for day in days]
    chart = bar_chart([day.date for day in days], {colour: counts}, "generations", width=360)
    most = max(range(len(days)), key=counts.__getitem__) if days else None
    if most is None or not counts[most]:
        return replace(chart, summary=gettext("Nothing in this period."))
    values = {"date": i18n.long_date(days[most].date), "count": count(counts[most])}
    return replace(chart, summary=gettext("Busiest day: %(date)s (%(count)s).") % values)
