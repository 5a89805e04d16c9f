"""Login CSRF by cookie tossing, from another port of the same host: a page there knows a CSRF
cookie and its token (it fetched them itself), plants the cookie in the learner's browser
(cookies know no ports) and posts the login form with the attacker's name and password. The
Origin check refuses it; `__Host-` cookies (with LANGTUTOR_COOKIE_SECURE) cannot be planted by
a plain-HTTP page at all."""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.app import create_app
from tests.conftest import make_settings
from tests.factories import PASSWORD, page_sign_up, register
from tests.web.html import parse

OTHER_PORT = {"Origin": "http://testserver:8080"}
SAME_SITE = {"Sec-Fetch-Site": "same-site"}
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def browser(app: FastAPI, base_url: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def tossed_login(app: FastAPI, headers: dict[str, str]) -> httpx.Response:
    """The attacker's login form, posted from the learner's browser with a planted cookie."""
    async with browser(app) as attacker:
        await register(attacker, "attacker")
        form = await attacker.get("/app/login")
        planted, token = form.cookies["langtutor_csrf"], parse(form.text).csrf_token()
    async with browser(app) as learner:
        learner.cookies.set("langtutor_csrf", planted)
        return await learner.post(
            "/app/login",
            data={"csrf_token": token, "username": "attacker", "password": PASSWORD},
            headers=headers,
        )


@pytest.mark.parametrize("headers", [OTHER_PORT, SAME_SITE, {"Origin": "null"}])
async def test_login_csrf_by_cookie_tossing_is_refused(
    app: FastAPI, db: AsyncEngine, headers: dict[str, str]
) -> None:
    answer = await tossed_login(app, headers)
    assert answer.status_code == 403
    assert "did not come from this site" in answer.text
    assert "langtutor_token" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize("headers", [SAME_ORIGIN, {"Sec-Fetch-Site": "none"}, {}])
async def test_a_login_from_this_sites_page_or_without_a_browser_goes_through(
    app: FastAPI, db: AsyncEngine, headers: dict[str, str]
) -> None:
    answer = await tossed_login(app, headers)
    assert answer.status_code == 303
    assert "langtutor_token" in answer.headers["set-cookie"]


async def test_cookie_authenticated_api_calls_from_another_origin_are_refused(
    app: FastAPI, db: AsyncEngine
) -> None:
    async with browser(app) as learner:
        assert (await page_sign_up(learner, "learner")).status_code == 303
        page = parse((await learner.get("/app/profile")).text)
        csrf = {"X-CSRF-Token": page.csrf_token()}
        for headers in (OTHER_PORT, SAME_SITE):
            answer = await learner.patch(
                "/users/me", json={"daily_goal": 99}, headers=csrf | headers
            )
            assert answer.status_code == 403, answer.text
            assert "must come from this site" in answer.json()["detail"]
        # A token that is not even ASCII is refused like any wrong one.
        answer = await learner.patch(
            "/users/me", json={"daily_goal": 99}, headers={"X-CSRF-Token": "é".encode("latin-1")}
        )
        assert answer.status_code == 403
        assert (await learner.get("/users/me")).json()["daily_goal"] == 20
        answer = await learner.patch(
            "/users/me", json={"daily_goal": 30}, headers=csrf | SAME_ORIGIN
        )
        assert answer.status_code == 200
        # A bearer token is no cookie: a front end of another origin (CORS) may use it.
        bearer = (
            await learner.post("/auth/token", data={"username": "learner", "password": PASSWORD})
        ).json()["access_token"]
        answer = await learner.patch(
            "/users/me",
            json={"daily_goal": 40},
            headers={"Authorization": f"Bearer {bearer}"} | OTHER_PORT,
        )
        assert answer.status_code == 200


def set_cookie_names(answer: httpx.Response) -> set[str]:
    names = set()
    for header in answer.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        names.update(jar)
    return names


async def test_secure_cookies_are_host_only_and_plain_names_are_ignored(
    database_url: str, db: AsyncEngine
) -> None:
    app = create_app(make_settings(database_url, COOKIE_SECURE=True))
    async with app.router.lifespan_context(app):
        async with browser(app, "https://testserver") as client:
            form = await client.get("/app/login")
            assert set_cookie_names(form) == {"__Host-langtutor_csrf"}
            await register(client, "secure")
            answer = await client.post(
                "/app/login",
                data={
                    "csrf_token": parse(form.text).csrf_token(),
                    "username": "secure",
                    "password": PASSWORD,
                },
                headers={"Origin": "https://testserver"},
            )
            assert answer.status_code == 303, answer.text
            assert set_cookie_names(answer) == {
                "__Host-langtutor_token",
                "__Host-langtutor_device",
            }
            assert (await client.get("/app/profile")).status_code == 200
            # The same session under the plain name (as a page elsewhere could plant it) is
            # no session at all.
            token = client.cookies["__Host-langtutor_token"]
            client.cookies.clear()
            client.cookies.set("langtutor_token", token)
            answer = await client.get("/app/profile")
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/app/login")
