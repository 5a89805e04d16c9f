"""Request and response bodies of `/exercises/*`, and what a model answers when it grades a
translation or explains an answer (strict JSON Schemas, like the content types)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from langtutor.generation.schemas import Content, OptionalText, Text
from langtutor.schemas import NOT_BLANK, RequestModel, Strip, exactly_one

Answer = Annotated[
    str,
    StringConstraints(max_length=1000, pattern=NOT_BLANK),
    Strip,
    Field(description="the learner's answer: an option's text, or what they typed"),
]


class ExerciseRef(RequestModel):
    """One exercise: of a generation (answered right after generating) or of a saved set."""

    model_config = ConfigDict(json_schema_extra=exactly_one("generation_id", "saved_content_id"))

    generation_id: uuid.UUID | None = None
    saved_content_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    item_index: int = Field(ge=0, le=1000, description="the exercise's place in its set, from 0")

    @model_validator(mode="after")
    def _one_source(self) -> ExerciseRef:
        if (self.generation_id is None) == (self.saved_content_id is None):
            raise ValueError("send either 'generation_id' or 'saved_content_id'")
        return self


class CheckRequest(ExerciseRef):
    answer: Answer


class ExplainRequest(ExerciseRef):
    answer: Answer


class Slip(StrEnum):
    """What differs between the answer and the accepted one, as letters show it."""

    none = "none"  # the same answer
    accent = "accent"
    tone_marks = "tone_marks"
    voicing_marks = "voicing_marks"
    dots_and_marks = "dots_and_marks"
    one_letter = "one_letter"
    other = "other"  # another answer


GradedBy = Literal["rules", "model", "approximate"]


class CheckResult(BaseModel):
    verdict: Literal["correct", "almost", "wrong"]
    score: float = Field(ge=0.0, le=1.0, description="1.0 right, 0.5 almost, 0.0 wrong")
    expected: str = Field(description="the answer the exercise expects (or the model's correction)")
    feedback: str = Field(description="what differs, in a sentence; *word* marks emphasis")
    explanation: str | None = Field(
        default=None, description="why, from the exercise or the model, when there is one"
    )
    graded_by: GradedBy = Field(
        description="`rules` (letters compared), `model` (a translation graded by the model) or "
        "`approximate` (the model was not available for a translation: letters compared)"
    )
    review_card_id: int | None = Field(
        default=None, description="the review card of this mistake (made once per exercise)"
    )
    slip: Slip | None = Field(
        default=None,
        description="what differs when letters were compared (`graded_by` rules or "
        "approximate): none, accent, tone_marks, voicing_marks, dots_and_marks, one_letter, "
        "other; null when the model graded",
    )


class Explanation(BaseModel):
    explanation: str
    example: str
    example_translation: str | None


# -- what the model answers -------------------------------------------------------------------


class Grading(Content):
    verdict: Literal["correct", "almost", "wrong"]
    score: float = Field(ge=0.0, le=1.0)
    corrected_answer: Text = Field(description="the learner's answer, corrected; theirs if right")
    explanation: Text = Field(description="what was right or wrong, in the base language")


class ExplanationContent(Content):
    explanation: Text = Field(description="why, in the base language, in two to four sentences")
    example: Text = Field(description="one more example sentence, target language")
    example_translation: OptionalText = Field(
        default=None, description="the example, base language"
    )
