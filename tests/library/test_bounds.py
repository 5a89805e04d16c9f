"""What a client may store is bounded: every JSON field of every request has a bound that the
schema states, feedback's free-form `context_details` is small and flat, and a learner's
feedback is rate-limited, so that no learner can fill the disk."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.app import create_app
from tests.conftest import AppFactory, make_settings
from tests.factories import user_with_token
from tests.fakellm import valid_content
from tests.web.test_pages import sign_up

# Where a string needs no length: its value is one of a list, or a fixed format.
BOUNDED_FORMATS = {"uuid", "date-time", "date"}
PAGE_THUMB = {"item_index": 2, "thumb": "down"}  # what the pages send


def unbounded(schema: dict[str, Any], node: dict[str, Any], where: str) -> list[str]:
    """The places in a request schema where a client could send as much as it likes."""
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    found = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in node.get(key, []):
            found += unbounded(schema, option, where)
    kind = node.get("type")
    if kind == "string" and not (
        "maxLength" in node
        or "enum" in node
        or "const" in node
        or node.get("format") in BOUNDED_FORMATS
    ):
        found.append(where)
    if kind == "array":
        if "maxItems" not in node:
            found.append(where)
        found += unbounded(schema, node.get("items", {}), f"{where}[]")
    if kind == "object":
        extra = node.get("additionalProperties", "properties" not in node)
        if extra is not False and "maxProperties" not in node:
            found.append(where)
        if extra is not False and "propertyNames" in node:
            found += unbounded(schema, {"type": "string", **node["propertyNames"]}, f"{where}{{}}")
        if isinstance(extra, dict):
            found += unbounded(schema, extra, f"{where}.*")
    for name, child in node.get("properties", {}).items():
        found += unbounded(schema, child, f"{where}.{name}")
    return found


def test_every_json_field_a_client_sends_has_a_stated_bound() -> None:
    schema = create_app(make_settings("sqlite+aiosqlite:///:memory:")).openapi()
    found: list[str] = []
    bodies = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                bodies += 1
                found += unbounded(schema, body["schema"], f"{method.upper()} {path} ")
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path} ?{parameter['name']}"
                found += unbounded(schema, parameter["schema"], where)
    assert bodies >= 15
    assert found == []


@pytest.mark.parametrize(
    ("details", "words"),
    [
        ({"blob": "a" * (1024 * 1024 - 100)}, "at most 400 characters"),
        ({"snippet": "a" * 401}, "at most 400 characters"),
        ({f"key{n}": n for n in range(9)}, "at most 8 items"),
        ({"k" * 65: 1}, "at most 64 characters"),
        ({"": 1}, "at least 1 character"),
        ({"nested": {"deeper": [1, 2, 3]}}, "valid string"),
        ({"list": [1]}, "valid string"),
        ({"big": 10**20}, "less than or equal to 9007199254740991"),
        ({"item_index": 10_001}, "item_index"),
        ({"item_index": "2"}, "item_index"),
        ({"thumb": "sideways"}, "thumb"),
    ],
)
async def test_context_details_past_its_bounds_is_422_and_stores_nothing(
    client: httpx.AsyncClient, db: AsyncEngine, details: dict[str, Any], words: str
) -> None:
    _, headers = await user_with_token(client)
    answer = await client.post(
        "/feedback", headers=headers, json={"rating": 2, "context_details": details}
    )
    assert answer.status_code == 422, answer.text
    assert words in answer.text
    async with db.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM feedback"))).scalar_one() == 0


async def test_context_details_within_its_bounds_is_kept_as_sent(
    client: httpx.AsyncClient,
) -> None:
    _, headers = await user_with_token(client)
    largest = {f"{n:064d}": "é" * 400 for n in range(8)}
    for details in (PAGE_THUMB, {"query": "tapas", "score": 0.5, "ok": True, "x": None}, largest):
        answer = await client.post(
            "/feedback", headers=headers, json={"rating": 2, "context_details": details}
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["context_details"] == details
    # The largest there can be stays under 4 KB as JSON text.
    assert len(json.dumps(largest, ensure_ascii=False)) < 4096
    listed = (await client.get("/feedback", headers=headers, params={"limit": 200})).json()
    assert [item["context_details"] for item in listed][0] == largest
    over = await client.get("/feedback", headers=headers, params={"limit": 201})
    assert over.status_code == 422


async def test_saved_content_fields_past_their_bounds_are_422(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    cards = valid_content("flashcards", 2)
    long_front = {"cards": [cards["cards"][0] | {"front": "a" * 2001}]}
    too_many = {"cards": cards["cards"] * 26}
    for content in (long_front, too_many):
        answer = await client.post(
            "/content/save",
            headers=headers,
            json={"content_type": "flashcards", "original_query": "q", "content_data": content},
        )
        assert answer.status_code == 422, answer.text


async def post_feedback(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/feedback", headers=headers, json={"rating": 3, "context_details": PAGE_THUMB}
    )


async def test_feedback_is_rate_limited_per_learner(app_factory: AppFactory) -> None:
    async with app_factory(FEEDBACK_RATE_PER_MINUTE=3) as client:
        _, headers = await user_with_token(client)
        _, other = await user_with_token(client)
        # A post refused as invalid costs nothing.
        invalid = await client.post("/feedback", headers=headers, json={"rating": 9})
        assert invalid.status_code == 422
        for _ in range(3):
            assert (await post_feedback(client, headers)).status_code == 201
        limited = await post_feedback(client, headers)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert "at most 3 feedback posts per minute" in limited.json()["detail"]
        assert (await post_feedback(client, other)).status_code == 201


async def test_the_pages_feedback_counts_against_the_same_limit(app_factory: AppFactory) -> None:
    async with app_factory(FEEDBACK_RATE_PER_MINUTE=2) as client:
        csrf = await sign_up(client, "ana")
        answers = [
            await client.post(
                "/app/feedback",
                data={"csrf_token": csrf, "rating": "4"},
                headers={"X-Requested-With": "fetch"},
            )
            for _ in range(3)
        ]
        assert [answer.status_code for answer in answers] == [201, 201, 429]
        assert answers[2].headers["content-type"].startswith("text/html")
        assert "at most 2 feedback posts per minute" in answers[2].text


async def test_the_feedback_limit_holds_across_servers_on_postgresql(
    app_factory: AppFactory, backend: str
) -> None:
    """Two app instances stand for two workers: on PostgreSQL they share the window (on
    SQLite each process counts its own, as docs/configuration.md says)."""
    async with (
        app_factory(FEEDBACK_RATE_PER_MINUTE=3) as first,
        app_factory(FEEDBACK_RATE_PER_MINUTE=3) as second,
    ):
        _, headers = await user_with_token(first)
        answers = await asyncio.gather(
            *(post_feedback((first, second)[n % 2], headers) for n in range(8))
        )
        statuses = sorted(answer.status_code for answer in answers)
        if backend == "sqlite":
            assert statuses == [201] * 6 + [429] * 2
        else:
            assert statuses == [201] * 3 + [429] * 5
