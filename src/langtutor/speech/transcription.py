"""A learner's speech written out: any OpenAI-compatible transcription server (OpenAI,
speaches / faster-whisper, whisper.cpp's server) through the official `openai` SDK's
`audio.transcriptions`, with the language the learner speaks as a hint, within a per-learner
rate limit. Its `transcription` entry in the activity log is written by the caller
(`practice.speaking`): speech reads and writes no domain's tables."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import openai

from langtutor import metrics
from langtutor.errors import AppError
from langtutor.speech.recording import Recording
from langtutor.text import clean_text


class TranscriptionError(AppError):
    """A failure of the transcription server; `kind` goes to the activity log."""

    status_code = 502
    kind = "error"


class TranscriptionOff(TranscriptionError):
    status_code = 503
    kind = "not_configured"


class TranscriptionUnavailable(TranscriptionError):
    status_code = 503
    kind = "unavailable"


class TranscriptionTimeout(TranscriptionError):
    status_code = 504
    kind = "timeout"


OFF = (
    "speaking is turned off on this server: an operator enables it with "
    "LANGTUTOR_STT_PROVIDER=openai and a transcription server"
)


def transcription_error(error: openai.OpenAIError) -> TranscriptionError:
    """Our error, in plain words, for a failure of the SDK (as generation maps its own)."""
    if isinstance(error, openai.APITimeoutError):
        return TranscriptionTimeout("the transcription server did not answer in time; try again")
    if isinstance(error, openai.APIConnectionError):
        return TranscriptionUnavailable("the transcription server cannot be reached; try again")
    if isinstance(error, openai.RateLimitError):
        retry = error.response.headers.get("retry-after", "30")
        failure = TranscriptionUnavailable(
            "the transcription server is busy; try again shortly",
            headers={"Retry-After": retry if retry.isdigit() else "30"},
        )
        return failure
    if isinstance(error, openai.APIStatusError) and error.status_code >= 500:
        return TranscriptionUnavailable(
            f"the transcription server failed (HTTP {error.status_code}); try again"
        )
    if isinstance(error, openai.APIStatusError):
        return TranscriptionError(
            f"the transcription server refused the recording (HTTP {error.status_code})"
        )
    return TranscriptionError("the transcription failed")


def language_hint(language: str | None) -> str | None:
    """ISO 639-1, as the transcription API takes it: `pt-BR` → `pt`, `zh-Hans` → `zh`."""
    if not language:
        return None
    primary = language.split("-", 1)[0].lower()
    return primary if len(primary) == 2 else None


class Transcriber:
    """The SDK's client of one transcription server and model."""

    provider = "openai"

    def __init__(self, *, base_url: str | None, api_key: str, model: str, timeout_s: float):
        self.model = model
        # Local servers ignore the key, but the SDK insists on one; our failures are ours
        # to report, so no retries of the SDK's own.
        self.client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout_s, max_retries=0
        )

    async def transcribe(self, recording: Recording, language: str | None) -> str:
        hint = language_hint(language)
        extra: dict[str, Any] = {"language": hint} if hint else {}
        try:
            answer = await self.client.audio.transcriptions.create(
                model=self.model,
                file=(recording.filename, recording.data, recording.media_type),
                response_format="json",
                **extra,
            )
        except openai.OpenAIError as error:
            raise transcription_error(error) from error
        # Shown, logged and compared: without what a database or a page cannot take.
        return clean_text(answer.text).strip()

    async def aclose(self) -> None:
        await self.client.close()


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    duration_s: float | None
    latency_ms: int


class Limit(Protocol):
    """A per-learner rate limit (`generation.ratelimit.RateLimiter`): 429 beyond it."""

    async def check(self, user_id: int) -> None: ...


@dataclass(frozen=True)
class Transcriptions:
    """Transcription for learners: their limit, then the call (off without a server)."""

    transcriber: Transcriber | None
    rate_limiter: Limit

    @property
    def enabled(self) -> bool:
        return self.transcriber is not None

    @property
    def model(self) -> str | None:
        return self.transcriber.model if self.transcriber is not None else None

    async def transcribe(
        self, user_id: int, recording: Recording, *, language: str | None
    ) -> Transcript:
        """The recording written out, counted against the learner's limit."""
        if self.transcriber is None:
            raise TranscriptionOff(OFF)
        await self.rate_limiter.check(user_id)
        started = time.perf_counter()
        try:
            text = await self.transcriber.transcribe(recording, language)
        except TranscriptionError as error:
            metrics.TRANSCRIPTIONS.labels(error.kind).inc()
            raise
        metrics.TRANSCRIPTIONS.labels("ok").inc()
        latency = round((time.perf_counter() - started) * 1000)
        return Transcript(text, language, recording.duration_s, latency)

    async def aclose(self) -> None:
        if self.transcriber is not None:
            await self.transcriber.aclose()
