"""Content models (what `content` and `content_data` hold), the JSON Schema sent to models,
and the request and response bodies of `/generate/*`."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from langtutor.enums import ContentType, Level
from langtutor.schemas import (
    NOT_BLANK,
    LanguageInput,
    LevelInput,
    RequestModel,
    Strip,
    strip_white_space,
)

# Bounds of content, far above what a model writes: a saved set is also capped at 256 KB.
MAX_TEXT_CHARS = 2000
MAX_ITEMS = 50  # cards or exercises: the most a generation asks for
Text = Annotated[str, StringConstraints(pattern=NOT_BLANK, max_length=MAX_TEXT_CHARS), Strip]


def _blank_to_none(value: Any) -> Any:
    """Models often answer "" for an optional field they had nothing for; that means absent."""
    if isinstance(value, str) and not strip_white_space(value):
        return None
    return value


# Any string is taken (a blank one as absent), and the schema says so.
OptionalText = Annotated[
    Text | None,
    BeforeValidator(_blank_to_none),
    WithJsonSchema({"anyOf": [{"type": "string", "maxLength": MAX_TEXT_CHARS}, {"type": "null"}]}),
]


class Content(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Flashcard(Content):
    front: Text = Field(description="word or phrase in the target language")
    back: Text = Field(description="its meaning in the base language")
    example: OptionalText = Field(default=None, description="example sentence, target language")
    example_translation: OptionalText = Field(
        default=None, description="the example, base language"
    )
    part_of_speech: OptionalText = None
    notes: OptionalText = None


class Flashcards(Content):
    cards: list[Flashcard] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _count(self, info: ValidationInfo) -> Flashcards:
        _check_count(len(self.cards), info, "cards")
        return self


class Exercise(Content):
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"type": {"const": "multiple_choice"}}},
            "then": {
                "required": ["options"],
                "properties": {"options": {"type": "array", "minItems": 2}},
            },
            "x-rule": "a multiple_choice exercise's answer is one of its options",
        }
    )

    type: Literal["multiple_choice", "fill_in_the_blank", "translation"]
    prompt: Text
    options: Annotated[list[Text], Field(max_length=10)] | None = None
    answer: Text
    explanation: OptionalText = None

    @model_validator(mode="after")
    def _options(self) -> Exercise:
        if self.type == "multiple_choice":
            if not self.options or len(self.options) < 2:
                raise ValueError("a multiple_choice exercise needs at least two options")
            if self.answer not in self.options:
                raise ValueError(f"the answer {self.answer!r} is not one of the options")
        return self


class Exercises(Content):
    exercises: list[Exercise] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _count(self, info: ValidationInfo) -> Exercises:
        _check_count(len(self.exercises), info, "exercises")
        return self


class Role(Content):
    name: Text
    description: Text


# First words of a role's description that speak to the learner ("You, the customer"), in
# the languages explanations are most often written in.
_YOU = frozenset("you your du tú tu toi usted vous voi você jij u ty вы ты".split())


def learner_role(roles: list[dict[str, Any]]) -> str:
    """The role a learner plays in a scene: the one whose description speaks to them, else
    the last (the prompts ask for the learner's role last: the customer, the guest, the
    patient, whom the others serve)."""
    for role in roles:
        words = str(role.get("description", "")).split(maxsplit=1)
        if words and words[0].strip(",.:;!¡").lower() in _YOU:
            return str(role["name"])
    return str(roles[-1]["name"])


class DialogueLine(Content):
    speaker: Text = Field(description="one of the role names")
    text: Text = Field(description="the line in the target language")
    translation: Text = Field(description="the line in the base language")


class VocabularyItem(Content):
    term: Text
    translation: Text


class Question(Content):
    question: Text
    answer: Text


class Simulation(Content):
    model_config = ConfigDict(
        json_schema_extra={"x-rule": "every dialogue line's speaker is the name of a role"}
    )

    title: Text
    scenario: Text
    roles: list[Role] = Field(min_length=1, max_length=10)
    dialogue: list[DialogueLine] = Field(min_length=1, max_length=100)
    vocabulary: list[VocabularyItem] = Field(max_length=100)
    questions: list[Question] = Field(max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _speakers(self) -> Simulation:
        names = {role.name for role in self.roles}
        strangers = sorted({line.speaker for line in self.dialogue} - names)
        if strangers:
            raise ValueError(f"dialogue speakers {strangers} are not role names {sorted(names)}")
        return self


def _check_count(actual: int, info: ValidationInfo, noun: str) -> None:
    expected = (info.context or {}).get("count")
    if expected is not None and actual != expected:
        raise ValueError(f"expected exactly {expected} {noun}, got {actual}")
    if actual == 0:
        raise ValueError(f"no {noun}")


CONTENT_MODELS: dict[ContentType, type[Content]] = {
    ContentType.flashcards: Flashcards,
    ContentType.exercises: Exercises,
    ContentType.simulation: Simulation,
}

# Keywords that OpenAI's strict mode rejects; the pydantic models still enforce them.
_UNSUPPORTED_IN_STRICT = (
    "default",
    "title",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "if",
    "then",
    "x-rule",
)


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema in the form OpenAI's strict structured output accepts:
    every property required, optional ones nullable, no additional properties."""
    schema = copy.deepcopy(model.model_json_schema())
    _make_strict(schema)
    for definition in schema.get("$defs", {}).values():
        _make_strict(definition)
    return schema


def _make_strict(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _make_strict(item)
        return
    if not isinstance(node, dict):
        return
    for keyword in _UNSUPPORTED_IN_STRICT:
        node.pop(keyword, None)
    if "properties" in node:
        node["required"] = list(node["properties"])
        node["additionalProperties"] = False
        for value in node["properties"].values():
            _make_strict(value)
    for key in ("items", "anyOf"):
        if key in node:
            _make_strict(node[key])


class GenerationRequest(RequestModel):
    query: Annotated[
        str,
        Field(
            min_length=1,
            max_length=2000,
            description="the topic, in the learner's words",
            examples=["ordering tapas in a bar"],
        ),
    ]
    target_language: LanguageInput | None = None
    base_language: LanguageInput | None = None
    level: LevelInput | None = None
    use_history: bool | None = Field(
        default=None,
        description="show the model the learner's weak items and recent content in this "
        "language (default: the profile's `use_history`, on unless turned off)",
    )


class CountedGenerationRequest(GenerationRequest):
    count: int = Field(default=10, ge=1, le=50, description="number of cards or exercises")


class GenerationResponse(BaseModel):
    generation_id: uuid.UUID
    content_type: ContentType
    query: str
    target_language: str
    base_language: str
    level: Level
    content: dict[str, Any]
    provider: str
    model: str
    created_at: datetime
