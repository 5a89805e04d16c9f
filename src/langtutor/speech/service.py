"""Audio of target-language text: made once (eSpeak NG, or an OpenAI-compatible speech
endpoint with eSpeak as the fallback), encoded as MP3 with soundfile, and kept in a cache on
disk keyed by (text, language, voice, provider), trimmed to a size by least recent use.
Concurrent requests for the same new text make it once."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

import openai
import soundfile

from langtutor import metrics
from langtutor.errors import AppError, Unprocessable
from langtutor.languages import language_name
from langtutor.speech.espeak import Speech as Voiced
from langtutor.speech.espeak import espeak
from langtutor.speech.recording import Recording, check_recording
from langtutor.speech.transcription import Transcript, Transcriptions

MEDIA_TYPE = "audio/mpeg"
SUFFIX = ".mp3"


class SpeechNotConfigured(AppError):
    status_code = 503


@dataclass(frozen=True)
class AudioFile:
    path: Path
    etag: str
    provider: str
    fallback: str | None = None
    """Why the configured provider's voice was not used (its failure), if it was not."""


def encode_mp3(speech: Voiced) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(
        buffer,
        speech.samples,
        speech.sample_rate,
        format="MP3",
        subtype="MPEG_LAYER_III",
    )
    return buffer.getvalue()


@cache
def has_voice(language: str) -> bool:
    """Whether audio can be made in this language: eSpeak NG has a voice for it (every
    provider falls back to eSpeak)."""
    return espeak().supports(language)


class SpeechService:
    def __init__(
        self,
        *,
        provider: str,
        cache_dir: Path,
        max_bytes: int,
        client: openai.AsyncOpenAI | None = None,
        model: str = "",
        voice: str = "",
    ) -> None:
        self.provider = provider
        self.cache_dir = cache_dir
        self.max_bytes = max_bytes
        self.client = client
        self.model = model
        self.voice = voice
        self._making: dict[str, asyncio.Future[AudioFile]] = {}
        self._size: int | None = None

    def _path(self, provider: str, voice: str, language: str, text: str) -> tuple[Path, str]:
        key = hashlib.sha256(f"{provider}\0{voice}\0{language}\0{text}".encode()).hexdigest()
        return self.cache_dir / key[:2] / f"{key}{SUFFIX}", key[:32]

    async def audio(self, text: str, language: str) -> AudioFile:
        """The audio of `text` in `language`: from the cache, else made now (once)."""
        if self.provider == "none":
            raise SpeechNotConfigured(
                "speech is turned off on this server (LANGTUTOR_TTS_PROVIDER)"
            )
        engine = espeak()
        if not await asyncio.to_thread(engine.supports, language):
            raise Unprocessable(
                f"no voice for {language_name(language)} ({language}): audio is not available "
                "in this language",
                loc=["query", "lang"],
            )
        if self.provider == "openai":
            path, etag = self._path("openai", f"{self.model}/{self.voice}", language, text)
            cached = self._cached(path, etag, "openai")
            if cached is not None:
                return cached
            try:
                return await self._once(etag, lambda: self._openai(text, path, etag))
            except (openai.OpenAIError, OSError) as error:
                reason = f"the speech provider failed ({type(error).__name__}); eSpeak NG spoke"
                made = await self._espeak(text, language)
                return AudioFile(made.path, made.etag, made.provider, fallback=reason)
        return await self._espeak(text, language)

    async def _espeak(self, text: str, language: str) -> AudioFile:
        voice = espeak().voice(language)
        path, etag = self._path("espeak", voice, language, text)
        cached = self._cached(path, etag, "espeak")
        if cached is not None:
            return cached

        async def make() -> AudioFile:
            speech = await asyncio.to_thread(espeak().synthesize, text, language)
            data = await asyncio.to_thread(encode_mp3, speech)
            metrics.SPEECH_SYNTHESES.labels("espeak").inc()
            return await self._store(path, etag, data, "espeak")

        return await self._once(etag, make)

    async def _openai(self, text: str, path: Path, etag: str) -> AudioFile:
        assert self.client is not None
        answer = await self.client.audio.speech.create(
            model=self.model, voice=self.voice, input=text, response_format="mp3"
        )
        data = await answer.aread()
        metrics.SPEECH_SYNTHESES.labels("openai").inc()
        return await self._store(path, etag, data, "openai")

    def _cached(self, path: Path, etag: str, provider: str) -> AudioFile | None:
        try:
            os.utime(path)  # recently used: the last to be evicted
        except FileNotFoundError:
            return None
        metrics.SPEECH_CACHE_HITS.inc()
        return AudioFile(path, etag, provider)

    async def _once(self, key: str, make: object) -> AudioFile:
        """One making per key at a time: the others wait for its result."""
        running = self._making.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[AudioFile] = asyncio.get_running_loop().create_future()
        self._making[key] = future
        try:
            result = await make()  # type: ignore[operator]
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when none wait
            raise
        finally:
            self._making.pop(key, None)
        future.set_result(result)
        return result

    async def _store(self, path: Path, etag: str, data: bytes, provider: str) -> AudioFile:
        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(data)
            os.replace(partial, path)  # whole or not at all, for readers in other processes

        await asyncio.to_thread(write)
        await asyncio.to_thread(self._evict, len(data))
        return AudioFile(path, etag, provider)

    def _evict(self, added: int) -> None:
        """Keep the cache under its size: the least recently used files go first."""
        if self._size is None:
            self._size = sum(f.stat().st_size for f in self.cache_dir.rglob(f"*{SUFFIX}"))
        else:
            self._size += added
        if self._size <= self.max_bytes:
            return
        files = sorted(self.cache_dir.rglob(f"*{SUFFIX}"), key=lambda f: f.stat().st_mtime)
        for old in files:
            if self._size <= self.max_bytes * 0.9:
                break
            size = old.stat().st_size
            old.unlink(missing_ok=True)
            self._size -= size

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.close()


def build_speech(
    *,
    provider: str,
    data_dir: Path,
    max_mb: int,
    base_url: str | None,
    api_key: str,
    model: str,
    voice: str,
    timeout_s: float,
) -> SpeechService:
    client = None
    if provider == "openai":
        client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout_s, max_retries=0
        )
    return SpeechService(
        provider=provider,
        cache_dir=data_dir / "audio",
        max_bytes=max_mb * 1024 * 1024,
        client=client,
        model=model,
        voice=voice,
    )


class Listener(Protocol):
    """Who asks for audio (a `Learner`: speech reads nothing else of them)."""

    @property
    def user_id(self) -> int: ...


class Limit(Protocol):
    """A per-learner rate limit (`generation.ratelimit.RateLimiter`): 429 beyond it."""

    async def check(self, user_id: int) -> None: ...


@dataclass(frozen=True)
class Speech:
    """Audio for learners, built once at start-up: their audio rate limit, then the audio
    made (or found in the cache) by `service`, which exports also read without a limit; and
    their recordings written out (`transcriptions`, off without a transcription server)."""

    service: SpeechService
    rate_limiter: Limit
    transcriptions: Transcriptions

    @property
    def can_transcribe(self) -> bool:
        """Whether learners may speak (a transcription server is configured)."""
        return self.transcriptions.enabled

    @staticmethod
    async def recording(audio: bytes, media_type: str | None) -> Recording:
        """The recording checked (415, 413, 422), its length read where it can be."""
        return await asyncio.to_thread(check_recording, audio, media_type)

    async def transcribe(
        self, learner: Listener, recording: Recording, *, language: str | None
    ) -> Transcript:
        """The learner's recording written out, counted against their transcription limit
        (503 when speaking is off)."""
        return await self.transcriptions.transcribe(learner.user_id, recording, language=language)

    async def audio(self, learner: Listener, *, text: str, language: str) -> AudioFile:
        """The text read aloud in the language, counted against the learner's audio limit."""
        await self.rate_limiter.check(learner.user_id)
        return await self.service.audio(text, language)

    def audio_url(self, text: str, language: str | None) -> str | None:
        """Where the text read aloud is (`GET /audio`), when there can be audio of it (speech
        on, a voice for the language)."""
        if self.service.provider == "none" or not language or not has_voice(language):
            return None
        return "/audio?" + urlencode({"text": text, "lang": language})

    async def aclose(self) -> None:
        await self.service.aclose()
        await self.transcriptions.aclose()
