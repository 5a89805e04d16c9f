"""Request and response bodies of `/conversations/*`, and what the model answers: a turn (the
reply first, so that it can be streamed as it arrives), a scene, a summary."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from langtutor.generation.schemas import Content, Role, Text, VocabularyItem
from langtutor.schemas import NOT_BLANK, LanguageInput, LevelInput, RequestModel, Strip, exactly_one

LearnerLine = Annotated[str, StringConstraints(max_length=1000, pattern=NOT_BLANK), Strip]


class ConversationStart(RequestModel):
    """A scene from a simulation (saved or just generated) or from a bare topic."""

    model_config = ConfigDict(
        json_schema_extra=exactly_one("topic", "saved_content_id", "generation_id")
    )

    topic: str | None = Field(default=None, min_length=1, max_length=2000)
    saved_content_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    generation_id: uuid.UUID | None = None
    role: str | None = Field(
        default=None, min_length=1, max_length=100, description="the role the learner plays"
    )
    target_language: LanguageInput | None = None
    base_language: LanguageInput | None = None
    level: LevelInput | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ConversationStart:
        given = [self.topic, self.saved_content_id, self.generation_id]
        if sum(value is not None for value in given) != 1:
            raise ValueError("send one of 'topic', 'saved_content_id' or 'generation_id'")
        return self


class TurnRequest(RequestModel):
    text: LearnerLine


class Correction(Content):
    original: Text = Field(description="the learner's words that were wrong")
    corrected: Text = Field(description="the same, corrected")
    explanation: Text = Field(description="why, in the base language")


class TurnContent(Content):
    """The model's answer to one learner line (or its opening line)."""

    reply: Text = Field(description="the next line, in character, target language")
    translation: Text = Field(description="the reply in the base language")
    corrections: list[Correction] = Field(
        description="corrections of the learner's last line; empty when it was right"
    )
    finished: bool = Field(description="the scene has reached its natural end")


class SceneContent(Content):
    title: Text
    scenario: Text = Field(description="where and who, in the base language, two sentences")
    roles: list[Role] = Field(min_length=2, description="the learner's role last")


class SummaryContent(Content):
    summary: Text = Field(description="what happened, in the base language")
    strengths: list[Text]
    mistakes: list[Correction]
    vocabulary: list[VocabularyItem]


class TurnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    turn_id: int
    position: int
    speaker: str = Field(description="`learner` or `model`")
    text: str
    translation: str | None
    corrections: list[dict[str, Any]] | None
    created_at: datetime


class TurnReply(BaseModel):
    """What a turn answers: the model's reply to the learner's line, and its corrections."""

    reply: str
    translation: str
    corrections: list[Correction]
    finished: bool
    learner_turn: TurnOut
    model_turn: TurnOut


class ConversationOut(BaseModel):
    conversation_id: int
    title: str
    scenario: str
    roles: list[dict[str, Any]]
    learner_role: str
    target_language: str
    base_language: str
    level: str
    learner_turns: int
    max_turns: int
    finished: bool
    summary: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    turns: list[TurnOut] | None = None


class ConversationPage(BaseModel):
    items: list[ConversationOut]


class CorrectionsAdded(BaseModel):
    added: int = Field(description="review cards made now")
    total: int = Field(description="corrections of this conversation in review in all")
