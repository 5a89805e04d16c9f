"""Who may sign up (open, invite, closed; the first account as operator) and how long a login
lasts (browser sessions slide on use up to a maximum; API tokens are fixed unless refreshed),
through the real HTTP app and database, with the app's clock under the test's control."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from langtutor.accounts.models import User
from langtutor.cli import app as cli_app
from langtutor.db import utcnow
from tests.clock import Clock, controlled_clock
from tests.factories import PASSWORD, login, register
from tests.web.html import parse

DAY = timedelta(days=1)


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    with controlled_clock(app, utcnow()) as fixed:
        yield fixed


async def page_login(client: httpx.AsyncClient, username: str) -> None:
    form = parse((await client.get("/app/login")).text)
    answer = await client.post(
        "/app/login",
        data={
            "csrf_token": form.csrf_token(),
            "username": username,
            "password": PASSWORD,
            "next": "/app/progress",
        },
    )
    assert answer.status_code == 303, answer.text


async def test_a_browser_session_used_daily_outlives_a_day(
    client: httpx.AsyncClient, clock: Clock, db: AsyncEngine
) -> None:
    user = await register(client)
    await page_login(client, user["username"])
    for _ in range(5):  # every 20 hours, for four days
        clock.now += timedelta(hours=20)
        answer = await client.get("/app/progress")
        assert answer.status_code == 200, answer.headers.get("location")
    assert clock.now - utcnow() > 3 * DAY
    # The cookie lives as long as the longest session; the server ends it.
    # Left alone for more than a day, it expires.
    clock.now += DAY + timedelta(minutes=1)
    expired = await client.get("/app/progress")
    assert expired.status_code == 303
    assert "expired=1" in expired.headers["location"]


async def test_a_session_never_outlives_its_maximum(app_factory: Any, db: AsyncEngine) -> None:
    async with app_factory(SESSION_MAX_AGE_S=3 * 86_400) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        with controlled_clock(app, utcnow()) as clock:
            user = await register(client)
            await page_login(client, user["username"])
            statuses = []
            for _ in range(6):  # daily use, for five days
                clock.now += timedelta(hours=20)
                statuses.append((await client.get("/app/progress")).status_code)
        assert statuses[:3] == [200, 200, 200]
        assert statuses[-1] == 303  # three days after login, whatever the use


async def test_a_revoked_session_is_refused_at_once(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    user = await register(client)
    await page_login(client, user["username"])
    clock.now += timedelta(hours=20)
    assert (await client.get("/app/progress")).status_code == 200
    form = parse((await client.get("/app/progress")).text)
    assert (
        await client.post("/app/logout", data={"csrf_token": form.csrf_token()})
    ).status_code == 303
    token = next(iter(client.cookies.values()), None)
    assert (await client.get("/app/progress")).status_code == 303
    # A stolen copy of the cookie is refused too: the token itself is revoked.
    if token:
        client.cookies.set("langtutor_token", token)
        assert (await client.get("/users/me")).status_code == 401


async def test_api_tokens_keep_their_lifetime_unless_refreshed(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    user = await register(client)
    headers = await login(client, user["username"])
    clock.now += timedelta(hours=20)
    assert (await client.get("/users/me", headers=headers)).status_code == 200
    refreshed = await client.post("/auth/refresh", headers=headers)
    assert refreshed.status_code == 200
    new = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert (await client.get("/users/me", headers=headers)).status_code == 401  # revoked
    clock.now += timedelta(hours=10)  # 30 hours after login: the first would have expired
    assert (await client.get("/users/me", headers=new)).status_code == 200
    clock.now += DAY
    expired = await client.get("/users/me", headers=new)
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]


async def test_closed_registration_refuses_sign_up(app_factory: Any, db: AsyncEngine) -> None:
    async with app_factory(REGISTRATION="closed") as client:
        refused = await client.post(
            "/auth/register", json={"username": "newbie", "password": PASSWORD}
        )
        assert refused.status_code == 403
        assert "sign-up is closed" in refused.json()["detail"]
        page = await client.get("/app/register")
        assert page.status_code == 200
        assert "Sign-up is closed on this server" in page.text
        assert 'name="password"' not in page.text
        form = parse((await client.get("/app/login")).text)  # a CSRF token of this browser
        posted = await client.post(
            "/app/register",
            data={
                "csrf_token": form.csrf_token(),
                "username": "newbie",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
        )
        assert posted.status_code == 403
        # The page's own sentence (the API's detail is for programs).
        assert "Sign-up is closed" in parse(posted.text).find("div", role="alert").text
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM users")) == 0


def run_cli(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(cli_app, args, env=env)


async def test_invite_codes_work_once(
    app_factory: Any, database_url: str, db: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s" * 40
    env = {
        "LANGTUTOR_DATABASE_URL": database_url,
        "LANGTUTOR_SECRET_KEY": secret,
        "LANGTUTOR_REGISTRATION": "invite",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from langtutor.config import get_settings

    get_settings.cache_clear()
    try:
        made = await asyncio.to_thread(run_cli, ["invite", "create", "--count", "2"], env)
    finally:
        get_settings.cache_clear()
    assert made.exit_code == 0, made.output
    codes = re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", made.output)
    assert len(codes) == 2
    async with app_factory(REGISTRATION="invite", SECRET_KEY=secret) as client:
        body = {"username": "guest1", "password": PASSWORD}
        missing = await client.post("/auth/register", json=body)
        assert missing.status_code == 403
        assert "needs an invite code" in missing.json()["detail"]
        wrong = await client.post("/auth/register", json=body | {"invite_code": "AAAA-BBBB-CCCC"})
        assert wrong.status_code == 403
        # Typed by hand: lower case, no dashes.
        typed = codes[0].replace("-", "").lower()
        ok = await client.post("/auth/register", json=body | {"invite_code": typed})
        assert ok.status_code == 201, ok.text
        again = await client.post(
            "/auth/register",
            json={"username": "guest2", "password": PASSWORD, "invite_code": codes[0]},
        )
        assert again.status_code == 403
        assert "used already" in again.json()["detail"]
        # The page asks for the code, and takes the second one.
        page = await client.get("/app/register")
        assert 'name="invite_code"' in page.text
        posted = await client.post(
            "/app/register",
            data={
                "csrf_token": parse(page.text).csrf_token(),
                "username": "guest3",
                "password": PASSWORD,
                "password_confirm": PASSWORD,
                "invite_code": codes[1],
            },
        )
        assert posted.status_code == 303, posted.text
    async with db.connect() as connection:
        names = set((await connection.execute(select(User.username))).scalars())
        used = await connection.scalar(
            text("SELECT count(*) FROM invite_codes WHERE used_by_user_id IS NOT NULL")
        )
    assert names == {"guest1", "guest3"}
    assert used == 2


async def test_the_first_account_becomes_the_operator(app_factory: Any, db: AsyncEngine) -> None:
    async with app_factory(REGISTRATION="closed", FIRST_USER_ADMIN=True) as client:
        first = await client.post(
            "/auth/register", json={"username": "owner", "password": PASSWORD}
        )
        assert first.status_code == 201
        assert first.json()["is_admin"] is True
        second = await client.post(
            "/auth/register", json={"username": "other", "password": PASSWORD}
        )
        assert second.status_code == 403


async def test_cli_makes_an_operator(
    database_url: str, db: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "LANGTUTOR_DATABASE_URL": database_url,
        "LANGTUTOR_SECRET_KEY": "k" * 40,
        "LANGTUTOR_NEW_PASSWORD": PASSWORD,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from langtutor.config import get_settings

    get_settings.cache_clear()
    try:
        made = await asyncio.to_thread(run_cli, ["user", "create", "boss", "--admin"], env)
    finally:
        get_settings.cache_clear()
    assert made.exit_code == 0, made.output
    assert "created operator 'boss'" in made.output
    async with db.connect() as connection:
        assert await connection.scalar(select(User.is_admin).where(User.username == "boss")) is True
