"""`POST /speech/transcribe` and `POST /speech/read-aloud` through the real HTTP app and the
`openai` SDK, against the fake model server's `/v1/audio/transcriptions`, on both
databases: every status the routes answer, the activity log's entries, review cards."""

from __future__ import annotations

import io
import math
import socket
from typing import Any

import httpx
import pytest
import soundfile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.activity.models import ActivityLog
from langtutor.review.models import ReviewCard
from tests.factories import user_with_token
from tests.fakellm import FakeLLM


def wav(seconds: float = 1.0, rate: int = 16_000) -> bytes:
    samples = [0.2 * math.sin(2 * math.pi * 220 * n / rate) for n in range(int(seconds * rate))]
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def stt(fake: FakeLLM, **more: object) -> dict[str, object]:
    return {
        "STT_PROVIDER": "openai",
        "STT_BASE_URL": fake.openai_url,
        "STT_MODEL": "fake-whisper",
    } | more


def audio(data: bytes, media_type: str = "audio/wav", name: str = "r.wav") -> dict[str, Any]:
    return {"audio": (name, data, media_type)}


async def learner(client: httpx.AsyncClient) -> dict[str, str]:
    _, headers = await user_with_token(
        client, default_target_language="es", default_base_language="en"
    )
    return headers


async def entries(db: AsyncEngine, event: str) -> list[ActivityLog]:
    async with db.connect() as connection:
        rows = await connection.execute(select(ActivityLog).where(ActivityLog.event == event))
        return list(rows.all())  # type: ignore[arg-type]


async def test_a_recording_is_written_out_with_the_language_as_a_hint_and_logged(
    app_factory: Any, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    async with app_factory(**stt(fake_llm)) as client:
        headers = await learner(client)
        answer = await client.post("/speech/transcribe", headers=headers, files=audio(wav(2)))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["text"] == fake_llm.transcript
        assert body["language"] == "es"
        assert body["duration_s"] == pytest.approx(2.0, abs=0.01)
        sent = fake_llm.requests[-1]
        assert sent.path == "/v1/audio/transcriptions"
        assert sent.body["model"] == "fake-whisper"
        assert sent.body["language"] == "es"
        assert sent.body["filename"] == "recording.wav"
        assert sent.body["content_type"] == "audio/wav"
        # Another language as a hint (its ISO 639-1 part), and a WebM the page records.
        webm = audio(b"\x1a\x45\xdf\xa3" + b"\0" * 500, "audio/webm;codecs=opus", "r.webm")
        answer = await client.post(
            "/speech/transcribe", headers=headers, files=webm, data={"language": "pt-BR"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["duration_s"] is None
        assert fake_llm.requests[-1].body["language"] == "pt"
        assert fake_llm.requests[-1].body["filename"] == "recording.webm"
    (logged, *_) = await entries(db, "transcription")
    assert logged.query_text == fake_llm.transcript
    assert logged.content_type == "simulation"
    assert logged.request_metadata["duration_s"] == pytest.approx(2.0, abs=0.01)
    assert logged.response_metadata["provider"] == "openai"
    assert logged.response_metadata["latency_ms"] >= 0
    assert len(await entries(db, "transcription")) == 2


async def test_what_the_routes_refuse(app_factory: Any, fake_llm: FakeLLM) -> None:
    async with app_factory(**stt(fake_llm, STT_RATE_PER_MINUTE=3)) as client:
        headers = await learner(client)
        post = client.post
        unsigned = await post("/speech/transcribe", files=audio(wav()))
        assert unsigned.status_code == 401
        text = await post("/speech/transcribe", headers=headers, files=audio(b"hi", "text/plain"))
        assert text.status_code == 415
        assert "WebM" in text.json()["detail"]
        big = audio(b"\0" * (1024 * 1024 + 1), "audio/webm")
        too_big = await post("/speech/transcribe", headers=headers, files=big)
        assert too_big.status_code == 413
        assert "1 MiB" in too_big.json()["detail"]
        huge = audio(b"\0" * (3 * 1024 * 1024), "audio/webm")
        assert (await post("/speech/transcribe", headers=headers, files=huge)).status_code == 413
        long = await post("/speech/transcribe", headers=headers, files=audio(wav(31, 8000)))
        assert long.status_code == 422
        assert "30 seconds" in str(long.json()["detail"])
        broken = await post("/speech/transcribe", headers=headers, files=audio(b"RIFF" * 40))
        assert broken.status_code == 422
        empty = await post("/speech/transcribe", headers=headers, files=audio(b""))
        assert empty.status_code == 422
        assert (await post("/speech/transcribe", headers=headers)).status_code == 422
        broken_form = await post(
            "/speech/transcribe",
            headers=headers | {"Content-Type": "multipart/form-data; boundary=x"},
            content=b"--x\r\n25041714--x--\r\n",
        )
        assert broken_form.status_code == 422
        # No request reached the server yet; the limit counts those that would.
        assert not [r for r in fake_llm.requests if r.path.endswith("transcriptions")]
        for _ in range(3):
            ok = await post("/speech/transcribe", headers=headers, files=audio(wav()))
            assert ok.status_code == 200
        limited = await post("/speech/transcribe", headers=headers, files=audio(wav()))
        assert limited.status_code == 429
        assert "transcriptions" in limited.json()["detail"]
        assert int(limited.headers["retry-after"]) >= 1


async def test_the_transcription_servers_failures_in_plain_words(
    app_factory: Any, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    async with app_factory(**stt(fake_llm, STT_TIMEOUT_S=0.5)) as client:
        headers = await learner(client)

        async def say() -> httpx.Response:
            return await client.post("/speech/transcribe", headers=headers, files=audio(wav()))

        fake_llm.then("http_500")
        failed = await say()
        assert failed.status_code == 503
        assert "transcription server failed" in failed.json()["detail"]
        fake_llm.then("http_429")
        busy = await say()
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "7"
        fake_llm.then("refusal")
        refused = await say()
        assert refused.status_code == 502
        assert "refused the recording" in refused.json()["detail"]
        fake_llm.then("delay", 3)
        slow = await say()
        assert slow.status_code == 504
        assert "did not answer in time" in slow.json()["detail"]
    errors = [e.response_metadata["error"] for e in await entries(db, "transcription")]
    assert sorted(errors) == ["error", "timeout", "unavailable", "unavailable"]

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
    async with app_factory(**stt(fake_llm, STT_BASE_URL=nowhere)) as client:
        headers = await learner(client)
        down = await client.post("/speech/transcribe", headers=headers, files=audio(wav()))
        assert down.status_code == 503
        assert "cannot be reached" in down.json()["detail"]


async def test_speaking_off_says_how_to_turn_it_on(app_factory: Any) -> None:
    async with app_factory(STT_PROVIDER="none") as client:
        headers = await learner(client)
        for path in ("/speech/transcribe", "/speech/read-aloud"):
            answer = await client.post(
                path, headers=headers, files=audio(wav()), data={"text": "Hola"}
            )
            assert answer.status_code == 503, path
            assert "LANGTUTOR_STT_PROVIDER" in answer.json()["detail"]


async def test_reading_aloud_compares_word_by_word_and_a_miss_becomes_a_card(
    app_factory: Any, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    async with app_factory(**stt(fake_llm)) as client:
        headers = await learner(client)
        sentence = {"text": "¡Hola! Quiero un café, por favor.", "source": "deck"}
        fake_llm.transcript = "hola quiero un cafe por favor"
        almost = await client.post(
            "/speech/read-aloud", headers=headers, files=audio(wav()), data=sentence
        )
        assert almost.status_code == 200, almost.text
        body = almost.json()
        assert body["verdict"] == "almost"
        assert [w["verdict"] for w in body["words"]] == ["correct"] * 3 + ["almost"] + [
            "correct"
        ] * 2
        assert body["review_card_id"] is None
        fake_llm.transcript = "Quiero café, por favor. Gracias."
        missed = await client.post(
            "/speech/read-aloud",
            headers=headers,
            files=audio(wav()),
            data=sentence | {"translation": "Hello! I'd like a coffee, please."},
        )
        body = missed.json()
        assert body["verdict"] == "wrong"
        assert [w["said"] for w in body["words"]] == [
            None,
            "Quiero",
            None,
            "café,",
            "por",
            "favor.",
        ]
        assert body["missed"] == 2
        assert body["extra"] == ["Gracias."]
        assert body["score"] == pytest.approx(4 / 6, abs=0.001)
        card_id = body["review_card_id"]
        assert card_id is not None
        again = await client.post(
            "/speech/read-aloud", headers=headers, files=audio(wav()), data=sentence
        )
        assert again.json()["review_card_id"] == card_id  # one card per sentence
        no_language = await client.post(
            "/speech/read-aloud",
            headers=(await user_with_token(client))[1],
            files=audio(wav()),
            data={"text": "Hola"},
        )
        assert no_language.status_code == 409
        for text in ("", " \t", "\x00"):
            blank = await client.post(
                "/speech/read-aloud", headers=headers, files=audio(wav()), data={"text": text}
            )
            assert blank.status_code == 422, repr(text)
        bad_source = await client.post(
            "/speech/read-aloud",
            headers=headers,
            files=audio(wav()),
            data={"text": "Hola", "source": "x"},
        )
        assert bad_source.status_code == 422
    async with db.connect() as connection:
        card = (await connection.execute(select(ReviewCard))).one()
    assert (card.front, card.back, card.source) == (
        sentence["text"],
        "Hello! I'd like a coffee, please.",
        "speaking",
    )
    answers = await entries(db, "answer")
    assert [a.score for a in answers] == pytest.approx([0.917, 0.667, 0.667], abs=0.001)
    assert {a.request_metadata["kind"] for a in answers} == {"speaking"}
    assert {a.content_type for a in answers} == {"flashcards"}
