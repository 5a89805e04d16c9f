"""The Anthropic provider through the real `anthropic` SDK against the fake Messages server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AppFactory
from tests.factories import user_with_token
from tests.fakellm import FakeLLM


@pytest.fixture
def anthropic_app(app_factory: AppFactory, fake_llm: FakeLLM) -> Any:
    return app_factory(
        LLM_PROVIDER="anthropic", LLM_BASE_URL=fake_llm.anthropic_url, LLM_MODEL="claude-fake"
    )


async def test_valid(anthropic_app: Any, fake_llm: FakeLLM) -> None:
    async with anthropic_app as client:
        _, headers = await user_with_token(client, default_target_language="es")
        answer = await client.post(
            "/generate/flashcards", headers=headers, json={"query": "tapas", "count": 3}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["provider"] == "anthropic"
    assert len(answer.json()["content"]["cards"]) == 3
    sent = fake_llm.requests[-1]
    assert sent.path == "/v1/messages"
    assert sent.body["output_config"]["format"]["type"] == "json_schema"
    assert "tapas" not in sent.system
    assert sent.user_messages == ["<request>\ntapas\n</request>"]


async def test_invalid_then_valid(anthropic_app: Any, fake_llm: FakeLLM) -> None:
    fake_llm.then("invalid_json")
    async with anthropic_app as client:
        _, headers = await user_with_token(client, default_target_language="es")
        answer = await client.post("/generate/simulation", headers=headers, json={"query": "bar"})
    assert answer.status_code == 200
    assert len(fake_llm.requests) == 2


@pytest.mark.parametrize(
    ("script", "status"),
    [
        (["invalid_json", "wrong_schema"], 502),
        (["http_500"], 503),
        (["http_429"], 503),
        (["refusal"], 502),
    ],
)
async def test_errors(
    anthropic_app: Any, fake_llm: FakeLLM, script: list[str], status: int
) -> None:
    for behaviour in script:
        fake_llm.then(behaviour)
    async with anthropic_app as client:
        _, headers = await user_with_token(client, default_target_language="es")
        answer = await client.post(
            "/generate/exercises", headers=headers, json={"query": "bar", "count": 2}
        )
    assert answer.status_code == status
    assert answer.json()["detail"]


async def test_timeout(app_factory: AppFactory, fake_llm: FakeLLM) -> None:
    fake_llm.then("delay", 3)
    async with app_factory(
        LLM_PROVIDER="anthropic", LLM_BASE_URL=fake_llm.anthropic_url, LLM_TIMEOUT_S=0.5
    ) as client:
        _, headers = await user_with_token(client, default_target_language="es")
        answer = await client.post("/generate/simulation", headers=headers, json={"query": "bar"})
    assert answer.status_code == 504


async def test_refused_connection(app_factory: AppFactory) -> None:
    async with app_factory(LLM_PROVIDER="anthropic", LLM_BASE_URL="http://127.0.0.1:9") as client:
        _, headers = await user_with_token(client, default_target_language="es")
        answer = await client.post("/generate/simulation", headers=headers, json={"query": "bar"})
    assert answer.status_code == 503
    assert "cannot be reached" in answer.json()["detail"]
