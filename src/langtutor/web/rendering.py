"""Templates and what they are given: the CSRF token, language lists, the progress chart."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from langtutor.accounts.security import (
    CSRF_FIELD,
    csrf_basis,
    csrf_token_for,
    new_csrf_basis,
    session_cookie,
    set_csrf_cookie,
)
from langtutor.activity.schemas import Progress
from langtutor.config import Settings
from langtutor.enums import ContentType, Level
from langtutor.generation.schemas import learner_role
from langtutor.languages import (
    UnknownLanguageError,
    normalize_language,
)
from langtutor.speech.service import has_voice
from langtutor.web import i18n
from langtutor.web.forms import in_form_order
from langtutor.web.i18n import N_, gettext, ngettext

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# Offered in the searchable lists; any other language is accepted by name or code.
COMMON_LANGUAGES = (
    "af ar bg bn ca cs cy da de el en eo es et eu fa fi fr ga gl he hi hr hu hy id is it ja ka "
    "kk ko la lt lv mk ms mt nb nl pa pl pt ro ru sk sl sq sr sv sw ta te th tl tr uk ur uz vi "
    "yo zh zh-Hant zu"
).split()


class Labels(Mapping[Any, str]):
    """Labels marked with `N_`, read in the page's language (`labels[key]`, `.items()`, ...)."""

    def __init__(self, labels: dict[Any, str]) -> None:
        self._labels = labels

    def __getitem__(self, key: Any) -> str:
        return i18n.gettext(self._labels[key])

    def __iter__(self) -> Iterator[Any]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


CONTENT_LABELS = Labels(
    {
        ContentType.flashcards: N_("Flashcards"),
        ContentType.exercises: N_("Exercises"),
        ContentType.simulation: N_("Role-play simulation"),
    }
)
# The CEFR levels as the pages describe them (the model's instructions keep their own words,
# `langtutor.languages.LEVEL_DESCRIPTIONS`).
LEVEL_DESCRIPTIONS = Labels(
    {
        Level.A1: N_(
            "Breakthrough: understands and uses familiar everyday expressions and basic phrases."
        ),
        Level.A2: N_(
            "Waystage: handles simple, routine exchanges on familiar topics in short sentences."
        ),
        Level.B1: N_(
            "Threshold: deals with most travel situations and describes experiences and plans."
        ),
        Level.B2: N_(
            "Vantage: interacts with fluency on a wide range of topics, including abstract ones."
        ),
        Level.C1: N_("Effective proficiency: flexible language for social, academic and work use."),
        Level.C2: N_("Mastery: understands virtually everything and expresses nuance precisely."),
    }
)
EXERCISE_TYPES = {
    "multiple_choice": N_("Multiple choice"),
    "fill_in_the_blank": N_("Fill in the blank"),
    "translation": N_("Translation"),
}


@cache
def _language_choices(interface: str) -> list[tuple[str, str]]:
    names = ((code, i18n.language_name(code, interface)) for code in COMMON_LANGUAGES)
    # An entry of a list begins with a capital ('espagnol' -> 'Espagnol').
    listed = ((code, name[:1].upper() + name[1:]) for code, name in names)
    return sorted(listed, key=lambda choice: choice[1].casefold())


def language_choices() -> list[tuple[str, str]]:
    """The common languages by their names in the interface's language, in that order (a
    name in any language is understood when sent back)."""
    return _language_choices(i18n.current().tag)


def level_choices() -> list[tuple[str, str]]:
    return [(level.value, LEVEL_DESCRIPTIONS[level]) for level in Level]


def display_language(value: str | None) -> str:
    """A stored code as its name in the interface's language ('es' -> 'Spanish', 'Spanisch');
    what a learner typed, as typed."""
    if not value:
        return ""
    try:
        known = normalize_language(value) == value
    except UnknownLanguageError:
        return value
    return i18n.language_name(value, i18n.current().tag) if known else value


def exercise_type(kind: str) -> str:
    """An exercise's type as its heading names it ("fill_in_the_blank" -> "Fill in the
    blank"), in the interface's language."""
    label = EXERCISE_TYPES.get(kind)
    return gettext(label) if label else kind.replace("_", " ").capitalize()


def exercise_view(view: str) -> str:
    """How a set of exercises is shown: one at a time ("steps"), or all on one page ("list",
    to print)."""
    return "list" if view == "list" else "steps"


templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
)
templates.env.globals.update(
    language_choices=language_choices,
    level_choices=level_choices,
    content_labels=CONTENT_LABELS,
    csrf_field=CSRF_FIELD,
    learner_role=learner_role,
    interface_choices=i18n.choices,
    plural_samples=i18n.plural_samples,
)
templates.env.filters["language"] = display_language
# Each of a list of messages in the page's language (the syllabus' vocabulary and grammar).
templates.env.filters["translated"] = lambda messages: [gettext(m) for m in messages]


@cache
def _script_messages(interface: str) -> Markup:
    return Markup(templates.env.get_template("_script_messages.html").render())


def script_messages() -> Markup:
    """The page script's messages (a JSON block, every plural form of the language): the same
    on every page of a language, so rendered once per language and process."""
    return _script_messages(i18n.current().tag)


templates.env.globals["script_messages"] = script_messages
templates.env.filters.update(
    exercise_type=exercise_type,
    short_date=i18n.short_date,
    long_date=i18n.long_date,
    moment=i18n.moment,
    number=i18n.number,
)


_EMPHASIS = re.compile(r"\*([^*\n]+)\*")


def emphasis(text: str | None) -> Markup:
    """Feedback text with its *words* in italics; everything else escaped."""
    return Markup(_EMPHASIS.sub(r"<em>\1</em>", str(escape(text or ""))))


templates.env.filters["emphasis"] = emphasis


def can_speak(settings: Settings, language: str | None) -> bool:
    """Whether the page offers audio in this language (a voice exists, speech is on)."""
    if settings.TTS_PROVIDER == "none" or not language:
        return False
    return has_voice(language)


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
    basis = csrf_basis(request, settings)
    fresh = basis is None
    if basis is None:
        basis = new_csrf_basis()
    context.setdefault("user", None)
    fields = getattr(request.state, "form_fields", None)
    if context.get("errors") and fields:
        context["errors"] = in_form_order(context["errors"], fields)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "csrf_token": csrf_token_for(basis, settings.SECRET_KEY),
            "provider_configured": settings.LLM_PROVIDER != "none",
            "can_speak": lambda language: can_speak(settings, language),
            # Learners may speak (microphone, "Say it"): a transcription server is set.
            "can_record": settings.STT_PROVIDER != "none",
            # The sign-up form, unless the server takes none (an operator's first account
            # aside); the pages that show it pass the policy in force (an operator's).
            "registration": "open" if settings.FIRST_USER_ADMIN else settings.REGISTRATION,
            "has_session": session_cookie(request, settings) is not None,
            "interface": i18n.current(),
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
    left: float  # where the bars begin: the counts stand to its left
    bars: list[Bar]
    labels: list[tuple[float, str, bool]]  # x, text, and whether a phone leaves it out
    ticks: list[tuple[float, int]]
    bar_width: float
    summary: str


# A date label ("3 Dec" in English) is about 3.6 font sizes wide. The axis text is 11 units of the
# SVG's own on a wide screen; on a phone, where a chart is drawn about 336 px wide, it is
# sized per chart width (app.css, `.bars-640` and `.bars-360`) to show about 12.5 px.
AXIS_FONT, LABEL_GAP = 11, 10
PHONE_FONTS = {640: 24, 360: 14}


def label_width(font: float) -> float:
    return 3.6 * font


def fits(middle: float, font: float, start: float, end: float) -> bool:
    """A label centred there stays between `start` and `end`."""
    return start + label_width(font) / 2 <= middle <= end - label_width(font) / 2


def label_steps(slot: float, phone_font: float) -> tuple[int, int]:
    """Every how many days a date is labelled so that labels never overlap: on a wide screen,
    and on a phone (a multiple of the first: its labels are some of the same)."""
    every = max(1, math.ceil((label_width(AXIS_FONT) + LABEL_GAP) / slot))
    phone = max(1, math.ceil((label_width(phone_font) + LABEL_GAP) / (slot * every)))
    return every, every * phone


def chart_summary(kind: str, days: int, total: int, busiest: tuple[date, int] | None) -> str:
    """What a chart shows, in whole sentences for a screen reader: the total over its days,
    then its busiest day (if any). `kind`: "generations", "reviews" or "forecast"."""
    values = {"days": i18n.number(days), "count": i18n.number(total)}
    if kind == "generations":
        summary = ngettext(
            "Generations in the last %(days)s day: %(count)s.",
            "Generations in the last %(days)s days: %(count)s.",
            days,
        )
    elif kind == "reviews":
        summary = ngettext(
            "Reviews in the last %(days)s day: %(count)s.",
            "Reviews in the last %(days)s days: %(count)s.",
            days,
        )
    else:
        summary = ngettext(
            "Cards due in the next %(days)s day: %(count)s.",
            "Cards due in the next %(days)s days: %(count)s.",
            days,
        )
    summary %= values
    if busiest is None:
        return summary
    day, count = busiest
    values = {"date": i18n.long_date(day), "count": i18n.number(count)}
    if kind == "generations":
        most = ngettext(
            "The busiest day was %(date)s, with %(count)s generation.",
            "The busiest day was %(date)s, with %(count)s generations.",
            count,
        )
    elif kind == "reviews":
        most = ngettext(
            "The busiest day was %(date)s, with %(count)s review.",
            "The busiest day was %(date)s, with %(count)s reviews.",
            count,
        )
    else:
        most = ngettext(
            "The busiest day is %(date)s, with %(count)s card due.",
            "The busiest day is %(date)s, with %(count)s cards due.",
            count,
        )
    return f"{summary} {most % values}"


def bar_chart(
    dates: list[date], series: dict[str, list[int]], kind: str, width: int = 640, height: int = 220
) -> Chart:
    """Bars per day, one stacked segment per series (in order), laid out for an SVG; `kind`
    says what they count, for the summary (`chart_summary`)."""
    phone_font = PHONE_FONTS[width]
    # Room for a count of three digits and a date label at a phone's size.
    left, right, bottom, top = 12 + 1.7 * phone_font, 24, 10 + phone_font, 4 + phone_font / 2
    slot = (width - left - right) / max(1, len(dates))
    bar_width = max(1.0, slot * 0.7)
    totals = [sum(values[index] for values in series.values()) for index in range(len(dates))]
    peak = max([*totals, 1])
    scale = (height - bottom - top) / peak
    bars: list[Bar] = []
    labels: list[tuple[float, str, bool]] = []
    every, every_phone = label_steps(slot, phone_font)
    for index, day in enumerate(dates):
        x = left + index * slot + (slot - bar_width) / 2
        y = float(height - bottom)
        for kind, values in series.items():
            if count := values[index]:
                y -= count * scale
                bars.append(Bar(x, y, count * scale, kind, count))
        middle = x + bar_width / 2
        if index % every == 0 and fits(middle, AXIS_FONT, 0, width):
            # On a phone the labels are as tall as the gap to the axis: none under the counts.
            fits_phone = fits(middle, phone_font, left - 6, width)
            minor = index % every_phone != 0 or not fits_phone
            labels.append((middle, i18n.short_date(day), minor))
    ticks = sorted({0, peak // 2, peak})
    busiest = max(range(len(dates)), key=totals.__getitem__) if dates else None
    most = (dates[busiest], totals[busiest]) if busiest is not None and totals[busiest] else None
    summary = chart_summary(kind, len(dates), sum(totals), most)
    return Chart(
        width=width,
        height=height,
        top=round(top),
        left=left,
        bars=bars,
        labels=labels,
        ticks=[(height - bottom - tick * scale, tick) for tick in ticks],
        bar_width=bar_width,
        summary=summary,
    )


def activity_chart(progress: Progress) -> Chart:
    """Stacked bars of generations per day and content type."""
    days = progress.per_day
    series = {kind.value: [getattr(day, kind.value) for day in days] for kind in ContentType}
    return bar_chart([day.date for day in days], series, "generations")


def day_chart(counts: list[tuple[date, int]], kind: str) -> Chart:
    """One count per day: reviews done (`kind` "reviews"), cards falling due ("forecast")."""
    # Drawn half as wide: it sits in a column, and its labels must stay readable there.
    return bar_chart([day for day, _ in counts], {kind: [n for _, n in counts]}, kind, width=360)
