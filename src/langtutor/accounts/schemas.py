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
from langtutor.schemas import LanguageInput, LevelInput, RequestModel

Username = Annotated[
    str,
    StringConstraints(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.\-]+$"),
    Field(description="3–50 letters, digits, `_`, `.` or `-`", examples=["ana_garcia"]),
]
Password = Annotated[str, Field(min_length=8, max_length=1024, examples=["correct horse battery"])]
Email = Annotated[
    EmailStr,
    Field(max_length=255, examples=["ana@example.org"]),
    AfterValidator(lambda value: value.lower()),
]


class UserCreate(RequestModel):
    username: Username
    password: Password
    email: Email | None = None
    default_target_language: LanguageInput | None = None
    default_base_language: LanguageInput | None = None
    self_assessed_level: LevelInput | None = None


class UserUpdate(RequestModel):
    """Only the fields sent are changed; `null` clears a field."""

    email: Email | None = None
    default_target_language: LanguageInput | None = None
    default_base_language: LanguageInput | None = None
    self_assessed_level: LevelInput | None = None


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


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
