"""Value types that several domains share: the base of every request body (unknown fields and
NUL characters are refused with 422), language and level inputs, validation-error summaries."""

from __future__ import annotations

from functools import cache
from itertools import combinations
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    model_validator,
)

from langtutor.enums import Level
from langtutor.languages import (
    LEVEL_ALIASES,
    UnknownLevelError,
    normalize_language,
    normalize_level,
)

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
    """A request body: unknown fields and NUL characters are refused, and numbers, true/false
    and times are taken only as the JSON types the schema gives them (pydantic alone would
    read `"5"` or `false` as a number, `0` as false and `0` as a time in 1970)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _plain_json(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kinds = _scalar_kinds(cls)
        for name, value in data.items():
            # PostgreSQL cannot store NUL in text or jsonb: refuse it at the door.
            if contains_nul(name) or contains_nul(value):
                raise ValueError(f"{name}: text must not contain NUL characters")
            expected = kinds.get(name)
            if expected and not any(_is_kind(value, kind) for kind in expected):
                raise ValueError(f"{name}: must be {' or '.join(sorted(expected))}")
        return data


def _is_kind(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, int | float)  # "number"


# Strings in these formats are times; pydantic alone would read a number as seconds since 1970.
TIME_FORMATS = {"date-time", "date", "time", "duration"}


@cache
def _scalar_kinds(model: type[BaseModel]) -> dict[str, frozenset[str]]:
    """The JSON types of the model's number, true/false and time fields, from its own schema."""
    kinds = {}
    for name, schema in model.model_json_schema().get("properties", {}).items():
        types = {_kind(option) for option in schema.get("anyOf", [schema])}
        if (
            types
            and types <= {"integer", "number", "boolean", "string", "null"}
            and types != {"null"}
        ):
            kinds[name] = frozenset(str(kind) for kind in types)
    return kinds


def _kind(option: dict[str, Any]) -> str | None:
    """An option's JSON type; a string counts only when it is a time."""
    kind = option.get("type")
    if kind == "string" and option.get("format") not in TIME_FORMATS:
        return "text"
    return kind


# What the server accepts and a JSON Schema cannot state gets this note (and a `format` that
# clients may teach their generators, as the contract test does).
LANGUAGE_NOTE = "a language code or English name that langcodes knows"

LanguageInput = Annotated[
    str,
    Field(
        min_length=1,
        max_length=50,
        description="a language code (`es`, `zh-Hant`) or an English name (`Spanish`)",
        examples=["es"],
        json_schema_extra={"format": "language", "x-accepts": LANGUAGE_NOTE},
    ),
    AfterValidator(normalize_language),
]

# The canonical CEFR levels and the older names clients still send (Beginner = A2, ...),
# exactly as the schema lists them.
LEVEL_CHOICES = [level.value for level in Level] + [alias.title() for alias in LEVEL_ALIASES]


def _listed_level(value: str) -> Level:
    if value not in LEVEL_CHOICES:
        raise UnknownLevelError(value)
    return normalize_level(value)


LevelInput = Annotated[
    str,
    Field(
        description="CEFR A1–C2, or Beginner (A2), Intermediate (B1), Advanced (C1), Fluent (C2)",
        examples=["A2"],
        json_schema_extra={"enum": LEVEL_CHOICES},
    ),
    AfterValidator(_listed_level),
]

TIME_ZONES = frozenset(available_timezones())
TIME_ZONE_NOTE = "an IANA time zone name in the server's time zone database"


def _time_zone(value: str) -> str:
    if value not in TIME_ZONES:
        raise ValueError(f"unknown time zone {value!r}: use an IANA name such as 'Europe/Madrid'")
    return value


# Not an enum of the ~600 names: that bloats the schema and breaks client generators
# (`Etc/GMT0` and `Etc/GMT-0` make the same identifier).
TimeZoneName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        examples=["Europe/Madrid"],
        description="IANA time zone",
        json_schema_extra={"format": "time-zone", "x-accepts": TIME_ZONE_NOTE},
    ),
    AfterValidator(_time_zone),
]

# White space as Unicode defines it (what Rust's and JavaScript's `trim` remove), and a
# pattern for "something besides white space" that Python, Rust and JavaScript read alike:
# the schema's `pattern` and the server's stripping agree on every string.
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
NOT_BLANK = f"[^{WHITE_SPACE}]"


def strip_white_space(value: str) -> str:
    return value.strip(WHITE_SPACE)


# After the length and pattern checks, which thus see what the client sent.
Strip = AfterValidator(strip_white_space)


def _present(name: str) -> JsonValue:
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


def _absent(name: str) -> JsonValue:
    return {"properties": {name: {"type": "null"}}}  # not sent, or null


# Rules between fields, as `not` of the forbidden combinations: JSON Schema validators and
# test generators apply them, while client generators still see one object with its fields
# (a `oneOf` of alternatives would turn it into a union of fragments).
def exactly_one(*names: str) -> dict[str, JsonValue]:
    """Exactly one of the fields is sent, and not null."""
    forbidden: list[JsonValue] = [
        {"allOf": [_present(first), _present(second)]} for first, second in combinations(names, 2)
    ]
    forbidden.append({"allOf": [_absent(name) for name in names]})
    return {"not": {"anyOf": forbidden}}


def at_least_one(*names: str, text: str | None = None) -> dict[str, JsonValue]:
    """At least one of the fields is sent and not null, or `text` is sent and not blank."""
    forbidden: list[JsonValue] = [_absent(name) for name in names]
    if text is not None:
        blank: JsonValue = {
            "anyOf": [{"type": "null"}, {"type": "string", "not": {"pattern": NOT_BLANK}}]
        }
        forbidden.append({"properties": {text: blank}})
    return {"not": {"allOf": forbidden}}


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
