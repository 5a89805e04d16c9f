"""Inputs that fuzzing once turned into 500s: each now gets a clear 4xx and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import user_with_token

CARDS = {"cards": [{"front": "hola", "back": "hello"}]}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("post", "/auth/token", {"data": {"username": "a\x00b", "password": "whatever1"}}, 422),
        ("post", "/auth/register", {"json": {"username": "abc", "password": "pass\x00word"}}, 422),
        ("patch", "/users/me", {"json": {"default_base_language": "\x00\U00010000"}}, 422),
        ("post", "/generate/flashcards", {"json": {"query": "tapas", "count": True}}, 422),
        (
            "post",
            "/generate/simulation",
            {"json": {"query": "x", "base_language": "\x00\x80"}},
            422,
        ),
        (
            "post",
            "/content/save",
            {
                "json": {
                    "content_type": "flashcards",
                    "original_query": "q",
                    "content_data": {"cards": [{"front": "a\x00", "back": "b"}]},
                }
            },
            422,
        ),
        ("post", "/feedback", {"json": {"rating": True}}, 422),
        ("get", "/content", {"params": {"q": "a\x00b"}}, 422),
        ("get", "/content/99999999999999999999", {}, 422),
        ("delete", "/content/2147483647", {}, 404),
        ("get", "/activity", {"params": {"before": "0"}}, 422),
        ("get", "/progress", {"params": {"tz": "\x00"}}, 422),
        (
            "post",
            "/auth/register",
            {"content": b"{\xff\xfe", "headers": {"Content-Type": "application/json"}},
            422,
        ),
    ],
)
async def test_hostile_input_is_4xx_and_harmless(
    client: httpx.AsyncClient,
    db: AsyncEngine,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    headers = headers | kwargs.pop("headers", {})
    answer = await client.request(method.upper(), path, headers=headers, **kwargs)
    assert answer.status_code == status, answer.text
    assert "detail" in answer.json()
    async with db.connect() as connection:
        for table in ("saved_content", "feedback", "activity_log"):
            assert (
                await connection.execute(text(f"SELECT count(*) FROM {table}"))
            ).scalar_one() == 0
