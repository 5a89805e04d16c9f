"""The pages in the learner's language: which catalog a request gets (the profile, the base
language, the footer's switch, the browser's languages, English), and `<html lang dir>`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest

from langtutor.languages import INTERFACE_LANGUAGES
from langtutor.web import i18n
from tests.web.html import parse
from tests.web.test_pages import sign_up


def html_tag(body: str) -> tuple[str | None, str | None]:
    html = parse(body).find("html").attrs
    return html.get("lang"), html.get("dir")


@pytest.mark.parametrize(
    ("header", "lang", "direction"),
    [
        ("es", "es", "ltr"),
        ("ar", "ar", "rtl"),
        ("es-MX,es;q=0.9,en;q=0.8", "es", "ltr"),
        ("da, de;q=0.5", "de", "ltr"),  # no Danish: the next language the browser names
        ("pt", "pt-BR", "ltr"),
        ("zh-CN", "zh-Hans", "ltr"),
        ("de;q=0, fr;q=0.4", "fr", "ltr"),  # q=0 refuses a language
        ("xx-invalid;;q=abc, *", "en", "ltr"),
        ("", "en", "ltr"),
    ],
)
async def test_a_signed_out_page_speaks_the_browsers_language(
    client: httpx.AsyncClient, header: str, lang: str, direction: str
) -> None:
    answer = await client.get("/app/login", headers={"Accept-Language": header})
    assert answer.status_code == 200
    assert html_tag(answer.text) == (lang, direction)


async def test_accept_language_es_answers_spanish(client: httpx.AsyncClient) -> None:
    english = (await client.get("/app/login")).text
    spanish = (await client.get("/app/login", headers={"Accept-Language": "es"})).text
    assert "Idioma" in spanish
    assert "Idioma" not in english
    assert "Language" in english


async def test_the_footer_switch_is_remembered_and_beats_the_browser(
    client: httpx.AsyncClient,
) -> None:
    switched = await client.get("/app/language", params={"to": "de", "next": "/app/register"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/app/register"
    page = await client.get("/app/register", headers={"Accept-Language": "fr"})
    assert html_tag(page.text) == ("de", "ltr")
    # The landing page keeps its place; a language without a catalog forgets the choice.
    back = await client.get("/app/language", params={"to": "tlh", "next": "/"})
    assert back.headers["location"] == "/"
    page = await client.get("/app/register", headers={"Accept-Language": "fr"})
    assert html_tag(page.text) == ("fr", "ltr")
    # Never an open redirect.
    away = await client.get("/app/language", params={"to": "de", "next": "https://evil.test/"})
    assert away.headers["location"] == "/app"


async def test_a_learner_reads_their_chosen_language_else_their_base_language(
    client: httpx.AsyncClient,
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="en", default_base_language="ja")
    assert html_tag((await client.get("/app/profile")).text) == ("ja", "ltr")
    headers = {"X-CSRF-Token": csrf}
    chosen = await client.patch("/users/me", json={"interface_language": "ar"}, headers=headers)
    assert chosen.status_code == 200
    assert chosen.json()["interface_language"] == "ar"
    # The browser's languages and the switch's cookie no longer decide.
    page = await client.get("/app/profile", headers={"Accept-Language": "de"})
    assert html_tag(page.text) == ("ar", "rtl")
    refused = await client.patch("/users/me", json={"interface_language": "tlh"}, headers=headers)
    assert refused.status_code == 422
    assert "not translated" in refused.text
    cleared = await client.patch("/users/me", json={"interface_language": None}, headers=headers)
    assert cleared.json()["interface_language"] is None
    assert html_tag((await client.get("/app/profile")).text) == ("ja", "ltr")


async def test_a_base_language_without_catalog_falls_back_to_the_browser(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "ana", default_target_language="en", default_base_language="nl")
    page = await client.get("/app/profile", headers={"Accept-Language": "it"})
    assert html_tag(page.text) == ("it", "ltr")


async def test_the_profile_chooses_the_interface_language(client: httpx.AsyncClient) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es", default_base_language="en")
    profile = parse((await client.get("/app/profile")).text)
    assert profile.find("select", name="interface_language").attrs["id"] == "interface_language"
    options = profile.find_all("option")
    languages = {
        option.attrs["value"]: option.text.strip() for option in options if "lang" in option.attrs
    }
    assert len(languages) == len(INTERFACE_LANGUAGES)
    assert languages["de"] == "Deutsch"  # each language by its own name
    assert languages["ja"] == "日本語"
    assert any(o.attrs["value"] == "" and o.text.strip() == "Automatic" for o in options)
    fields = {"csrf_token": csrf, "default_target_language": "es", "default_base_language": "en"}
    chosen = await client.post("/app/profile", data=fields | {"interface_language": "de"})
    assert chosen.status_code == 303
    page = await client.get(chosen.headers["location"])
    assert html_tag(page.text) == ("de", "ltr")
    assert "selected" in parse(page.text).find("option", value="de").attrs
    assert (await client.get("/users/me")).json()["interface_language"] == "de"
    # Automatic again: the base language decides (English here), whatever was chosen before.
    cleared = await client.post("/app/profile", data=fields | {"interface_language": ""})
    assert cleared.status_code == 303
    assert html_tag((await client.get("/app/profile")).text) == ("en", "ltr")
    # A language the pages lack is refused in words, next to the field.
    refused = await client.post("/app/profile", data=fields | {"interface_language": "tlh"})
    assert refused.status_code == 422
    assert parse(refused.text).find("p", id="interface_language-error").text == (
        "Choose one of the languages in the list."
    )


async def test_an_error_page_says_its_own_sentence_with_the_english_as_a_detail(
    client: httpx.AsyncClient,
) -> None:
    english = parse((await client.get("/app/nowhere")).text)
    assert not english.find_all("details", class_="technical")
    german = await client.get("/app/nowhere", headers={"Accept-Language": "de"})
    assert german.status_code == 404
    page = parse(german.text)
    detail = page.find("details", class_="technical")
    assert "Not Found" in detail.text
    said = page.find("main").text
    assert "Wir" in said or "nicht" in said  # the German sentence (its catalog's wording)


def in_language(tag: str, function: Callable[[], str]) -> str:
    i18n.use(i18n.interface(tag))
    try:
        return function()
    finally:
        i18n.use(i18n.interface(i18n.SOURCE_LANGUAGE))


def minutes(tag: str, n: int) -> str:
    return in_language(tag, lambda: i18n.ngettext("%(count)s minute", "%(count)s minutes", n))


@pytest.mark.parametrize(
    ("tag", "same", "different"),
    [
        # CLDR: Russian and Ukrainian 1 and 21 / 2–4 / 5–20; Polish 1 / 2–4, 22 / 5–21.
        ("ru", [(1, 21), (2, 24), (5, 11)], [(1, 2), (2, 5), (1, 5)]),
        ("uk", [(1, 21), (3, 22), (5, 12)], [(1, 2), (2, 5), (1, 5)]),
        ("pl", [(2, 22), (5, 21), (12, 25)], [(1, 2), (2, 5), (1, 21)]),
        # Arabic: zero, one, two, few (3–10), many (11–99), other (100…); written without
        # vowels, some of the six forms look alike.
        ("ar", [(3, 10), (11, 99)], [(1, 3), (3, 11)]),
    ],
)
def test_plurals_follow_the_languages_rules(
    tag: str, same: list[tuple[int, int]], different: list[tuple[int, int]]
) -> None:
    forms = {n: minutes(tag, n) for pair in same + different for n in pair}
    for a, b in same:
        assert forms[a].split()[1:] == forms[b].split()[1:], (tag, forms[a], forms[b])
    for a, b in different:
        assert forms[a].split()[1:] != forms[b].split()[1:], (tag, forms[a], forms[b])


def test_dates_numbers_and_intervals_follow_the_interface_language() -> None:
    day = date(2026, 12, 3)
    assert in_language("en", lambda: i18n.short_date(day)) == "Dec 3"
    assert in_language("de", lambda: i18n.short_date(day)) == "3. Dez."
    assert in_language("ja", lambda: i18n.short_date(day)) == "12月3日"
    assert in_language("de", lambda: i18n.number(1234.5)) == "1.234,5"
    assert in_language("hi", lambda: i18n.number(1234567)) == "12,34,567"
    assert in_language("en", lambda: i18n.interval(timedelta(days=8))) == "8d"
    assert in_language("de", lambda: i18n.interval(timedelta(minutes=10))) == "10 Min."
    assert in_language("ru", lambda: i18n.interval(timedelta(days=75))) == "2,5 мес."
