"""The interface's language: which catalog a page speaks, and the gettext the pages call.

The catalogs are the `.po` files under `locales/` (no compiled file in the repository: each
is compiled in memory the first time a page asks for it). Which one a request gets:

1. a signed-in learner's `interface_language`, else their base language where a catalog
   exists (set by `web.deps.PageLearner`);
2. the `langtutor_lang` cookie (the switch in the footer of signed-out pages);
3. `Accept-Language`, the closest catalog of each language the browser names, in its order;
4. English.

The current interface lives in a context variable for the request, so `gettext` in page code
and `_()` in templates read the same catalog without passing it around. The JSON API stays
English: only pages call these.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

import langcodes
from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from babel.units import format_unit
from langcodes.tag_parser import LanguageTagError
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from langtutor.languages import INTERFACE_LANGUAGES

LOCALES = Path(__file__).parent / "locales"
SOURCE_LANGUAGE = "en"
DOMAIN = "messages"
# The cookie of the footer's language switch (signed-out pages).
LANGUAGE_COOKIE = "langtutor_lang"
# How far a language may be from a catalog's and still be served it (langcodes' distance:
# es-MX -> es and pt -> pt-BR are 5 and 0; Catalan -> Spanish, 20, is too far).
_CLOSE_ENOUGH = 10


@dataclass(frozen=True)
class Interface:
    """One interface language: its tag (as `<html lang>` says it), CLDR data and catalog."""

    tag: str
    locale: Locale
    translations: stdlib_gettext.NullTranslations

    @property
    def direction(self) -> str:
        return "rtl" if self.locale.character_order == "right-to-left" else "ltr"

    @property
    def name(self) -> str:
        """The language's name in itself ("Deutsch", "العربية"), as the switch offers it."""
        return (self.locale.get_display_name(self.locale) or self.tag).capitalize()


def catalog_path(tag: str) -> Path:
    return LOCALES / Locale.parse(tag, sep="-").__str__() / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def interface(tag: str) -> Interface:
    """The interface of a supported tag, its catalog compiled (once per process)."""
    locale = Locale.parse(tag, sep="-")
    if tag == SOURCE_LANGUAGE:
        return Interface(tag, locale, stdlib_gettext.NullTranslations())
    with catalog_path(tag).open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries left out: they fall back to English
    compiled.seek(0)
    return Interface(tag, locale, Translations(compiled, domain=DOMAIN))


@cache
def choices() -> tuple[Interface, ...]:
    """Every interface language, by its own name (CLDR's, looked up once per process: the
    footer of every signed-out page and the profile show the list)."""
    return tuple(sorted((interface(tag) for tag in INTERFACE_LANGUAGES), key=_own_name))


def _own_name(chosen: Interface) -> str:
    return chosen.name.casefold()


def supported(language: str | None) -> str | None:
    """The catalog closest to a language tag ("pt" -> "pt-BR", "es-MX" -> "es"), if any."""
    if not language:
        return None
    try:
        return langcodes.closest_supported_match(
            language, INTERFACE_LANGUAGES, max_distance=_CLOSE_ENOUGH
        )
    except (ValueError, LanguageTagError):
        return None


@lru_cache(maxsize=512)
def from_accept_language(header: str) -> str | None:
    """The first language of an `Accept-Language` header with a catalog, in the browser's
    order of preference (q values; a language at q=0 is refused)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    for _quality, _position, tag in sorted(weighted):
        if match := supported(tag):
            return match
    return None


def negotiate(*preferences: str | None) -> Interface:
    """The interface of the first preference with a catalog, else English."""
    for preference in preferences:
        if match := supported(preference):
            return interface(match)
    return interface(SOURCE_LANGUAGE)


_current: ContextVar[Interface | None] = ContextVar("interface", default=None)


def use(chosen: Interface) -> None:
    """The interface of the rest of this request."""
    _current.set(chosen)


def current() -> Interface:
    return _current.get() or interface(SOURCE_LANGUAGE)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Marks a message for the catalogs where it is defined; `gettext` translates it where it
    is shown (a module-level label is made before any request has a language)."""
    return message


def gettext(message: str) -> str:
    return current().translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return current().translations.pgettext(context, message)


# Where a number is known only in the browser (the page script's counts), a plural message is
# sent in each of the language's CLDR plural forms, and the script picks one with
# `Intl.PluralRules`: these are a number of each form, for `ngettext` to choose its form.
_PLURAL_CANDIDATES = (*range(0, 200), 1000, 1000000)


@cache
def _plural_samples(tag: str) -> tuple[tuple[str, int], ...]:
    rule = interface(tag).locale.plural_form
    samples: dict[str, int] = {}
    for n in _PLURAL_CANDIDATES:
        samples.setdefault(rule(n), n)
    # "other" is the script's fallback; in some languages only fractions are "other"
    # (Russian, Polish), whose counts are whole: the form of "many" stands in for it.
    samples.setdefault("other", samples.get("many", _PLURAL_CANDIDATES[-1]))
    return tuple(samples.items())


def plural_samples() -> tuple[tuple[str, int], ...]:
    """Each CLDR plural category of the interface's language ("one", "few", "other"…) with a
    number of that category."""
    return _plural_samples(current().tag)


# The formatters of the interface's locale (CLDR), for the templates and the page code.


@lru_cache(maxsize=4096)
def language_name(code: str, interface: str) -> str:
    """A language's name in the interface's language ('es' in German: 'Spanisch', in French
    'espagnol': lower case where the language writes it so inside a sentence)."""
    return langcodes.Language.get(code).display_name(interface)


def number(value: float) -> str:
    return format_decimal(value, locale=current().locale)


def short_date(value: date) -> str:
    """A day as a chart labels it, in the language's own order ("Dec 3", "3. Dez.", "12月3日")."""
    return format_skeleton("MMMd", value, locale=current().locale)


def long_date(value: date) -> str:
    return format_date(value, format="long", locale=current().locale)


def moment(value: datetime) -> str:
    """A moment in UTC, short, as the console's lists show it ("12/4/26, 11:05 AM")."""
    return format_datetime(value, format="short", tzinfo=UTC, locale=current().locale)


def interval(value: timedelta) -> str:
    """A review interval as Anki writes it on its buttons (1m, 10m, 4h, 3d, 2.5mo, 1.2y), in
    the units of the interface's language (CLDR's narrow forms; a month's short form, as its
    narrow form is a minute's in some languages)."""
    seconds = max(0.0, value.total_seconds())
    days = seconds / 86400
    amount: float
    if seconds < 3600:
        amount, unit, length = max(1, round(seconds / 60)), "duration-minute", "narrow"
    elif round(seconds / 3600) < 24:
        amount, unit, length = round(seconds / 3600), "duration-hour", "narrow"
    elif round(days) < 30:
        amount, unit, length = round(days), "duration-day", "narrow"
    elif days < 365:
        amount, unit, length = round(days / 30, 1), "duration-month", "short"
    else:
        amount, unit, length = round(days / 365, 1), "duration-year", "narrow"
    return format_unit(amount, unit, length=length, locale=current().locale)  # type: ignore[arg-type]


def for_request(headers: Mapping[str, str], cookies: Mapping[str, str]) -> Interface:
    """A signed-out visitor's interface: the footer's switch, else their browser's languages."""
    return negotiate(
        cookies.get(LANGUAGE_COOKIE), from_accept_language(headers.get("accept-language", ""))
    )


class InterfaceLanguage:
    """Chooses the interface of each page request before anything renders (error pages
    included); the signed-in learner's own choice replaces it (`web.deps.PageLearner`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == "/" or scope["path"].startswith("/app")):
            request = HTTPConnection(scope)
            use(for_request(request.headers, request.cookies))
        await self.app(scope, receive, send)
