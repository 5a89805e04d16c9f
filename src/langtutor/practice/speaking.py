"""Speaking: a learner's recording written out (a conversation's turn said rather than typed),
each one a `transcription` entry in the activity log; and read aloud: the learner records a
sentence they see (a flashcard, a dialogue line, a review card), and what they said is
compared with it word by word (`words`). The score is logged as an `answer` of kind
`speaking`; a sentence with words missed becomes a review card when the learner's profile
makes cards of mistakes."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from langtutor.accounts.learner import Learner
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import Database
from langtutor.enums import ContentType, LogEvent
from langtutor.errors import Conflict, TooManyRequests, Unprocessable
from langtutor.practice.checker import Verdict, normalized
from langtutor.practice.words import Comparison, compare_words
from langtutor.review import service as review
from langtutor.speech.recording import Recording
from langtutor.speech.service import Speech
from langtutor.speech.transcription import OFF, Transcript, TranscriptionOff
from langtutor.text import clean_text

Source = Literal["deck", "dialogue", "review", "other"]
# The content a sentence read aloud comes from, as the activity log names it.
SOURCE_CONTENT = {
    "deck": ContentType.flashcards,
    "review": ContentType.flashcards,
    "dialogue": ContentType.simulation,
    "other": ContentType.flashcards,
}
# Read-aloud cards are keyed by their sentence: the same sentence missed again is one card.
CARD_KEYS = uuid.UUID("6a4f3c1e-5b1d-4d0e-9c43-2f0e8c1d7a55")


@dataclass(frozen=True)
class ReadAloud:
    """What the learner said of the sentence, compared with it."""

    transcript: Transcript
    comparison: Comparison
    review_card_id: int | None


@dataclass(frozen=True)
class Speaking:
    """Reading aloud, built once at start-up with the speech service (the transcription),
    the activity log and the database (review cards)."""

    speech: Speech
    activity: BatchLogger
    db: Database

    async def transcribe(
        self,
        learner: Learner,
        *,
        audio: bytes,
        media_type: str | None,
        language: str | None,
        content_type: ContentType = ContentType.simulation,
        purpose: str = "conversation",
    ) -> Transcript:
        """The learner's recording written out (checked first: 415, 413, 422; 503 when
        speaking is off), logged as a `transcription` entry, its failure too."""
        if not self.speech.can_transcribe:
            raise TranscriptionOff(OFF)
        recording = await self.speech.recording(audio, media_type)
        entry = _transcription_entry(learner.user_id, recording, language, content_type, purpose)
        started = time.perf_counter()
        try:
            transcript = await self.speech.transcribe(learner, recording, language=language)
        except TooManyRequests:
            raise  # beyond the learner's limit: nothing was sent
        except BaseException as error:
            kind = getattr(error, "kind", None)
            cancelled = isinstance(error, asyncio.CancelledError)
            entry.response_metadata = {
                "provider": "openai",
                "model": self.speech.transcriptions.model,
                "error": kind or ("cancelled" if cancelled else "internal"),
                "latency_ms": round((time.perf_counter() - started) * 1000),
            }
            await asyncio.shield(self.activity.buffered_log_query(entry))
            raise
        entry.query_text = transcript.text
        entry.response_metadata = {
            "provider": "openai",
            "model": self.speech.transcriptions.model,
            "latency_ms": transcript.latency_ms,
        }
        await self.activity.buffered_log_query(entry)
        return transcript

    async def read_aloud(
        self,
        learner: Learner,
        *,
        audio: bytes,
        media_type: str | None,
        text: str,
        language: str | None,
        source: Source,
        translation: str | None = None,
    ) -> ReadAloud:
        """The recording written out and compared with `text`; logged; a missed sentence a
        review card (when the learner's cards of mistakes are on)."""
        text = clean_text(text).strip()
        if not text:
            raise Unprocessable("the text to say is empty", loc=["body", "text"])
        translation = clean_text(translation).strip() if translation else None
        language = language or learner.default_target_language
        if not language:
            raise Conflict("no language: send 'language' or set a target language in your profile")
        transcript = await self.transcribe(
            learner,
            audio=audio,
            media_type=media_type,
            language=language,
            content_type=SOURCE_CONTENT[source],
            purpose="read_aloud",
        )
        comparison = compare_words(transcript.text, text, language=language)
        card_id = None
        if comparison.verdict is Verdict.wrong and learner.review_auto_cards:
            card_id = await self._card(learner, text, translation, language)
        await self.activity.buffered_log_query(
            _answer_entry(learner.user_id, text, language, source, transcript, comparison, card_id)
        )
        return ReadAloud(transcript, comparison, card_id)

    async def _card(
        self, learner: Learner, text: str, translation: str | None, language: str
    ) -> int:
        key = uuid.uuid5(CARD_KEYS, f"{language}\0{normalized(text, language)}")
        async with self.db.transaction() as session:
            return await review.add_mistake_card(
                session=session,
                user_id=learner.user_id,
                generation_id=key,
                saved_content_id=None,
                item_index=0,
                text=review.CardText(
                    review.CardSource.speaking, 0, front=text, back=translation or text
                ),
                target_language=language,
                base_language=learner.default_base_language,
                source=review.CardSource.speaking,
            )


def _transcription_entry(
    user_id: int,
    recording: Recording,
    language: str | None,
    content_type: ContentType,
    purpose: str,
) -> LogEntry:
    metadata: dict[str, Any] = {
        "purpose": purpose,
        "media_type": recording.media_type,
        "bytes": len(recording.data),
        "duration_s": recording.duration_s,
    }
    return LogEntry(
        user_id=user_id,
        content_type=content_type.value,
        query_text="",
        target_language=language or "und",
        event=LogEvent.transcription.value,
        request_metadata=metadata,
    )


def _answer_entry(
    user_id: int,
    text: str,
    language: str,
    source: Source,
    transcript: Transcript,
    comparison: Comparison,
    card_id: int | None,
) -> LogEntry:
    return LogEntry(
        user_id=user_id,
        content_type=SOURCE_CONTENT[source].value,
        query_text=text,
        target_language=language,
        event=LogEvent.answer.value,
        score=comparison.score,
        request_metadata={
            "kind": "speaking",
            "source": source,
            "answer": transcript.text,
            "expected": text,
            "duration_s": transcript.duration_s,
        },
        response_metadata={
            "verdict": comparison.verdict.value,
            "graded_by": "rules",
            "missed": comparison.missed,
            "review_card_id": card_id,
        },
    )
