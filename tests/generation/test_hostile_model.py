"""A model that answers text a database or a client cannot take (NUL, control characters, a
lone surrogate): the learner gets the content without them, and the activity log goes on for
every learner (one NUL in a logged answer used to stop it for everyone on PostgreSQL)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM, valid_content

HOSTILE = ("\x00", "\x07", "\x1b", "\ud800")


def clean(value: Any) -> bool:
    """No NUL, BEL, ESC nor lone surrogate anywhere in the value."""
    if isinstance(value, dict):
        return all(clean(key) and clean(item) for key, item in value.items())
    if isinstance(value, list):
        return all(clean(item) for item in value)
    if isinstance(value, str):
        return not any(character in value for character in HOSTILE)
    return True


async def test_nul_from_the_model_is_cleaned_and_the_log_goes_on_for_everyone(
    client: httpx.AsyncClient, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    _, asker = await user_with_token(client, default_target_language="es")
    _, other = await user_with_token(client, default_target_language="es")
    fake_llm.then("nul")
    answer = await client.post(
        "/generate/flashcards", headers=asker, json={"query": "tapas", "count": 3}
    )
    assert answer.status_code == 200, answer.text
    content = answer.json()["content"]
    assert clean(content)
    assert content == valid_content("flashcards", 3)  # what the model meant, served at once
    assert len(fake_llm.requests) == 1

    # Another learner's fresh generation is there to save, and their activity to read.
    await saved_flashcards(client, other, 3)
    items = (await client.get("/activity", headers=other)).json()["items"]
    assert sorted(item["event"] for item in items) == ["output", "query"]
    logged = (await client.get("/activity", headers=asker)).json()["items"]
    output = next(item for item in logged if item["event"] == "output")
    assert output["response_metadata"]["content"] == content
    async with db.connect() as connection:  # cleaned at the source: nothing set aside
        assert await connection.scalar(text("SELECT count(*) FROM activity_quarantine")) == 0


async def test_a_lone_surrogate_from_the_model_is_cleaned_not_refused(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    """An escape that no UTF-8 text can hold: dropped, rather than the answer refused as
    invalid JSON twice (a 502)."""
    _, headers = await user_with_token(client, default_target_language="es")
    fake_llm.then("surrogate").then("surrogate")
    answer = await client.post(
        "/generate/exercises", headers=headers, json={"query": "tapas", "count": 3}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"] == valid_content("exercises", 3)
    assert len(fake_llm.requests) == 1
    items = (await client.get("/activity", headers=headers)).json()["items"]
    assert sorted(item["event"] for item in items) == ["output", "query"]


async def test_an_explanation_with_nul_is_served_clean(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    """Practice asks the model through the same path: its answers are cleaned too."""
    _, headers = await user_with_token(client, default_target_language="es")
    generation = (
        await client.post(
            "/generate/exercises", headers=headers, json={"query": "tapas", "count": 3}
        )
    ).json()
    fake_llm.then("nul")
    explained = await client.post(
        "/exercises/explain",
        headers=headers,
        json={"generation_id": generation["generation_id"], "item_index": 0, "answer": "no"},
    )
    assert explained.status_code == 200, explained.text
    assert clean(explained.json())
    assert explained.json()["explanation"].startswith("The answer is")
