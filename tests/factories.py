"""Plain factory functions: users and their tokens, through the real API."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from fastapi import FastAPI

from langtutor.accounts.credentials import signed_in_token
from langtutor.accounts.learner import Learner, learner_of
from langtutor.db import utcnow
from tests.web.html import parse

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


async def register(
    client: httpx.AsyncClient, username: str | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"username": username or f"learner{next(_counter)}", "password": PASSWORD, **fields}
    response = await client.post("/auth/register", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def page_sign_up(client: httpx.AsyncClient, username: str, **fields: str) -> httpx.Response:
    """The sign-up form posted as a browser posts it (with the page's CSRF token): the answer."""
    form = parse((await client.get("/app/register")).text)
    return await client.post(
        "/app/register",
        data={
            "csrf_token": form.csrf_token(),
            "username": username,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            **fields,
        },
    )


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


async def saved(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    generation: dict[str, Any],
    content: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A generation saved (with `content` instead of the generation's, if given): the item."""
    answer = await client.post(
        "/content/save",
        headers=headers,
        json={
            "content_type": generation["content_type"],
            "original_query": generation["query"],
            "content_data": generation["content"] if content is None else content,
            "generation_id": generation["generation_id"],
            **fields,
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def saved_flashcards(
    client: httpx.AsyncClient, headers: dict[str, str], count: int, label: str = "Tapas"
) -> dict[str, Any]:
    """A generation of flashcards (the app must talk to the fake model), saved: the item,
    with the generation's `generation_id`."""
    generation = (
        await client.post(
            "/generate/flashcards", headers=headers, json={"query": "tapas", "count": count}
        )
    ).json()
    return await saved(client, headers, generation, user_label=label)


async def saved_exercises(
    client: httpx.AsyncClient, headers: dict[str, str], content: dict[str, Any]
) -> int:
    """A hand-made exercise set (`content`), saved with a generation made first so that its
    languages are known (Spanish): the saved item's id."""
    generation = (
        await client.post(
            "/generate/exercises",
            headers=headers,
            json={"query": "market", "count": 3, "target_language": "es", "use_history": False},
        )
    ).json()
    return int((await saved(client, headers, generation, content))["saved_content_id"])


async def learner_of_headers(app: FastAPI, headers: dict[str, str]) -> Learner:
    """The `Learner` a bearer token belongs to, as `CurrentLearner` makes it: for calling a
    service object directly."""
    runtime = app.state.runtime
    settings = runtime.settings
    verified = await signed_in_token(
        tokens=runtime.tokens,
        sessions=runtime.db.autocommit_sessions,
        token=headers["Authorization"].removeprefix("Bearer "),
        secret_key=settings.SECRET_KEY,
        ttl_s=settings.ACCESS_TOKEN_TTL_S,
        now=utcnow(),
    )
    return learner_of(verified, settings)
