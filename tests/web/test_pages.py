"""The pages over HTTP, read with an HTML parser: CSRF, cookies, security headers, sessions,
ownership, and input kept on errors. The browser tests cover what needs a browser."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.web.routes import PAGE_ROUTERS
from tests.conftest import AppFactory
from tests.factories import PASSWORD
from tests.web.html import Page, parse

PAGES = ["/app/generate", "/app/library", "/app/progress", "/app/profile"]


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"GENERATION_RATE_PER_MINUTE": 100_000}


HOSTILE_VALUES = [
    "",
    "   ",
    "\x00",
    "a" * 5000,
    "' OR 1=1; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "-1",
    "0",
    "99999999999999999999999",
    "1.5",
    "NaN",
    "📚" * 300,
    '{"cards": [{"front": 1}]}',
    "[]",
    "null",
    "00000000-0000-0000-0000-000000000000",
    "../../etc/passwd",
]
FORM_FIELDS = {
    "/app/login": ["username", "password", "next"],
    "/app/register": [
        "username",
        "password",
        "password_confirm",
        "email",
        "default_target_language",
        "default_base_language",
        "self_assessed_level",
    ],
    "/app/profile": [
        "email",
        "default_target_language",
        "default_base_language",
        "self_assessed_level",
    ],
    "/app/profile/password": ["current_password", "new_password", "new_password_confirm"],
    "/app/profile/delete": ["confirm_username"],
    "/app/generate": [
        "content_type",
        "query",
        "target_language",
        "base_language",
        "level",
        "count",
    ],
    "/app/save": [
        "generation_id",
        "content_type",
        "original_query",
        "content_data",
        "user_label",
        "user_notes",
    ],
    "/app/feedback": [
        "generation_id",
        "saved_content_id",
        "rating",
        "feedback_text",
        "item_index",
        "thumb",
    ],
    "/app/library/{id}": ["user_label", "user_notes"],
    "/app/profile/review": [
        "timezone",
        "review_new_per_day",
        "review_desired_retention",
        "review_auto_cards",
    ],
    "/app/review/1": ["rating", "duration_ms"],
    "/app/review/practice": [
        "card_id",
        "rating",
        "duration_ms",
        "saved_content_id",
        "hardest",
        "n",
    ],
    "/app/exercises/check": ["generation_id", "saved_content_id", "item_index", "answer"],
    "/app/welcome": [
        "default_target_language",
        "default_base_language",
        "self_assessed_level",
        "daily_goal",
        "topic",
        "next",
    ],
    "/app/studied": [
        "saved_content_id",
        "generation_id",
        "position",
        "finished",
        "score",
        "opened",
    ],
    "/app/conversations": ["topic", "saved_content_id", "generation_id", "role"],
    "/app/conversations/1/turns": ["text"],
    "/app/exercises/explain": ["generation_id", "saved_content_id", "item_index", "answer"],
    "/app/placement/1/answers": ["shown", "known", "gap-101"],
    "/app/placement/1/accept": ["level"],
    "/app/plan": ["weeks", "minutes_per_day"],
    "/app/classes": ["name"],
    "/app/classes/join": ["join_code", "review_cards"],
    "/app/classes/1/assignments": ["saved_content_id", "due_date"],
    "/app/reset-password": ["username", "code", "new_password", "new_password_confirm"],
    # The console's forms (a learner's post is the 403 page; an operator's: test_admin_pages).
    "/app/admin/users/1": ["action"],
    "/app/admin/users/1/delete": ["confirm"],
    "/app/admin/invites": ["uses", "expires_in_days"],
    "/app/admin/settings": ["registration"],
}
QUERY_PARAMS = {
    "/app/library": ["q", "content_type", "page", "language"],
    "/app": ["first_deck"],
    "/app/library/{id}": ["card", "saved", "review_added", "manage", "shared", "copied"],
    "/app/progress": ["days"],
    "/app/generate": ["content_type"],
    "/app/login": ["next", "expired"],
    "/app/review": ["card", "show"],
    "/app/review/practice": ["saved_content_id", "hardest", "n", "show"],
    "/app/classes/join": ["code"],
}


async def page(client: httpx.AsyncClient, path: str) -> Page:
    answer = await client.get(path)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    assert answer.headers["content-type"].startswith("text/html")
    return parse(answer.text)


async def sign_up(client: httpx.AsyncClient, username: str, **fields: str) -> str:
    """Register through the form; the client keeps the session cookie. A page's CSRF token."""
    token = (await page(client, "/app/register")).csrf_token()
    answer = await client.post(
        "/app/register",
        data={
            "csrf_token": token,
            "username": username,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            **fields,
        },
    )
    assert answer.status_code == 303, answer.text
    return (await page(client, "/app/generate")).csrf_token()


async def saved_item(client: httpx.AsyncClient, csrf: str) -> int:
    answer = await client.post(
        "/app/generate",
        data={"csrf_token": csrf, "content_type": "flashcards", "query": "colours", "count": "2"},
    )
    assert answer.status_code == 200, answer.text
    result = parse(answer.text)
    fields = {
        name: result.find("input", name=name).attrs["value"]
        for name in ("generation_id", "content_type", "original_query", "content_data")
    }
    answer = await client.post(
        "/app/save", data={"csrf_token": csrf, "user_label": "Colours", **fields}
    )
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


def post_routes(item_id: int) -> list[str]:
    paths = [
        route.path.replace("{saved_content_id}", str(item_id))
        .replace("{card_id}", "1")
        .replace("{conversation_id}", "1")
        .replace("{placement_id}", "1")
        .replace("{step_id}", "1")
        .replace("{user_id}", "1")
        .replace("{invite_id}", "1")
        .replace("{token}", "A" * 32)
        .replace("{class_id}", "1")
        for page_router in PAGE_ROUTERS
        for route in page_router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]
    assert len(paths) >= 11, paths
    return paths


def second_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def ana_item(client: httpx.AsyncClient, db: AsyncEngine) -> tuple[str, int]:
    """`client` signed up as ana, with one saved item: her CSRF token and the item's id."""
    csrf = await sign_up(client, "ana", default_target_language="es")
    return csrf, await saved_item(client, csrf)


@pytest.fixture
async def bob(app: FastAPI, db: AsyncEngine) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """Another learner's browser, signed up: its client and CSRF token."""
    async with second_client(app) as other:
        yield other, await sign_up(other, "bob", default_target_language="fr")


async def test_every_form_needs_its_csrf_token(
    client: httpx.AsyncClient, ana_item: tuple[str, int], bob: tuple[httpx.AsyncClient, str]
) -> None:
    _, item_id = ana_item
    _, foreign_csrf = bob
    for path in post_routes(item_id):
        for sent in ({}, {"csrf_token": "forged"}, {"csrf_token": foreign_csrf}):
            answer = await client.post(
                path, data={**sent, "confirm_username": "ana", "default_target_language": "de"}
            )
            assert answer.status_code == 403, (path, sent, answer.status_code)
            assert answer.headers["content-type"].startswith("text/html")
            assert "expired or did not come from this site" in parse(answer.text).find("main").text
    # Nothing changed: the account, its defaults and its item are all there.
    me = await client.get("/users/me")
    assert me.status_code == 200
    assert me.json()["default_target_language"] == "es"
    assert (await client.get(f"/content/{item_id}")).status_code == 200


async def test_the_api_accepts_the_cookie_only_with_the_csrf_header(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    body = {"user_label": "x"}
    assert (await client.get("/users/me")).status_code == 200  # reading is safe
    refused = await client.patch("/users/me", json={"email": "ana@example.org"})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    forged = await client.patch("/content/1", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    accepted = await client.patch(
        "/users/me", json={"email": "ana@example.org"}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 200
    assert accepted.json()["email"] == "ana@example.org"


async def test_pages_send_the_security_headers(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    await sign_up(client, "ana", default_target_language="es")
    for path in ["/", "/app/login", "/app/register", *PAGES, "/app/library/999", "/app/nope"]:
        answer = await client.get(path)
        assert answer.headers["content-type"].startswith("text/html"), path
        policy = dict(
            (part.strip().split(" ", 1) + [""])[:2]
            for part in answer.headers["content-security-policy"].split(";")
        )
        assert policy["script-src"] == "'self'", path
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"
        assert "unsafe-inline" not in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-frame-options"] == "DENY"
        # What that policy would block must not be in the page at all.
        parsed = parse(answer.text)
        for element in parsed.elements:
            assert "style" not in element.attrs, (path, element)
            assert not any(name.startswith("on") for name in element.attrs), (path, element)
            if element.tag == "script" and element.attrs.get("type") == "application/json":
                # A data block (the page script's messages): never run, so the policy allows it.
                assert element.attrs.get("id") == "page-messages", (path, element)
                assert isinstance(json.loads(element.text), dict), path
            elif element.tag == "script":
                assert element.attrs.get("src", "").startswith("/static/"), (path, element)
                assert not element.text.strip()
    api = await client.get("/healthz")
    assert api.headers["x-content-type-options"] == "nosniff"


def cookie_flags(answer: httpx.Response, name: str) -> dict[str, str | bool]:
    for header in answer.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            return {key: morsel[key] for key in ("httponly", "samesite", "secure", "path")}
    raise AssertionError(f"no {name} cookie set")


@pytest.mark.parametrize("secure", [False, True])
async def test_session_cookies_are_httponly_samesite_and_secure_when_configured(
    app_factory: AppFactory, db: AsyncEngine, secure: bool
) -> None:
    # Secure cookies carry the __Host- prefix: no other host, nor a plain-HTTP page of this
    # one, can set a cookie of that name.
    prefix = "__Host-" if secure else ""
    async with app_factory(COOKIE_SECURE=secure) as client:
        form = await client.get("/app/login")
        csrf_cookie = cookie_flags(form, f"{prefix}langtutor_csrf")
        await client.post(
            "/auth/register", json={"username": "ana", "password": PASSWORD}
        )  # the JSON API
        token = parse(form.text).csrf_token()
        if secure:  # httpx keeps Secure cookies away from http://; hand it over for the test
            name = f"{prefix}langtutor_csrf"
            client.cookies.set(name, form.cookies[name])
        answer = await client.post(
            "/app/login", data={"csrf_token": token, "username": "ana", "password": PASSWORD}
        )
        assert answer.status_code == 303, answer.text
        session_cookie = cookie_flags(answer, f"{prefix}langtutor_token")
        device_cookie = cookie_flags(answer, f"{prefix}langtutor_device")
    for flags in (csrf_cookie, session_cookie, device_cookie):
        assert flags["httponly"] is True
        assert str(flags["samesite"]).lower() == "lax"
        assert flags["path"] == "/"
        assert bool(flags["secure"]) is secure


async def test_pages_need_a_session_and_a_dead_one_says_so(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    for path in PAGES:
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/app/login?next={path}"
    client.cookies.set("langtutor_token", "revoked-or-forged")
    answer = await client.get("/app/library?q=verbs")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/login?next=/app/library%3Fq%3Dverbs&expired=1"
    cleared = SimpleCookie()
    cleared.load(next(h for h in answer.headers.get_list("set-cookie") if "langtutor_token" in h))
    assert cleared["langtutor_token"].value == ""
    assert cleared["langtutor_token"]["max-age"] == "0"
    login = parse((await client.get(answer.headers["location"])).text)
    assert login.find("div", **{"data-banner": "session_expired"})
    assert login.find("input", name="next").attrs["value"] == "/app/library?q=verbs"
    # The page script gets a fragment with the banner instead of a redirect.
    fragment = await client.post(
        "/app/generate",
        data={"csrf_token": login.csrf_token(), "content_type": "flashcards", "query": "x"},
        headers={"X-Requested-With": "fetch"},
    )
    assert fragment.status_code == 401
    assert parse(fragment.text).find("div", **{"data-banner": "session_expired"})


async def test_an_account_deleted_elsewhere_sends_its_page_to_the_login(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """Deleted by another process while this one still trusts the cached session: a page
    that then finds no account sends the learner to log in again, as a dead session does."""
    csrf = await sign_up(client, "ana")
    async with db.begin() as connection:
        await connection.execute(text("DELETE FROM auth_tokens"))
        await connection.execute(text("DELETE FROM users WHERE username = 'ana'"))
    answer = await client.post("/app/profile", data={"csrf_token": csrf, "daily_goal": "30"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("&expired=1")


async def test_login_never_redirects_off_site(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    await client.post("/auth/register", json={"username": "ana", "password": PASSWORD})
    for target in ["https://evil.example/", "//evil.example/app/", "/app/../../x", ""]:
        form = parse((await client.get("/app/login", params={"next": target})).text)
        answer = await client.post(
            "/app/login",
            data={
                "csrf_token": form.csrf_token(),
                "username": "ana",
                "password": PASSWORD,
                "next": target,
            },
        )
        assert answer.status_code == 303
        location = answer.headers["location"]
        assert location == "/app" or location.startswith("/app/"), location
        assert ".." not in location


async def test_web_login_is_throttled_like_the_api(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    await client.post("/auth/register", json={"username": "ana", "password": PASSWORD})
    csrf = parse((await client.get("/app/login")).text).csrf_token()
    statuses = []
    for _ in range(6):
        answer = await client.post(
            "/app/login", data={"csrf_token": csrf, "username": "ana", "password": "wrong guess"}
        )
        statuses.append(answer.status_code)
    assert statuses == [401] * 5 + [429]
    assert "try again in" in parse(answer.text).find("div", role="alert").text


async def test_another_users_item_is_404_and_untouched(
    client: httpx.AsyncClient,
    db: AsyncEngine,
    ana_item: tuple[str, int],
    bob: tuple[httpx.AsyncClient, str],
) -> None:
    _, item_id = ana_item
    other, other_csrf = bob
    assert (await other.get(f"/app/library/{item_id}")).status_code == 404
    for path, data in (
        (f"/app/library/{item_id}", {"user_label": "mine now"}),
        (f"/app/library/{item_id}/delete", {}),
        ("/app/feedback", {"saved_content_id": str(item_id), "rating": "1"}),
    ):
        answer = await other.post(path, data={"csrf_token": other_csrf, **data})
        assert answer.status_code == 404, (path, answer.text)
        assert answer.headers["content-type"].startswith("text/html")
    listing = parse((await other.get("/app/library")).text)
    assert not listing.find_all("a", class_="item-title")
    item = await client.get(f"/content/{item_id}")
    assert item.json()["user_label"] == "Colours"
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM feedback")) == 0


async def test_forms_keep_what_was_typed_and_say_what_is_wrong(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    token = (await page(client, "/app/register")).csrf_token()
    answer = await client.post(
        "/app/register",
        data={
            "csrf_token": token,
            "username": "ana",
            "password": PASSWORD,
            "password_confirm": "something else",
        },
    )
    assert answer.status_code == 422
    form = parse(answer.text)
    assert form.find("input", name="username").attrs["value"] == "ana"
    assert form.find("input", name="password_confirm").attrs["aria-invalid"] == "true"
    errors = {e.attrs["id"]: e.text for e in form.find_all("p", class_="field-error")}
    assert "differ" in errors["password_confirm-error"]

    # The onboarding step after sign-up: what was typed stays, what is wrong is said.
    csrf = await sign_up(client, "ana")
    answer = await client.post(
        "/app/welcome",
        data={"csrf_token": csrf, "default_target_language": "Klingonish", "daily_goal": "30"},
    )
    assert answer.status_code == 422
    form = parse(answer.text)
    assert form.find("input", name="default_target_language").attrs["value"] == "Klingonish"
    errors = {e.attrs["id"]: e.text for e in form.find_all("p", class_="field-error")}
    assert "We do not know that language" in errors["default_target_language-error"]
    answer = await client.post(
        "/app/welcome",
        data={"csrf_token": csrf, "default_target_language": "Spanish", "daily_goal": "30"},
    )
    assert answer.status_code == 303  # no topic chosen: straight to the home page
    assert answer.headers["location"] == "/app"
    assert (await client.get("/users/me")).json()["daily_goal"] == 30
    answer = await client.post(
        "/app/generate",
        data={"csrf_token": csrf, "content_type": "flashcards", "query": "", "count": "99"},
    )
    assert answer.status_code == 422
    form = parse(answer.text)
    assert form.find("input", name="count").attrs["value"] == "99"
    assert {e.attrs["id"] for e in form.find_all("p", class_="field-error")} == {
        "query-error",
        "count-error",
    }
    # Text where a number belongs: refused at that field, saying what it must be.
    words = await client.post(
        "/app/generate",
        data={"csrf_token": csrf, "content_type": "flashcards", "query": "x", "count": "ten"},
    )
    assert words.status_code == 422
    error = parse(words.text).find("p", id="count-error")
    assert error is not None
    assert "a whole number from 1 to 50" in error.text


async def test_hostile_text_is_shown_as_text(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    query = "<script>alert('x')</script>\" onmouseover=\"alert(1)"
    answer = await client.post(
        "/app/generate",
        data={"csrf_token": csrf, "content_type": "simulation", "query": query},
    )
    assert answer.status_code == 200
    result = parse(answer.text)
    assert result.find("h2", id="result-heading").text.endswith(query)
    scripts = result.find_all("script")
    # Every script is a file of ours, but the page script's messages (data, never run).
    assert [s.attrs.get("id") for s in scripts if not s.attrs.get("src")] == ["page-messages"]
    assert not any("onmouseover" in element.attrs for element in result.elements)
    assert result.find("input", name="original_query").attrs["value"] == query


async def test_logout_revokes_the_session(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    token = client.cookies["langtutor_token"]
    answer = await client.post("/app/logout", data={"csrf_token": csrf})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    revoked = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert re.search(r"langtutor_token=\"?\"?;", answer.headers["set-cookie"])


async def test_library_edit_search_and_delete(
    client: httpx.AsyncClient, ana_item: tuple[str, int]
) -> None:
    csrf, item_id = ana_item
    answer = await client.post(
        f"/app/library/{item_id}",
        data={"csrf_token": csrf, "user_label": "Rainbow", "user_notes": "red, green"},
    )
    assert answer.status_code == 303
    shown = await page(client, answer.headers["location"])
    assert shown.find("h1").text == "Rainbow"
    assert shown.find("textarea", name="user_notes").text == "red, green"
    assert shown.find("a", **{"data-export": "apkg"}).attrs["href"] == (
        f"/content/{item_id}/export?format=apkg"
    )
    too_long = await client.post(
        f"/app/library/{item_id}", data={"csrf_token": csrf, "user_label": "x" * 101}
    )
    assert too_long.status_code == 422
    assert parse(too_long.text).find("p", id="user_label-error")
    found = await page(client, "/app/library?q=rainbow&content_type=flashcards")
    assert [a.text for a in found.find_all("a", class_="item-title")] == ["Rainbow"]
    deck = found.find("a", **{"data-export": "all-apkg"}).attrs["href"]
    assert (await client.get(deck)).headers["content-type"] == "application/octet-stream"
    none = await page(client, "/app/library?q=rainbow&content_type=exercises")
    assert not none.find_all("a", class_="item-title")
    answer = await client.post(f"/app/library/{item_id}/delete", data={"csrf_token": csrf})
    assert answer.status_code == 303
    assert (await client.get(f"/content/{item_id}")).status_code == 404
    assert (await client.get(f"/app/library/{item_id}")).status_code == 404
    empty = await page(client, "/app/library")
    assert not empty.find_all("a", **{"data-export": "all-apkg"})  # nothing to export


async def test_password_change_and_account_deletion(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    async with second_client(app) as elsewhere:  # another session of the same learner
        await elsewhere.post("/auth/token", data={"username": "ana", "password": PASSWORD})
        other_token = (
            await elsewhere.post("/auth/token", data={"username": "ana", "password": PASSWORD})
        ).json()["access_token"]
    wrong = await client.post(
        "/app/profile/password",
        data={
            "csrf_token": csrf,
            "current_password": "not it",
            "new_password": "a new long password",
            "new_password_confirm": "a new long password",
        },
    )
    assert wrong.status_code == 403
    assert parse(wrong.text).find("p", id="current_password-error")
    changed = await client.post(
        "/app/profile/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "a new long password",
            "new_password_confirm": "a new long password",
        },
    )
    assert changed.status_code == 303
    assert (await client.get("/app/profile")).status_code == 200  # this session stays
    other = await client.get("/users/me", headers={"Authorization": f"Bearer {other_token}"})
    assert other.status_code == 401  # the others are revoked

    refused = await client.post(
        "/app/profile/delete", data={"csrf_token": csrf, "confirm_username": "an"}
    )
    assert refused.status_code == 422
    assert (await client.get("/users/me")).status_code == 200
    deleted = await client.post(
        "/app/profile/delete", data={"csrf_token": csrf, "confirm_username": "ana"}
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/?deleted=1"
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM users")) == 0


async def test_every_form_and_page_survives_hostile_values(
    client: httpx.AsyncClient, ana_item: tuple[str, int]
) -> None:
    """Each field of each form, and each query parameter, given values a browser never
    sends: a page with a 2xx, 3xx or 4xx status every time, never a 500 nor JSON."""
    csrf, item_id = ana_item
    routes = {path.replace("{id}", str(item_id)): fields for path, fields in FORM_FIELDS.items()}
    no_fields = {
        "/app/logout",
        f"/app/library/{item_id}/delete",
        f"/app/library/{item_id}/review",
        "/app/review/undo",
        "/app/conversations/1/finish",
        "/app/conversations/1/review",
        "/app/placement",
        "/app/plan/steps/1/start",
        "/app/admin/users/1/reset-code",
        "/app/admin/invites/1/revoke",
        f"/app/library/{item_id}/share",
        f"/app/library/{item_id}/unshare",
        f"/app/shared/{'A' * 32}/copy",
        "/app/classes/1/join-code",
        "/app/classes/1/leave",
        "/app/classes/1/members/1/remove",
        "/app/classes/1/delete",
    }
    assert set(routes) | no_fields == set(post_routes(item_id))
    valid = {"content_type": "flashcards", "query": "colours", "count": "2", "rating": "3"}
    seen: set[int] = set()
    for path, fields in routes.items():
        for name in fields:
            for value in HOSTILE_VALUES:
                form = {"csrf_token": csrf, **valid, name: value}
                answer = await client.post(path, data=form)
                seen.add(answer.status_code)
                assert answer.status_code < 500, (path, name, value[:40], answer.text[:300])
                if answer.status_code >= 400:
                    assert answer.headers["content-type"].startswith("text/html"), (path, name)
    for path, params in QUERY_PARAMS.items():
        for name in params:
            for value in HOSTILE_VALUES:
                answer = await client.get(path.replace("{id}", str(item_id)), params={name: value})
                seen.add(answer.status_code)
                assert answer.status_code < 500, (path, name, value[:40], answer.text[:300])
    assert {200, 303, 422}.issubset(seen), seen
    # The session and the data are intact.
    assert (await client.get("/app/profile")).status_code == 200
    assert (await client.get(f"/app/library/{item_id}")).status_code == 200


async def test_generating_without_a_language_asks_for_one(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana")  # no default language in the profile
    answer = await client.post(
        "/app/generate",
        data={"csrf_token": csrf, "content_type": "flashcards", "query": "colours", "count": "2"},
    )
    assert answer.status_code == 400
    form = parse(answer.text)
    assert "set a default on your profile" in form.find("p", id="target_language-error").text
    assert form.find("textarea", name="query").text == "colours"


async def test_review_settings_and_add_to_review_on_the_pages(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    """Automatic cards off on the profile; a saved set added by hand, once."""
    csrf = await sign_up(client, "ana", default_target_language="es")
    answer = await client.post(
        "/app/profile/review",
        data={"csrf_token": csrf, "timezone": "Asia/Kolkata", "review_new_per_day": "5"},
    )
    assert answer.status_code == 303  # the checkbox unticked: automatic cards off
    refused = await client.post(
        "/app/profile/review", data={"csrf_token": csrf, "timezone": "Mars/Olympus"}
    )
    assert refused.status_code == 422
    assert "such as Europe/Madrid" in parse(refused.text).find("p", id="timezone-error").text
    item_id = await saved_item(client, csrf)
    item = parse((await client.get(f"/app/library/{item_id}")).text)
    assert item.find("button", **{"data-add-review": ""}) is not None
    added = await client.post(f"/app/library/{item_id}/review", data={"csrf_token": csrf})
    assert added.headers["location"] == f"/app/library/{item_id}?review_added=2"
    item = parse((await client.get(added.headers["location"])).text)
    assert "2 cards added to your review" in item.find("div", role="status").text
    assert "All 2 cards of this set are in your review." in item.find("main").text
    again = await client.post(f"/app/library/{item_id}/review", data={"csrf_token": csrf})
    assert again.headers["location"].endswith("review_added=0")
    # Undo is offered once something was graded today, not before.
    review = parse((await client.get("/app/review")).text)
    assert review.find_all("form", **{"data-undo": ""}) == []
    card_id = review.find("form", **{"data-grades": ""}).attrs["action"].rsplit("/", 1)[1]
    graded = await client.post(
        f"/app/review/{card_id}", data={"csrf_token": csrf, "rating": "3", "reps": "0"}
    )
    assert graded.status_code in (200, 303)
    review = parse((await client.get("/app/review")).text)
    assert review.find("form", **{"data-undo": ""}) is not None
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_cards")) == 2
        zone = await connection.scalar(text("SELECT timezone FROM users"))
    assert zone == "Asia/Kolkata"


async def test_exercises_work_without_the_page_script(
    client: httpx.AsyncClient, bob: tuple[httpx.AsyncClient, str]
) -> None:
    """Each answer is a form post that answers a page with the server's verdict, a way on to
    the next exercise, and an Explain button that posts too; the generation's own page shows
    its exercises again, to its owner only."""
    csrf = await sign_up(client, "ana", default_target_language="es")
    answer = await client.post(
        "/app/generate",
        data={"csrf_token": csrf, "content_type": "exercises", "query": "yes", "count": "3"},
    )
    result = parse(answer.text)
    assert len(result.find_all("form", action="/app/exercises/check")) == 3
    assert "data-answer" not in answer.text  # the answers are not in the page
    gid = result.find("input", name="generation_id").attrs["value"]
    fields = {"csrf_token": csrf, "generation_id": gid, "item_index": "1"}

    checked = await client.post("/app/exercises/check", data=fields | {"answer": "si"})
    assert checked.status_code == 200
    checked_page = parse(checked.text)
    verdict = checked_page.find("div", **{"data-result": ""})
    assert verdict.attrs["data-verdict"] == "almost"
    assert "Mind the accent: sí" in verdict.text
    assert "<em>sí</em>" in checked.text
    assert f'href="/app/generations/{gid}#exercise-2">Next exercise' in checked.text
    explain_form = checked_page.find("form", action="/app/exercises/explain")
    assert explain_form is not None

    explained = await client.post("/app/exercises/explain", data=fields | {"answer": "si"})
    assert explained.status_code == 200
    explanation = parse(explained.text).find("div", **{"data-explanation": ""})
    assert "because of the rule" in explanation.text

    empty = await client.post("/app/exercises/check", data=fields | {"answer": "  "})
    assert empty.status_code == 400
    assert "Type or choose an answer first" in empty.text

    # One at a time is the page script's doing: the page holds every exercise as a plain form,
    # novalidate (an empty answer is said in the page, never in a browser's bubble); with
    # ?view=list it is the list to print, with the way back.
    forms = result.find_all("form", action="/app/exercises/check")
    assert all("novalidate" in form.attrs for form in forms)
    assert result.find_all("div", **{"data-one-at-a-time": ""})
    listed = await page(client, f"/app/generations/{gid}?view=list")
    assert len(listed.find_all("form", action="/app/exercises/check")) == 3
    assert not listed.find_all("div", **{"data-one-at-a-time": ""})
    assert listed.find_all("a", href=f"/app/generations/{gid}")

    again = await page(client, f"/app/generations/{gid}")
    assert len(again.find_all("form", action="/app/exercises/check")) == 3
    other, _ = bob
    assert (await other.get(f"/app/generations/{gid}")).status_code == 404
