"""Request and response bodies of `/placement*`, and what the model answers when it writes
the gap texts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from langtutor.enums import Level
from langtutor.schemas import LanguageInput, LevelInput, RequestModel

Stage = Literal["vocabulary", "gaps", "done"]
ItemId = Annotated[int, Field(ge=1, le=1000, description="an item of this placement")]


class PlacementStart(RequestModel):
    language: LanguageInput | None = Field(
        default=None, description="the language to place in (default: your target language)"
    )


class VocabularyAnswer(RequestModel):
    item_id: ItemId
    known: bool = Field(description="whether you know this word")


class GapAnswer(RequestModel):
    item_id: ItemId
    text: Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)] = Field(
        description="the letters missing from the word (or the whole word)"
    )


class VocabularyAnswers(RequestModel):
    answers: list[VocabularyAnswer] = Field(min_length=1, max_length=60)


class GapAnswers(RequestModel):
    answers: list[GapAnswer] = Field(min_length=1, max_length=60)


class AcceptRequest(RequestModel):
    level: LevelInput | None = Field(
        default=None, description="another level than the result (an override)"
    )


class VocabularyItem(BaseModel):
    item_id: int
    word: str


class GapItem(BaseModel):
    """One gap of a gap text: the text since the previous gap, the word's first letters, how
    many letters are missing, and (at a text's last gap) the rest of the text."""

    item_id: int
    text: int = Field(description="which text: 0 or 1")
    before: str
    stem: str
    missing: int
    after: str


class PlacementResult(BaseModel):
    level: Level | None = Field(description="null: the answers could not place you")
    vocabulary_size: int | None = Field(description="words of the language's commonest known")
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str = Field(description="the result in plain words")


class PlacementView(BaseModel):
    placement_id: int
    language: str
    stage: Stage
    items: list[VocabularyItem] | list[GapItem]
    result: PlacementResult | None = None
    accepted_level: Level | None = None


class GapText(BaseModel):
    level: Level
    text: Annotated[str, StringConstraints(min_length=100, max_length=1500)]


class GapTexts(BaseModel):
    """What the model writes: two short texts, at the two levels asked, in that order."""

    texts: list[GapText] = Field(min_length=2, max_length=2)
