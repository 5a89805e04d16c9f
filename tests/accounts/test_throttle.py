"""Login and sign-up throttling through the real HTTP app, with clients at different
addresses: a stranger's wrong passwords never refuse the owner, a flood from one address is
refused before any password is hashed, guessing spread over many addresses holds back unknown
clients only, sign-ups are limited per address, and old attempts are purged."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.accounts import security
from langtutor.accounts.models import LoginAttempt, SignUpAttempt
from langtutor.accounts.throttle import ACCOUNT_MAX_FAILURES, LOGIN_MAX_FAILURES, client_address
from langtutor.db import utcnow
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, page_sign_up, register
from tests.servers import ServerProcess
from tests.web.html import parse

PER_CLIENT = 10
SIGNUPS = 3
WRONG = "wrong password"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"LOGIN_FAILURES_PER_CLIENT": PER_CLIENT, "SIGNUP_RATE_PER_HOUR": SIGNUPS}


@pytest.fixture
async def at(app: FastAPI) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """`at("203.0.113.9")`: a client of the app that connects from that address."""
    clients: list[httpx.AsyncClient] = []

    def client_at(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return clients[-1]

    yield client_at
    for client in clients:
        await client.aclose()


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many Argon2 hashes and checks the server ran (the library's, counted on the way)."""
    counts = {"hash": 0, "verify": 0}
    for name in counts:
        real = getattr(security.password_hash, name)

        def counted(*args: Any, _name: str = name, _real: Any = real) -> Any:
            counts[_name] += 1
            return _real(*args)

        monkeypatch.setattr(security.password_hash, name, counted)
    return counts


async def token(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> int:
    answer = await client.post("/auth/token", data={"username": username, "password": password})
    return answer.status_code


async def test_a_strangers_wrong_passwords_never_refuse_the_owner(
    at: Callable[[str], httpx.AsyncClient], db: AsyncEngine
) -> None:
    owner, stranger = at("198.51.100.7"), at("203.0.113.9")
    user = await register(owner)
    name = user["username"]
    statuses = [await token(stranger, name, WRONG) for _ in range(LOGIN_MAX_FAILURES + 3)]
    assert statuses == [401] * LOGIN_MAX_FAILURES + [429] * 3
    # The stranger is held back, with the right password too ...
    assert await token(stranger, name) == 429
    # ... the owner is not, through the API or the login page.
    assert await token(owner, name) == 200
    form = parse((await owner.get("/app/login")).text)
    answer = await owner.post(
        "/app/login",
        data={"csrf_token": form.csrf_token(), "username": name, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text
    # The stranger's page says why, in its own words.
    form = parse((await stranger.get("/app/login")).text)
    answer = await stranger.post(
        "/app/login",
        data={"csrf_token": form.csrf_token(), "username": name, "password": PASSWORD},
    )
    assert answer.status_code == 429
    assert 0 < int(answer.headers["retry-after"]) <= 15 * 60
    shown = parse(answer.text).find("div", role="alert").text
    assert "Too many failed logins for this username from here: you can try again in" in shown
    # The owner's success does not wipe the stranger's count.
    assert await token(stranger, name, WRONG) == 429


async def test_a_login_flood_from_one_address_is_refused_before_any_hash(
    at: Callable[[str], httpx.AsyncClient], db: AsyncEngine, hashes: dict[str, int]
) -> None:
    flood, owner = at("203.0.113.50"), at("2001:db8:1:2::1")
    user = await register(owner)
    statuses = [await token(flood, f"nobody{n}", WRONG) for n in range(PER_CLIENT + 5)]
    assert statuses == [401] * PER_CLIENT + [429] * 5
    assert hashes["verify"] == PER_CLIENT  # the refused ones cost no Argon2 check
    answer = await flood.post("/auth/token", data={"username": "anyone", "password": WRONG})
    assert answer.status_code == 429
    assert "network address" in answer.json()["detail"]
    assert 0 < int(answer.headers["retry-after"]) <= 15 * 60
    # Another address, and another machine of the owner's IPv6 /64 network, are not held back.
    assert await token(owner, user["username"]) == 200
    assert await token(at("2001:db8:1:3::1"), user["username"]) == 200
    async with db.connect() as connection:
        refused_rows = await connection.scalar(
            select(func.count()).where(LoginAttempt.client == "addr:203.0.113.50")
        )
    assert refused_rows == PER_CLIENT  # refused attempts leave no row: a flood cannot extend it


async def test_guessing_spread_over_many_addresses_holds_back_unknown_clients_only(
    at: Callable[[str], httpx.AsyncClient], db: AsyncEngine
) -> None:
    laptop = at("192.0.2.1")
    user = await register(laptop)
    name = user["username"]
    assert await token(laptop, name) == 200  # the owner's device is known from now on
    attackers = ACCOUNT_MAX_FAILURES // LOGIN_MAX_FAILURES
    for number in range(attackers):
        attacker = at(f"203.0.113.{number + 1}")
        for _ in range(LOGIN_MAX_FAILURES):
            assert await token(attacker, name, WRONG) == 401
    fresh = at("198.51.100.99")
    answer = await fresh.post("/auth/token", data={"username": name, "password": PASSWORD})
    assert answer.status_code == 429
    assert "device you have signed in on before" in answer.json()["detail"]
    # The owner's laptop still signs in, even from an attacker's address.
    laptop_elsewhere = at("203.0.113.1")
    laptop_elsewhere.cookies = laptop.cookies
    assert await token(laptop_elsewhere, name) == 200
    # A device cookie of another account (or a forged one) does not help.
    other = await register(fresh)
    await token(fresh, other["username"])
    assert await token(fresh, name) == 429
    fresh.cookies.set("langtutor_device", "forged.0123456789abcdef0123456789abcdef")
    assert await token(fresh, name) == 429
    # Nor does one that is no cookie of ours at all: still no more than a refusal.
    for cookie in ("é.é".encode("latin-1"), b"x" * 3000 + b".y", b"."):
        answer = await fresh.post(
            "/auth/token",
            data={"username": name, "password": PASSWORD},
            headers={"Cookie": b"langtutor_device=" + cookie},
        )
        assert answer.status_code == 429, cookie


async def test_sign_ups_are_limited_per_address_before_any_hash(
    at: Callable[[str], httpx.AsyncClient], db: AsyncEngine, hashes: dict[str, int]
) -> None:
    busy, other = at("203.0.113.7"), at("198.51.100.7")
    for number in range(SIGNUPS - 1):
        await register(busy, f"signup{number}")
    taken = await busy.post("/auth/register", json={"username": "signup0", "password": PASSWORD})
    assert taken.status_code == 409  # counted too: it tells what is taken
    refused = await busy.post("/auth/register", json={"username": "late", "password": PASSWORD})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert hashes["hash"] == SIGNUPS - 1
    page = await page_sign_up(busy, "late")
    assert page.status_code == 429
    assert 0 < int(page.headers["retry-after"]) <= 3600
    shown = parse(page.text).find("div", role="alert").text
    assert re.search(
        r"Too many sign-ups from your network: you can try again in \d+ minutes\.", shown
    )
    await register(other, "elsewhere")


async def test_old_attempts_are_purged_when_attempts_are_written(
    at: Callable[[str], httpx.AsyncClient], db: AsyncEngine
) -> None:
    now = utcnow()
    async with db.begin() as connection:
        await connection.execute(
            insert(LoginAttempt),
            [
                {"username": "ghost", "client": "addr:192.0.2.9", "attempted_at": when}
                for when in (now - timedelta(minutes=16), now - timedelta(days=30))
            ],
        )
        await connection.execute(
            insert(SignUpAttempt),
            [{"client": "192.0.2.9", "attempted_at": now - timedelta(minutes=61)}],
        )
        await connection.execute(
            insert(LoginAttempt),
            [{"username": "ghost", "client": "addr:192.0.2.9", "attempted_at": now}],
        )
    client = at("203.0.113.8")
    assert await token(client, "someone", WRONG) == 401
    await register(client)
    async with db.connect() as connection:
        kept = (await connection.execute(select(LoginAttempt.username))).scalars().all()
        sign_ups = (await connection.execute(select(SignUpAttempt.client))).scalars().all()
    assert sorted(kept) == ["ghost", "someone"]  # the fresh ones stay
    assert sign_ups == ["203.0.113.8"]


def test_addresses_are_counted_by_machine() -> None:
    assert client_address("203.0.113.9") == "203.0.113.9"
    assert client_address("2001:db8:1:2:aaaa::1") == client_address("2001:db8:1:2::ffff")
    assert client_address("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_address("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_address(None) == "unknown"


@asynccontextmanager
async def clients_of(*urls: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in urls]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


@pytest.mark.slow
async def test_the_throttle_counts_by_client_across_two_server_processes(
    database_url: str, db: AsyncEngine, tmp_path: Path
) -> None:
    """Behind a proxy on the same machine (uvicorn trusts X-Forwarded-For from 127.0.0.1),
    each learner is counted by their own address, whichever process answers."""
    settings = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET}
    stranger = {"X-Forwarded-For": "203.0.113.9"}
    owner = {"X-Forwarded-For": "198.51.100.7"}
    with (
        ServerProcess(settings, log=tmp_path / "a.log") as first,
        ServerProcess(settings, log=tmp_path / "b.log") as second,
    ):
        async with clients_of(first.url, second.url) as servers:
            user = await register(servers[0])
            name = user["username"]
            for n in range(LOGIN_MAX_FAILURES):  # failures spread over both processes
                answer = await servers[n % 2].post(
                    "/auth/token", data={"username": name, "password": WRONG}, headers=stranger
                )
                assert answer.status_code == 401
            for server in servers:
                refused = await server.post(
                    "/auth/token", data={"username": name, "password": PASSWORD}, headers=stranger
                )
                assert refused.status_code == 429
                welcome = await server.post(
                    "/auth/token", data={"username": name, "password": PASSWORD}, headers=owner
                )
                assert welcome.status_code == 200, welcome.text
