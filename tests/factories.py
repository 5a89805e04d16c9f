"""Plain factory functions: users and their tokens, through the real API."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


async def register(
    client: httpx.AsyncClient, username: str | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"username": username or f"learner{next(_counter)}", "password": PASSWORD, **fields}
    response = await client.post("/auth/register", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> dict[str, str]:
    response = await client.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def user_with_token(
    client: httpx.AsyncClient, **fields: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    user = await register(client, **fields)
    return user, await login(client, user["username"])
