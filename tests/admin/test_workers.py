"""What must hold across a real `langtutor serve --workers 2`, on both databases: the first
operator is made exactly once however many first sign-ups race (the database decides: a
conditional update of the server's settings row), and a disabled learner's token is refused
by every worker within a second (PostgreSQL: the change's notice; SQLite, or a worker that
lost the notices: the token cache trusts an entry for 1 s at most)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD
from tests.servers import ServerProcess

pytestmark = pytest.mark.slow


def server_settings(database_url: str, **more: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "LLM_PROVIDER": "none",
        "FIRST_USER_ADMIN": "true",
        "SIGNUP_RATE_PER_HOUR": "1000",
        **more,
    }


async def fresh_request(url: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    """On a connection of its own: the kernel hands it to either worker."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return await http.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_the_first_operator_is_made_once_under_concurrent_sign_ups(
    database_url: str, db: AsyncEngine
) -> None:
    with ServerProcess(server_settings(database_url), workers=2) as server:
        clients = [httpx.AsyncClient(base_url=server.url, timeout=60) for _ in range(12)]

        async def sign_up(n: int, http: httpx.AsyncClient) -> int:
            async with http:
                body = {"username": f"first{n}", "password": PASSWORD}
                return (await http.post("/auth/register", json=body)).status_code

        statuses = await asyncio.gather(*(sign_up(n, http) for n, http in enumerate(clients)))
    assert statuses == [201] * 12
    async with db.connect() as connection:
        operators = await connection.scalar(
            text("SELECT count(*) FROM users WHERE is_admin = :yes"), {"yes": True}
        )
        users = await connection.scalar(text("SELECT count(*) FROM users"))
    assert (operators, users) == (1, 12)


async def test_a_disabled_learner_is_refused_by_every_worker_within_a_second(
    database_url: str, db: AsyncEngine
) -> None:
    ttl_s = 3.0  # longer than the second that must hold, so that it is the cache's bound
    settings = server_settings(database_url, TOKEN_CACHE_TTL_S=str(ttl_s))
    with ServerProcess(settings, workers=2) as server:
        url = server.url
        for name in ("boss", "lea"):
            body = {"username": name, "password": PASSWORD}
            assert (
                await fresh_request(url, "POST", "/auth/register", json=body)
            ).status_code == 201
        tokens = {}
        for name in ("boss", "lea"):
            form = {"username": name, "password": PASSWORD}
            answer = await fresh_request(url, "POST", "/auth/token", data=form)
            tokens[name] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        lea = (await fresh_request(url, "GET", "/users/me", headers=tokens["lea"])).json()
        await asyncio.sleep(ttl_s + 0.3)  # the logins' hold of the cache lapses
        for _ in range(10):  # each worker checks and caches Lea's token
            answer = await fresh_request(url, "GET", "/users/me", headers=tokens["lea"])
            assert answer.status_code == 200
        changed = await fresh_request(
            url,
            "PATCH",
            f"/admin/users/{lea['user_id']}",
            headers=tokens["boss"],
            json={"disabled": True},
        )
        assert changed.status_code == 200, changed.text
        await asyncio.sleep(1.0)
        statuses = [
            (await fresh_request(url, "GET", "/users/me", headers=tokens["lea"])).status_code
            for _ in range(16)
        ]
        assert statuses == [401] * 16
        form = {"username": "lea", "password": PASSWORD}
        refused = await fresh_request(url, "POST", "/auth/token", data=form)
        assert refused.status_code == 403
        assert "disabled" in refused.json()["detail"]
