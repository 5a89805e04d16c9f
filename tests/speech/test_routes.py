"""`GET /audio` through the real HTTP app: every language a learner can pick that eSpeak NG
speaks, decoded back; the cache on disk and in the browser; one synthesis for many
simultaneous requests; the provider voice and its fallback."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
import soundfile

from langtutor import metrics
from langtutor.languages import normalize_language
from langtutor.speech.espeak import espeak
from langtutor.web.rendering import COMMON_LANGUAGES
from tests.factories import user_with_token
from tests.fakellm import FakeLLM

SENTENCE = "1, 2, 3"  # digits: every voice reads them, whatever its script


def syntheses(provider: str = "espeak") -> float:
    return metrics.SPEECH_SYNTHESES.labels(provider)._value.get()


def duration(body: bytes) -> float:
    data, rate = soundfile.read(io.BytesIO(body))
    return len(data) / rate


async def test_every_language_with_a_voice_is_spoken_and_the_others_say_why(
    client: httpx.AsyncClient,
) -> None:
    _, headers = await user_with_token(client)
    spoken, unspoken = [], []
    for code in COMMON_LANGUAGES:
        answer = await client.get(
            "/audio", headers=headers, params={"text": SENTENCE, "lang": code}
        )
        if espeak().supports(normalize_language(code)):
            assert answer.status_code == 200, (code, answer.text)
            assert answer.headers["content-type"] == "audio/mpeg"
            assert duration(answer.content) > 0.3, code
            spoken.append(code)
        else:
            assert answer.status_code == 422, code
            assert f"({normalize_language(code)})" in answer.text
            unspoken.append(code)
    assert len(spoken) >= 50, unspoken
    unknown = await client.get(
        "/audio", headers=headers, params={"text": "x", "lang": "Klingonish"}
    )
    assert unknown.status_code == 422
    for params in ({"text": "", "lang": "es"}, {"text": "x" * 301, "lang": "es"}, {"lang": "es"}):
        assert (await client.get("/audio", headers=headers, params=params)).status_code == 422
    assert (await client.get("/audio", params={"text": "hola", "lang": "es"})).status_code == 401


async def test_the_cache_serves_again_without_synthesis(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    params = {"text": "Buenos días, señora.", "lang": "es"}
    first = await client.get("/audio", headers=headers, params=params)
    assert first.status_code == 200
    made = syntheses()
    again = await client.get("/audio", headers=headers, params=params)
    assert again.content == first.content
    assert syntheses() == made  # from disk
    assert again.headers["etag"] == first.headers["etag"]
    assert "max-age" in again.headers["cache-control"]
    unchanged = await client.get(
        "/audio", headers=headers | {"If-None-Match": first.headers["etag"]}, params=params
    )
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    # Twenty learners ask for one new text at once: it is made once.
    before = syntheses()
    params = {"text": "Una frase nueva que nadie pidió antes.", "lang": "es"}
    answers = await asyncio.gather(
        *(client.get("/audio", headers=headers, params=params) for _ in range(20))
    )
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert syntheses() == before + 1


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    return getattr(request, "param", {})


async def test_the_provider_voice_and_its_fallback(
    app_factory: Any, fake_llm: FakeLLM, tmp_path: Any
) -> None:
    settings = {
        "TTS_PROVIDER": "openai",
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": fake_llm.openai_url,
        "DATA_DIR": str(tmp_path),
    }
    async with app_factory(**settings) as client:
        _, headers = await user_with_token(client)
        voiced = await client.get("/audio", headers=headers, params={"text": "Hola", "lang": "es"})
        assert voiced.status_code == 200
        assert voiced.headers["x-speech-provider"] == "openai"
        assert "x-speech-fallback" not in voiced.headers
        assert duration(voiced.content) > 0.3
        speech_request = fake_llm.requests[-1]
        assert speech_request.path == "/v1/audio/speech"
        assert speech_request.body["input"] == "Hola"
        fake_llm.then("http_500")
        fallback = await client.get(
            "/audio", headers=headers, params={"text": "Adiós", "lang": "es"}
        )
        assert fallback.status_code == 200
        assert fallback.headers["x-speech-provider"] == "espeak"
        assert "failed" in fallback.headers["x-speech-fallback"]
        assert duration(fallback.content) > 0.3


async def test_speech_can_be_turned_off(app_factory: Any) -> None:
    async with app_factory(TTS_PROVIDER="none") as client:
        _, headers = await user_with_token(client)
        answer = await client.get("/audio", headers=headers, params={"text": "Hola", "lang": "es"})
        assert answer.status_code == 503
