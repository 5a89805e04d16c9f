"""A refused page form speaks to the learner: each problem next to its field in plain words
(never a validator's message, a pattern or a field's name), the field marked for assistive
technology, and a summary at the top whose links lead to the fields."""

from __future__ import annotations

import re
import unicodedata

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import PASSWORD
from tests.web.html import Page, parse
from tests.web.test_pages import FORM_FIELDS, page, saved_item, sign_up

# What a validator or a developer writes, and a learner should never read.
DEVELOPER_WORDS = re.compile(
    r"should (be|have|match)|Input should|Value error|value is not a valid|validation error"
    r"|type=|pattern|\^\[|\\-|String |[a-z]+_[a-z_]+:|must be (integer|number|boolean)"
    r"|not a valid|unknown (language|level|time zone)|Field required",
)


def said(answer: httpx.Response) -> tuple[Page, list[str]]:
    """The page, and every sentence it says about the refused form."""
    shown = parse(answer.text)
    sentences = [e.text.strip() for e in shown.find_all("p", class_="field-error")]
    sentences += [e.text.strip() for e in shown.elements if "data-error-summary" in e.attrs]
    sentences += [e.text.strip() for e in shown.elements if "data-banner" in e.attrs]
    return shown, sentences


def assert_marked(shown: Page, *names: str) -> None:
    """Each field: its sentence beside it, described by it, invalid; a summary link to it."""
    summary = [e for e in shown.elements if "data-error-summary" in e.attrs]
    assert summary, "no summary of the problems at the top"
    links = {
        a.attrs["data-error-field"]: a for a in shown.find_all("a") if "data-error-field" in a.attrs
    }
    for name in names:
        error = shown.find("p", id=f"{name}-error")
        field = next(e for e in shown.elements if e.attrs.get("name") == name and e.tag != "a")
        if field.attrs.get("type") != "radio":
            assert field.attrs.get("aria-invalid") == "true", name
            assert f"{name}-error" in field.attrs.get("aria-describedby", "").split(), name
        assert links[name].attrs["href"] == f"#{name}"
        assert links[name].text == error.text, name
        assert any(e.attrs.get("id") == name for e in shown.elements), f"no #{name} to go to"


async def register(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = (await page(client, "/app/register")).csrf_token()
    return await client.post("/app/register", data={"csrf_token": token, **fields})


async def test_sign_up_says_what_is_wrong_in_plain_words(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    answer = await register(
        client,
        username="ana garcía!",
        password="short",
        password_confirm="shorter",
        email="not an address",
    )
    assert answer.status_code == 422
    shown, sentences = said(answer)
    assert_marked(shown, "username", "password", "password_confirm", "email")
    assert not [s for s in sentences if DEVELOPER_WORDS.search(s)], sentences
    assert shown.find("p", id="username-error").text == (
        "A username has 3 to 50 letters (of any alphabet), digits, _, . or -, and no spaces."
    )
    assert "such as ana@example.org" in shown.find("p", id="email-error").text
    assert "4 things to fix" in shown.find("p", class_="banner-title").text
    # The summary reads as the form does.
    order = [
        a.attrs["data-error-field"] for a in shown.find_all("a") if "data-error-field" in a.attrs
    ]
    assert order == ["username", "password", "password_confirm", "email"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("maría", "maría"),
        (unicodedata.normalize("NFD", "maría"), "maría"),  # a combining accent
        ("Дарья", "Дарья"),
        ("ｊｏｓé", "josé"),  # full-width letters
        ("हिन्दी_1", "हिन्दी_1"),
    ],
)
async def test_usernames_take_letters_of_any_script_in_one_form(
    client: httpx.AsyncClient, db: AsyncEngine, typed: str, stored: str
) -> None:
    answer = await register(client, username=typed, password=PASSWORD, password_confirm=PASSWORD)
    assert answer.status_code == 303, said(answer)[1]
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT username FROM users")) == stored
    # However it is typed at login, it is the same name.
    client.cookies.clear()
    for form in {typed, stored, unicodedata.normalize("NFD", stored)}:
        login = await client.post("/auth/token", data={"username": form, "password": PASSWORD})
        assert login.status_code == 200, (form, login.text)
    # The API takes the same names, and refuses the same.
    api = await client.post("/auth/register", json={"username": typed, "password": PASSWORD})
    assert api.status_code == 409  # taken, in whatever form it comes


@pytest.mark.parametrize("name", ["ana garcia", "ana!", "ana\u200bx", "a\u0301", "ab", "x" * 51])
async def test_what_a_username_cannot_be(
    client: httpx.AsyncClient, db: AsyncEngine, name: str
) -> None:
    api = await client.post("/auth/register", json={"username": name, "password": PASSWORD})
    assert api.status_code == 422, api.text


async def test_create_marks_its_field_in_the_fragment_and_the_page(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    form = {"csrf_token": csrf, "content_type": "flashcards", "query": "", "count": "10"}
    # The page script's fetch: a summary whose links name the fields to mark.
    fragment = await client.post("/app/generate", data=form, headers={"X-Requested-With": "fetch"})
    assert fragment.status_code == 422
    shown, sentences = said(fragment)
    links = {
        a.attrs["data-error-field"]: a.text
        for a in shown.find_all("a")
        if "data-error-field" in a.attrs
    }
    assert links == {"query": "Enter a topic or request."}
    assert not [s for s in sentences if DEVELOPER_WORDS.search(s)], sentences
    # Without the script: the whole page, the field marked.
    whole = await client.post("/app/generate", data=form | {"count": "99"})
    assert whole.status_code == 422
    shown, sentences = said(whole)
    assert_marked(shown, "query", "count")
    assert not [s for s in sentences if DEVELOPER_WORDS.search(s)], sentences


async def change_password(
    client: httpx.AsyncClient, csrf: str, current: str, new: str, again: str
) -> httpx.Response:
    fields = {"current_password": current, "new_password": new, "new_password_confirm": again}
    return await client.post("/app/profile/password", data={"csrf_token": csrf, **fields})


async def test_a_failed_password_change_names_every_problem(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    answer = await change_password(client, csrf, "not it", "short", "other")
    assert answer.status_code == 422
    shown, sentences = said(answer)
    assert_marked(shown, "current_password", "new_password", "new_password_confirm")
    order = [
        a.attrs["data-error-field"] for a in shown.find_all("a") if "data-error-field" in a.attrs
    ]
    assert order == ["current_password", "new_password", "new_password_confirm"]
    assert shown.find("p", id="current_password-error").text == "That is not your current password."
    assert not [s for s in sentences if DEVELOPER_WORDS.search(s)], sentences
    # Only the current password wrong: that one, still a 403.
    wrong = await change_password(
        client, csrf, "not it", "a long new password", "a long new password"
    )
    assert wrong.status_code == 403
    assert_marked(parse(wrong.text), "current_password")


async def test_the_conversation_topic_is_asked_for_at_its_field(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    answer = await client.post("/app/conversations", data={"csrf_token": csrf, "topic": ""})
    assert answer.status_code == 422
    shown, sentences = said(answer)
    assert_marked(shown, "topic")
    assert shown.find("p", id="topic-error").text == "Enter a topic for the scene."


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"GENERATION_RATE_PER_MINUTE": 100_000}


VALUES = ["", " ", "x" * 3000, "ten", "-1", "1.5", "NaN", "\x00", "Mars/Olympus", "[]"]


async def test_no_page_form_ever_shows_a_validators_words(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """Every field of every page form given what a learner might type wrong (or worse): what
    the page says about it is written for a learner."""
    csrf = await sign_up(client, "ana", default_target_language="es")
    item_id = await saved_item(client, csrf)
    valid = {"content_type": "flashcards", "query": "colours", "count": "2", "rating": "3"}
    for path, fields in FORM_FIELDS.items():
        if path in ("/app/profile/delete", "/app/studied"):
            continue  # deleting the account ends the test; study progress says nothing
        path = path.replace("{id}", str(item_id))
        for name in fields:
            for value in VALUES:
                answer = await client.post(path, data={"csrf_token": csrf, **valid, name: value})
                if answer.status_code < 400:
                    continue
                _, sentences = said(answer)
                main = parse(answer.text).find("main").text if "<main" in answer.text else ""
                spoken = [*sentences, main]
                bad = [s for s in spoken if DEVELOPER_WORDS.search(s)]
                assert not bad, (path, name, value[:20], bad)
