"""Request and response bodies of the accounts API."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from langtutor.enums import Level
from langtutor.languages import INTERFACE_LANGUAGES
from langtutor.schemas import LanguageInput, LevelInput, RequestModel, TimeZoneName

USERNAME_RULE = (
    "3–50 letters of any script, digits, `_`, `.` or `-`, no spaces; stored in Unicode NFKC "
    "form (so `maría` typed with a combining accent, or in full-width letters, is one name)"
)
USERNAME_PUNCTUATION = frozenset("_.-")


def normalize_username(value: str) -> str:
    """The one form of a name however it was typed: NFKC folds composed and combining accents
    and full-width letters together, as login must."""
    return unicodedata.normalize("NFKC", value)


def _username_characters(value: str) -> str:
    # Letters (L*), their combining marks (M*, after a letter or digit: Devanagari and Thai
    # need them) and decimal digits (Nd) of any script; no spaces, no symbols, no invisible
    # format characters (Cf) that would make two names look alike.
    previous = ""
    for character in value:
        category = unicodedata.category(character)
        mark_ok = category[0] == "M" and previous[:1] in ("L", "N")
        if not (category[0] == "L" or category == "Nd" or mark_ok) and (
            character not in USERNAME_PUNCTUATION
        ):
            raise ValueError(
                f"{character!r} is not allowed in a username: use letters, digits, _ . or -"
            )
        previous = category if category[0] != "M" else previous
    return value


# The length is counted after normalising (a BeforeValidator wraps what precedes it).
Username = Annotated[
    str,
    StringConstraints(min_length=3, max_length=50),
    BeforeValidator(lambda value: normalize_username(value) if isinstance(value, str) else value),
    AfterValidator(_username_characters),
    Field(
        description=USERNAME_RULE,
        examples=["ana_garcia", "maría", "Дарья"],
        json_schema_extra={"format": "username", "x-accepts": USERNAME_RULE},
    ),
]
Password = Annotated[str, Field(min_length=8, max_length=1024, examples=["correct horse battery"])]
Email = Annotated[
    EmailStr,
    Field(max_length=254, examples=["ana@example.org"]),
    AfterValidator(lambda value: value.lower()),
]


def _interface_language(value: str) -> str:
    if value not in INTERFACE_LANGUAGES:
        tags = ", ".join(INTERFACE_LANGUAGES)
        raise ValueError(f"the pages are not translated to it: give one of {tags}")
    return value


InterfaceLanguage = Annotated[
    str,
    Field(
        max_length=16,
        description="the language of the pages (null: the base language where the pages have "
        "it, else the browser's)",
        json_schema_extra={"enum": list(INTERFACE_LANGUAGES)},
    ),
    AfterValidator(_interface_language),
]
DailyGoal = Annotated[
    int, Field(ge=1, le=1000, description="items a day to aim at: cards reviewed, answers checked")
]


class UserCreate(RequestModel):
    username: Username
    password: Password
    email: Email | None = None
    default_target_language: LanguageInput | None = None
    default_base_language: LanguageInput | None = None
    self_assessed_level: LevelInput | None = None
    daily_goal: DailyGoal | None = None
    invite_code: str | None = Field(
        default=None,
        max_length=64,
        description="needed when the server takes sign-ups by invitation only",
    )


DesiredRetention = Annotated[
    float,
    Field(ge=0.7, le=0.97, description="share of reviews the learner wants to recall, 0.70–0.97"),
]
NewPerDay = Annotated[int, Field(ge=0, le=9999, description="new review cards a day")]


class UserUpdate(RequestModel):
    """Only the fields sent are changed; `null` clears a field (back to the server's default)."""

    email: Email | None = None
    default_target_language: LanguageInput | None = None
    default_base_language: LanguageInput | None = None
    self_assessed_level: LevelInput | None = None
    timezone: TimeZoneName | None = None
    review_auto_cards: bool | None = None
    review_desired_retention: DesiredRetention | None = None
    review_new_per_day: NewPerDay | None = None
    use_history: bool | None = Field(
        default=None,
        description="generation may show the model your weak items and recent content",
    )
    daily_goal: DailyGoal | None = None
    audio_autoplay: bool | None = Field(
        default=None, description="read cards aloud as they come into view"
    )
    interface_language: InterfaceLanguage | None = None


class PasswordChange(RequestModel):
    current_password: Annotated[str, Field(min_length=1, max_length=1024)]
    new_password: Password


class PasswordReset(RequestModel):
    """A new password set with the one-time code an operator gave the learner."""

    username: Annotated[str, Field(min_length=1, max_length=255)]
    code: Annotated[str, Field(min_length=1, max_length=64, examples=["ABCD-EFGH-JKLM"])]
    new_password: Password


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    username: str
    email: str | None
    created_at: datetime | None
    last_login: datetime | None
    default_target_language: str | None
    default_base_language: str | None
    self_assessed_level: Level | None
    timezone: str | None
    review_auto_cards: bool
    review_desired_retention: float | None
    review_new_per_day: int | None
    use_history: bool
    daily_goal: int
    is_admin: bool
    audio_autoplay: bool
    interface_language: str | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
