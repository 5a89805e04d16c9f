"""Value types that several domains share: the base of every request body (unknown fields and
NUL characters are refused with 422), language and level inputs, validation-error summaries."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from langtutor.languages import normalize_language, normalize_level

MAX_REPORTED_ERRORS = 8


def contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text or jsonb: refuse it at the door, for both databases.
        if contains_nul(value):
            raise ValueError("text must not contain NUL characters")
        return value


LanguageInput = Annotated[
    str,
    Field(
        min_length=1,
        max_length=50,
        description="a language code (`es`, `zh-Hant`) or an English name (`Spanish`)",
        examples=["es"],
    ),
    AfterValidator(normalize_language),
]
LevelInput = Annotated[
    str,
    Field(
        min_length=1,
        max_length=20,
        description="CEFR A1–C2, or Beginner, Intermediate, Advanced, Fluent",
        examples=["A2"],
    ),
    AfterValidator(normalize_level),
]


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name such as 'Europe/Madrid'"
        ) from None
    return value


TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Madrid"], description="IANA time zone"),
    AfterValidator(_time_zone),
]


def describe_errors(error: ValidationError) -> str:
    """A validation error in one line, for a model to repair or a learner to read."""
    problems = []
    for problem in error.errors()[:MAX_REPORTED_ERRORS]:
        where = ".".join(str(part) for part in problem["loc"]) or "(root)"
        problems.append(f"{where}: {problem['msg']}")
    more = error.error_count() - MAX_REPORTED_ERRORS
    if more > 0:
        problems.append(f"and {more} more")
    return "; ".join(problems)
