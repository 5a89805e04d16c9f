"""Answers of `/speech/transcribe` and `/speech/read-aloud`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TranscriptOut(BaseModel):
    text: str = Field(description="what the learner said, as the transcription server wrote it")
    language: str | None = Field(description="the language given to the server as a hint")
    duration_s: float | None = Field(
        description="the recording's length; null for WebM and MP4, which are not measured"
    )
    latency_ms: int = Field(description="how long the transcription server took")


class WordOut(BaseModel):
    word: str = Field(description="a word of the expected text, as written")
    said: str | None = Field(description="what the learner said in its place; null: missed")
    verdict: Literal["correct", "almost", "wrong"]


class ReadAloudOut(BaseModel):
    transcript: TranscriptOut
    words: list[WordOut]
    extra: list[str] = Field(description="words said that the text does not have")
    score: float = Field(ge=0, le=1, description="correct words 1, almost 0.5, over all words")
    verdict: Literal["correct", "almost", "wrong"] = Field(
        description="`correct`: every word said as written; `almost`: every word said, some "
        "with an accent or a letter off; `wrong`: words missed"
    )
    missed: int
    review_card_id: int | None = Field(
        description="the review card the missed sentence became (cards of mistakes on)"
    )
