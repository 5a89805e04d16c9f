"""Conversation turns when the model answers text a database or a client cannot take, or
breaks off, or the database goes away mid-turn: a plain turn answers cleaned text (never a
500), a streamed one ends with its `turn` or with an `error` event (never a dropped
connection), and other learners' activity goes on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conversation.test_routes import parse_events
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM
from tests.generation.test_hostile_model import clean
from tests.tcpproxy import proxy_for

STREAM = {"Accept": "text/event-stream"}


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"GENERATION_RATE_PER_MINUTE": 100_000}


async def conversation(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    started = await client.post("/conversations", headers=headers, json={"topic": "market"})
    assert started.status_code == 201, started.text
    return int(started.json()["conversation_id"])


async def turns(client: httpx.AsyncClient, headers: dict[str, str], cid: int) -> list[Any]:
    return list((await client.get(f"/conversations/{cid}", headers=headers)).json()["turns"])


async def others_go_on(client: httpx.AsyncClient) -> None:
    """Another learner generates, saves at once and reads their activity."""
    _, other = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, other, 3)
    items = (await client.get("/activity", headers=other)).json()["items"]
    assert sorted(item["event"] for item in items) == ["output", "query"]


async def test_a_plain_turn_with_nul_is_answered_clean(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    cid = await conversation(client, headers)
    fake_llm.then("nul")
    turn = await client.post(
        f"/conversations/{cid}/turns", headers=headers, json={"text": "Hola, soy cansado."}
    )
    assert turn.status_code == 200, turn.text
    assert clean(turn.json())
    assert turn.json()["reply"] == "¡Claro! ¿Algo más? (turno 2)"
    assert turn.json()["corrections"][0]["corrected"] == "estoy cansado"
    stored = await turns(client, headers, cid)
    assert len(stored) == 3
    assert clean(stored)
    await others_go_on(client)
    logged = (await client.get("/activity", headers=headers)).json()["items"]
    assert "reply" in {item["event"] for item in logged}
    assert clean(logged)


@pytest.fixture(params=["openai", "anthropic"])
async def each_provider(
    request: pytest.FixtureRequest,
    app_factory: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app talking to the fake model through each provider's SDK."""
    settings = fake_llm_settings | {"GENERATION_RATE_PER_MINUTE": 100_000}
    if request.param == "anthropic":
        settings |= {"LLM_PROVIDER": "anthropic", "LLM_BASE_URL": fake_llm.anthropic_url}
    async with app_factory(**settings) as client:
        yield client


async def test_a_streamed_turn_with_nul_streams_clean_text(
    each_provider: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    client = each_provider
    _, headers = await user_with_token(client, default_target_language="es")
    cid = await conversation(client, headers)
    fake_llm.stream_chunks = 60  # escapes split between pieces too
    try:
        fake_llm.then("nul")
        answer = await client.post(
            f"/conversations/{cid}/turns", headers=headers | STREAM, json={"text": "Hola"}
        )
    finally:
        fake_llm.stream_chunks = 12
    assert answer.status_code == 200
    events = parse_events(answer.text)
    assert [kind for kind, _ in events][-1] == "turn", answer.text
    assert clean(events)
    final = events[-1][1]
    assert final["reply"] == "¡Claro! ¿Algo más? (turno 2)"
    streamed = "".join(data.get("text", "") for kind, data in events if kind == "reply")
    assert streamed == final["reply"]
    assert clean(await turns(client, headers, cid))
    await others_go_on(client)


async def test_a_stream_the_model_breaks_off_ends_with_an_error_event(
    each_provider: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    """The model server drops the connection halfway: the learner hears it, in an `error`
    event, and nothing of the turn is kept; the next line works."""
    client = each_provider
    _, headers = await user_with_token(client, default_target_language="es")
    cid = await conversation(client, headers)
    fake_llm.then("cut")
    answer = await client.post(
        f"/conversations/{cid}/turns", headers=headers | STREAM, json={"text": "Hola"}
    )
    events = parse_events(answer.text)
    kind, data = events[-1]
    assert kind == "error", answer.text
    assert data["status"] == 503
    assert "broke off" in data["detail"]
    assert len(await turns(client, headers, cid)) == 1
    again = await client.post(
        f"/conversations/{cid}/turns", headers=headers | STREAM, json={"text": "Hola"}
    )
    assert parse_events(again.text)[-1][0] == "turn"


async def test_a_database_outage_mid_stream_ends_with_an_error_event(
    serve: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
    database_url: str,
    backend: str,
) -> None:
    """Any failure after the stream began, here the database gone when the turn is stored:
    an `error` event, not a connection dropped without a word."""
    if backend != "postgresql":
        pytest.skip("a network outage needs a network database; SQLite is a local file")
    proxy, through_proxy = await proxy_for(database_url)
    server = serve(**fake_llm_settings, DATABASE_URL=through_proxy)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            _, headers = await user_with_token(client, default_target_language="es")
            cid = await conversation(client, headers)
            fake_llm.stream_chunks, fake_llm.token_delay_s = 20, 0.05
            body = ""
            try:
                async with client.stream(
                    "POST",
                    f"/conversations/{cid}/turns",
                    headers=headers | STREAM,
                    json={"text": "Hola"},
                ) as answer:
                    async for chunk in answer.aiter_text():
                        if not body and "event: reply" in chunk:
                            await proxy.stop()  # the model still talks; the database is gone
                        body += chunk
            finally:
                fake_llm.stream_chunks, fake_llm.token_delay_s = 12, 0.0
                await proxy.start()  # for the server's shutdown, which writes its log
            kind, data = parse_events(body)[-1]
            assert kind == "error", body
            assert data["status"] == 503
            assert "database" in data["detail"].lower()
    finally:
        server.stop()
        await proxy.stop()
