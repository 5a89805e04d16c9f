"""Content checks on real generations: the fake model answers in the wrong language or
repeats cards, the service re-asks once with the problem named (asserted on what the model
received), and serves the second answer or answers 502."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import user_with_token
from tests.fakellm import FakeLLM
from tests.generation.test_routes import generate


async def entries(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = await client.get("/activity", headers=headers)
    assert answer.status_code == 200
    return list(answer.json()["items"])


async def test_french_cards_for_a_spanish_request_are_asked_again(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    fake_llm.then("french")
    answer = await generate(client, headers, count=3)
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"]["cards"][0]["example"] == "Uso la palabra 1."
    _, second = fake_llm.requests
    repair = second.user_messages[-1]
    assert "the examples must be in Spanish (es), but they are in French (fr)" in repair
    shown = [m["content"] for m in second.body["messages"] if m["role"] == "assistant"]
    assert "le mot 1" in shown[0]  # its first answer, with the problem

    output = next(entry for entry in await entries(client, headers) if entry["event"] == "output")
    quality = output["response_metadata"]["quality"]
    assert quality["first_try"] == ["language"]
    assert quality["language"]["examples"] == {
        "status": "checked",
        "expected": "es",
        "detected": "es",
        "score": quality["language"]["examples"]["score"],
    }
    assert output["response_metadata"]["attempts"] == 2
    version = output["response_metadata"]["prompt_version"]
    exposed = (await client.get("/metrics")).text
    assert (
        'langtutor_generation_quality_total{content_type="flashcards",model="fake-model",'
        f'outcome="reasked_language",prompt_version="{version}",target_language="es"}}'
    ) in exposed


async def test_the_wrong_language_twice_is_a_502(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    fake_llm.then("french").then("french")
    answer = await generate(client, headers, count=3)
    assert answer.status_code == 502
    assert answer.json()["detail"] == (
        "the language model answered flashcards in the wrong language twice: the examples "
        "must be in Spanish (es), but they are in French (fr)"
    )
    error = next(entry for entry in await entries(client, headers) if entry["event"] == "error")
    assert error["response_metadata"]["error"] == "wrong_language"
    assert len(error["response_metadata"]["prompt_version"]) == 10


async def test_one_word_fronts_are_too_short_to_judge(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    fake_llm.then("one_word")  # French words, but single words prove nothing
    answer = await generate(client, headers, count=4)
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"]["cards"][0]["front"] == "chat"
    assert len(fake_llm.requests) == 1
    output = next(entry for entry in await entries(client, headers) if entry["event"] == "output")
    fronts = output["response_metadata"]["quality"]["language"]["fronts"]
    assert fronts == {"status": "unchecked", "expected": "es", "reason": "too short to judge"}


async def test_repeated_fronts_are_asked_again(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    fake_llm.then("duplicates")
    answer = await generate(client, headers, count=3)
    assert answer.status_code == 200, answer.text
    fronts = [card["front"] for card in answer.json()["content"]["cards"]]
    assert len(set(fronts)) == 3
    assert (
        "cards 1 and 3 have the same front 'la palabra 1'"
        in (fake_llm.requests[1].user_messages[-1])
    )

    fake_llm.then("duplicates").then("duplicates")
    twice = await generate(client, headers, count=3, use_history=False)
    assert twice.status_code == 502
    assert "repeated cards in flashcards twice" in twice.json()["detail"]


async def test_a_repeat_of_recent_fronts_is_asked_again(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    assert (await generate(client, headers, count=2)).status_code == 200
    fake_llm.requests.clear()
    fake_llm.then("ignore_history")  # numbers from 1 again: both fronts repeat the last set
    again = await generate(client, headers, count=2)
    assert again.status_code == 200
    repair = fake_llm.requests[1].user_messages[-1]
    assert "repeat the learner's recent cards" in repair
    assert "'la palabra 1', 'la palabra 2'" in repair
    # The second answer heeds the history.
    assert [card["front"] for card in again.json()["content"]["cards"]] == [
        "la palabra 3",
        "la palabra 4",
    ]


async def test_the_prompt_version_is_recorded(client: httpx.AsyncClient, fake_llm: FakeLLM) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    assert (await generate(client, headers, count=2)).status_code == 200
    query, output = sorted(await entries(client, headers), key=lambda entry: entry["event"])[::-1]
    version = query["request_metadata"]["prompt_version"]
    assert len(version) == 10
    assert output["response_metadata"]["prompt_version"] == version
