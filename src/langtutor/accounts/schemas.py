"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from langtutor.enums import Level
from langtutor.schemas import LanguageInput, LevelInput, RequestModel, TimeZoneName

Username = Annotated[
    str,
    StringConstraints(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$"),
    Field(description="3–50 letters, digits, `_`, `.` or `-`", examples=["ana_garcia"]),
]
Password = Annotated[str, Field(min_length=8, max_length=1024, examples=["correct horse battery"])]
Email = Annotated[
    EmailStr,
    Field(max_length=254, examples=["ana@example.org"]),
    AfterValidator(lambda value: value.lower()),
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


class PasswordChange(RequestModel):
    current_password: Annotated[str, Field(min_length=1, max_length=1024)]
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


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
