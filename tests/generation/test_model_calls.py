"""Each learner's model calls under way are capped (`LANGTUTOR_MODEL_CALLS_PER_LEARNER`):
beyond it every kind of call (generation, explanation, conversation start and turns, streamed
or not) answers 429 with `Retry-After` at once, without reaching the model nor counting
against the rate limit, grading falls back to the letters, and another learner is served
meanwhile. The cap stays below the connections of the model client, so no learner holds them
all."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from langtutor.config import Settings
from langtutor.generation.providers import create_provider
from langtutor.generation.providers.base import CONNECTIONS, SDKProvider
from tests.conftest import make_settings
from tests.factories import user_with_token
from tests.fakellm import FakeLLM

SLOW_S = 3.0
CARDS = {"query": "tapas", "count": 3}


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"MODEL_CALLS_PER_LEARNER": 2, "GENERATION_RATE_PER_MINUTE": 1000}


async def model_asked(fake: FakeLLM, count: int) -> None:
    """Until the fake model has received `count` requests (they wait there)."""
    deadline = time.monotonic() + 20
    while len(fake.requests) < count:
        assert time.monotonic() < deadline, "the model was not asked in time"
        await asyncio.sleep(0.02)


def busy(answer: httpx.Response, calls: int = 2) -> None:
    """A 429 for calls under way: wait a moment (a call takes seconds), and why, in full."""
    assert answer.status_code == 429, answer.text
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["detail"] == (
        f"you have {calls} requests to the model under way (generations, answers being graded"
        " or explained, conversation turns), the most at a time; try again when one has"
        " finished"
    )


async def test_a_learner_with_calls_under_way_gets_429_for_any_other_and_another_is_served(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    _, other = await user_with_token(client, default_target_language="es")
    exercises = (await client.post("/generate/exercises", headers=headers, json=CARDS)).json()[
        "generation_id"
    ]
    cid = (await client.post("/conversations", headers=headers, json={"topic": "x"})).json()[
        "conversation_id"
    ]
    fake_llm.requests.clear()
    fake_llm.then("delay", SLOW_S).then("delay", SLOW_S)
    slow = [
        asyncio.ensure_future(client.post("/generate/flashcards", headers=headers, json=CARDS))
        for _ in range(2)
    ]
    await model_asked(fake_llm, 2)

    busy(await client.post("/generate/exercises", headers=headers, json=CARDS))
    explain = {"generation_id": exercises, "item_index": 0, "answer": "no"}
    busy(await client.post("/exercises/explain", headers=headers, json=explain))
    busy(await client.post("/conversations", headers=headers, json={"topic": "x"}))
    line = {"text": "Hola"}
    busy(await client.post(f"/conversations/{cid}/turns", headers=headers, json=line))
    stream = headers | {"Accept": "text/event-stream"}
    busy(await client.post(f"/conversations/{cid}/turns", headers=stream, json=line))
    # Grading a translation falls back to the letters, as when the model cannot.
    checked = await client.post(
        "/exercises/check",
        headers=headers,
        json={"generation_id": exercises, "item_index": 2, "answer": "sí"},
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["graded_by"] == "approximate"
    assert len(fake_llm.requests) == 2  # none of those reached the model

    started = time.monotonic()
    served = await client.post("/generate/flashcards", headers=other, json=CARDS)
    assert served.status_code == 200, served.text
    assert time.monotonic() - started < SLOW_S / 2  # not behind the busy learner's calls
    assert all(done.status_code == 200 for done in await asyncio.gather(*slow))
    # Their calls have ended: the learner may call again.
    again = await client.post(f"/conversations/{cid}/turns", headers=stream, json=line)
    assert again.status_code == 200
    assert "event: turn" in again.text


async def test_open_streamed_turns_count_until_they_end(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    _, other = await user_with_token(client, default_target_language="es")
    cids = [
        (await client.post("/conversations", headers=headers, json={"topic": "x"})).json()[
            "conversation_id"
        ]
        for _ in range(2)
    ]
    fake_llm.requests.clear()
    fake_llm.then("delay", SLOW_S).then("delay", SLOW_S)
    stream = headers | {"Accept": "text/event-stream"}
    streams = [
        asyncio.ensure_future(
            client.post(f"/conversations/{cid}/turns", headers=stream, json={"text": "Hola"})
        )
        for cid in cids
    ]
    await model_asked(fake_llm, 2)
    busy(await client.post("/generate/flashcards", headers=headers, json=CARDS))
    assert (await client.post("/generate/flashcards", headers=other, json=CARDS)).status_code == 200
    assert all("event: turn" in done.text for done in await asyncio.gather(*streams))
    assert (await client.post("/generate/flashcards", headers=headers, json=CARDS)).status_code == (
        200
    )


async def test_a_call_refused_as_busy_does_not_count_against_the_rate_limit(
    app_factory: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    settings = fake_llm_settings | {"MODEL_CALLS_PER_LEARNER": 1, "GENERATION_RATE_PER_MINUTE": 2}
    async with app_factory(**settings) as client:
        _, headers = await user_with_token(client, default_target_language="es")
        fake_llm.then("delay", SLOW_S)
        slow = asyncio.ensure_future(
            client.post("/generate/flashcards", headers=headers, json=CARDS)
        )
        await model_asked(fake_llm, 1)
        busy(await client.post("/generate/flashcards", headers=headers, json=CARDS), calls=1)
        assert (await slow).status_code == 200
        assert (
            await client.post("/generate/flashcards", headers=headers, json=CARDS)
        ).status_code == (200)  # the second of two a minute: the refused one did not count
        limited = await client.post("/generate/flashcards", headers=headers, json=CARDS)
        assert limited.status_code == 429
        assert "per minute" in limited.json()["detail"]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_no_learner_can_hold_all_of_the_model_clients_connections(
    database_url: str, provider: str
) -> None:
    with pytest.raises(ValidationError):
        Settings(MODEL_CALLS_PER_LEARNER=101)
    highest = Settings.model_fields["MODEL_CALLS_PER_LEARNER"].metadata
    assert max(rule.le for rule in highest if hasattr(rule, "le")) < CONNECTIONS
    made = create_provider(
        make_settings(database_url, LLM_PROVIDER=provider, LLM_BASE_URL="http://127.0.0.1:9")
    )
    assert isinstance(made, SDKProvider)
    # The pool the SDK's client draws from (its transport's limit): ours, stated.
    assert made.client._client._transport.limits.max_connections == CONNECTIONS
