"""Templates and what they are given: the CSRF token, language lists, the progress chart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from langtutor.accounts.security import (
    CSRF_FIELD,
    csrf_basis,
    csrf_token_for,
    new_csrf_basis,
    set_csrf_cookie,
)
from langtutor.activity.schemas import Progress
from langtutor.config import Settings
from langtutor.enums import ContentType, Level
from langtutor.languages import (
    LEVEL_DESCRIPTIONS,
    UnknownLanguageError,
    language_name,
    normalize_language,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# Offered in the searchable lists; any other language is accepted by name or code.
COMMON_LANGUAGES = (
    "af ar bg bn ca cs cy da de el en eo es et eu fa fi fr ga gl he hi hr hu hy id is it ja ka "
    "kk ko la lt lv mk ms mt nb nl pa pl pt ro ru sk sl sq sr sv sw ta te th tl tr uk ur uz vi "
    "yo zh zh-Hant zu"
).split()

CONTENT_LABELS = {
    ContentType.flashcards: "Flashcards",
    ContentType.exercises: "Exercises",
    ContentType.simulation: "Role-play simulation",
}


@cache
def language_choices() -> list[tuple[str, str]]:
    return sorted(((code, language_name(code)) for code in COMMON_LANGUAGES), key=lambda c: c[1])


def level_choices() -> list[tuple[str, str]]:
    return [(level.value, LEVEL_DESCRIPTIONS[level]) for level in Level]


def display_language(value: str | None) -> str:
    """A stored code as its name ('es' -> 'Spanish'); what a learner typed, as typed."""
    if not value:
        return ""
    try:
        return language_name(value) if normalize_language(value) == value else value
    except UnknownLanguageError:
        return value


templates.env.globals.update(
    language_choices=language_choices,
    level_choices=level_choices,
    content_labels=CONTENT_LABELS,
    csrf_field=CSRF_FIELD,
)
templates.env.filters["language"] = display_language


def render(
    request: Request,
    template: str,
    *,
    settings: Settings,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page or fragment, with the CSRF token its forms need (and its cookie, first time)."""
    basis = csrf_basis(request)
    fresh = basis is None
    if basis is None:
        basis = new_csrf_basis()
    context.setdefault("user", None)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "csrf_token": csrf_token_for(basis, settings.SECRET_KEY),
            "provider_configured": settings.LLM_PROVIDER != "none",
            **context,
        },
        status_code=status_code,
        headers=headers,
    )
    if fresh:
        set_csrf_cookie(response, basis, settings)
    return response


def content_json(content: dict[str, Any]) -> str:
    """The content as it is posted back to be saved (escaped by the template)."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    kind: str
    count: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    top: int
    bars: list[Bar]
    labels: list[tuple[float, str]]
    ticks: list[tuple[float, int]]
    bar_width: float
    summary: str


def activity_chart(progress: Progress, width: int = 640, height: int = 220) -> Chart:
    """Stacked bars of generations per day and content type, laid out for an SVG."""
    left, right, bottom, top = 32, 24, 24, 8
    days = progress.per_day
    slot = (width - left - right) / max(1, len(days))
    bar_width = max(1.0, slot * 0.7)
    totals = [day.flashcards + day.exercises + day.simulation for day in days]
    peak = max([*totals, 1])
    scale = (height - bottom - top) / peak
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    every = max(1, len(days) // 6)
    for index, day in enumerate(days):
        x = left + index * slot + (slot - bar_width) / 2
        y = float(height - bottom)
        for kind in ContentType:
            count = getattr(day, kind.value)
            if count:
                y -= count * scale
                bars.append(Bar(x, y, count * scale, kind.value, count))
        if index % every == 0 or index == len(days) - 1:
            labels.append((x + bar_width / 2, day.date.strftime("%d %b")))
    ticks = sorted({0, peak // 2, peak})
    busiest = max(range(len(days)), key=totals.__getitem__) if days else None
    summary = f"{sum(totals)} generations in {len(days)} days"
    if busiest is not None and totals[busiest]:
        summary += f"; busiest day {days[busiest].date.isoformat()} with {totals[busiest]}"
    return Chart(
        width=width,
        height=height,
        top=top,
        bars=bars,
        labels=labels,
        ticks=[(height - bottom - tick * scale, tick) for tick in ticks],
        bar_width=bar_width,
        summary=summary,
    )
