"""Request and response bodies of `/content` and `/feedback`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from langtutor.enums import ContentType
from langtutor.generation.schemas import Exercises, Flashcards, Simulation
from langtutor.schemas import RequestModel, Strip, at_least_one

Label = Annotated[str, StringConstraints(max_length=100), Strip]
Notes = Annotated[str, StringConstraints(max_length=10_000)]
MAX_CONTENT_BYTES = 256 * 1024
MAX_ID = 2_147_483_647  # PostgreSQL integer
MAX_POSITION = 10_000  # a card or item of a set

# `context_details` of feedback: a flat object of a few short values (the pages send
# {"item_index": n, "thumb": "up"}), so that a learner's feedback cannot fill the disk: at
# most 8 × (64 + 400) characters and a little punctuation, under 4 KB.
CONTEXT_MAX_MEMBERS = 8
CONTEXT_NAME_CHARS = 64
CONTEXT_TEXT_CHARS = 400
SAFE_NUMBER = 2**53 - 1  # what every JSON reader (JavaScript's too) holds exactly
ContextNumber = Field(ge=-SAFE_NUMBER, le=SAFE_NUMBER)
ContextValue = (
    Annotated[str, StringConstraints(max_length=CONTEXT_TEXT_CHARS)]
    | Annotated[int, ContextNumber]
    | Annotated[float, ContextNumber]
    | bool
    | None
)
ContextDetails = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=CONTEXT_NAME_CHARS)],
        ContextValue,
    ],
    Field(max_length=CONTEXT_MAX_MEMBERS),
]
THUMBS = ("up", "down")


class SaveFields(RequestModel):
    original_query: Annotated[str, Field(min_length=1, max_length=2000)]
    user_label: Label | None = None
    user_notes: Notes | None = None
    generation_id: uuid.UUID | None = Field(
        default=None, description="one of your generations that produced this content"
    )


class SaveContent(SaveFields):
    """Content to save, as the service takes it: `content_data` is checked there."""

    content_type: ContentType
    content_data: dict[str, Any] = Field(
        description="the `content` of a generation, checked against its content type's schema"
    )


class SaveFlashcards(SaveFields):
    content_type: Literal[ContentType.flashcards]
    content_data: Flashcards


class SaveExercises(SaveFields):
    content_type: Literal[ContentType.exercises]
    content_data: Exercises


class SaveSimulation(SaveFields):
    content_type: Literal[ContentType.simulation]
    content_data: Simulation


# The body of `POST /content/save`: its schema ties `content_data` to `content_type`.
SaveContentBody = Annotated[
    SaveFlashcards | SaveExercises | SaveSimulation, Field(discriminator="content_type")
]


def content_to_save(body: SaveFlashcards | SaveExercises | SaveSimulation) -> SaveContent:
    return SaveContent(
        content_type=body.content_type,
        content_data=body.content_data.model_dump(mode="json"),
        **body.model_dump(include=set(SaveFields.model_fields)),
    )


class ContentUpdate(RequestModel):
    """Only the fields sent are changed; `null` clears a field."""

    user_label: Label | None = None
    user_notes: Notes | None = None


class SavedItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    saved_content_id: int
    content_type: ContentType
    original_query: str
    content_data: dict[str, Any]
    saved_at: datetime | None
    user_label: str | None
    user_notes: str | None
    generation_id: uuid.UUID | None
    target_language: str | None = None
    last_studied_at: datetime | None = None
    best_score: float | None = None
    shared_by: str | None = Field(
        default=None, description="a copy of another learner's set: their name when copied"
    )


class StudyRecord(RequestModel):
    """How far the learner went through a saved set."""

    position: int = Field(default=0, ge=0, le=MAX_POSITION, description="the card or item reached")
    finished: bool = Field(default=False, description="the set was gone through to its end")
    score: float | None = Field(
        default=None, ge=0.0, le=1.0, description="the share right, for exercises"
    )


class StudyProgress(BaseModel):
    """Study progress as the pages' script sends it, as a form (so numbers come as text): a
    saved set (`saved_content_id`, 0 meaning none) or a generation not saved, the item
    reached (past the last: the last), whether the set was just opened or finished."""

    position: int = Field(default=0, ge=0)
    finished: bool = False
    opened: bool = False
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    saved_content_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    generation_id: uuid.UUID | None = None

    @model_validator(mode="before")
    @classmethod
    def _as_sent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {name: value for name, value in data.items() if value not in (None, "")}
        if data.get("saved_content_id") in ("0", 0):
            del data["saved_content_id"]
        return data

    @field_validator("position")
    @classmethod
    def _at_most_the_last(cls, position: int) -> int:
        return min(position, MAX_POSITION)


class SavedPage(BaseModel):
    items: list[SavedItem]
    total: int
    limit: int
    offset: int


class FeedbackCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra=at_least_one("rating", text="feedback_text"))

    generation_id: uuid.UUID | None = None
    saved_content_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    rating: int | None = Field(default=None, ge=1, le=5)
    feedback_text: Annotated[str, StringConstraints(max_length=5000), Strip] | None = None
    context_details: ContextDetails | None = Field(
        default=None,
        description=f'what the feedback is about, e.g. {{"item_index": 3}} for one card or '
        f'exercise of a set, {{"thumb": "down"}} for a report of a problem: at most '
        f"{CONTEXT_MAX_MEMBERS} members, each a text of at most {CONTEXT_TEXT_CHARS} "
        "characters, a number, true/false or null (no nesting)",
        json_schema_extra={
            "properties": {
                "item_index": {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
                "thumb": {"enum": list(THUMBS)},
            }
        },
    )

    @model_validator(mode="after")
    def _something_to_say(self) -> FeedbackCreate:
        if self.rating is None and not self.feedback_text:
            raise ValueError("give a rating (1–5) or a feedback_text, or both")
        details = self.context_details or {}
        if "item_index" in details:
            index = details["item_index"]
            if isinstance(index, float) and index.is_integer():
                index = int(index)
            if (
                isinstance(index, bool)
                or not isinstance(index, int)
                or not 0 <= index <= MAX_POSITION
            ):
                raise ValueError(
                    f"context_details.item_index must be a whole number from 0 to {MAX_POSITION}"
                )
            details["item_index"] = index
        if "thumb" in details and details["thumb"] not in THUMBS:
            raise ValueError('context_details.thumb must be "up" or "down"')
        return self


class FeedbackItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    feedback_id: int
    timestamp: datetime | None
    generation_id: uuid.UUID | None
    related_log_id: int | None
    related_saved_content_id: int | None
    rating: int | None
    feedback_text: str | None
    context_details: dict[str, Any] | None


class ReviewCardsAdded(BaseModel):
    added: int = Field(description="review cards made now")
    total: int = Field(description="review cards of this saved item in all")


class ShareLink(BaseModel):
    """A saved set's link: the page anyone holding it may open, and its token."""

    share_url: str = Field(description="the shared set's page, an absolute URL")
    token: str = Field(description="the link's token, for `GET /shared/{token}`")


class SharedSet(BaseModel):
    """A shared set as anyone holding its link sees it: the set, and its owner's name;
    nothing else of theirs (no notes, ids, study or email)."""

    model_config = ConfigDict(from_attributes=True)

    content_type: ContentType
    user_label: str | None
    original_query: str
    target_language: str | None
    content_data: dict[str, Any]
    shared_by: str = Field(description="the name of the learner who shared it")
