"""Request and response bodies of the console's people side (`/admin/users`, `/admin/invites`,
`/admin/settings`, `/admin/audit`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from langtutor.schemas import RequestModel

Role = Literal["learner", "operator"]
RegistrationMode = Literal["open", "invite", "closed"]
InviteState = Literal["active", "used", "expired", "revoked"]


class Person(BaseModel):
    """A learner as the console lists them."""

    user_id: int
    username: str
    email: str | None
    role: Role
    disabled: bool
    created_at: datetime | None
    last_active: datetime | None = Field(
        description="the last login or browser-session renewal (to within an hour)"
    )


class PeoplePage(BaseModel):
    users: list[Person]
    next_cursor: str | None = Field(description="the next page's cursor; null: the last page")


class PersonChange(RequestModel):
    """Only the fields sent change."""

    role: Role | None = None
    disabled: bool | None = Field(
        default=None, description="true: no login, and every token revoked at once"
    )


class PersonDeletion(RequestModel):
    confirm: str = Field(
        min_length=1, max_length=64, description="the learner's username, typed to confirm"
    )


class ResetCode(BaseModel):
    """Shown once: the learner sets a new password with it at /app/reset-password."""

    code: str
    expires_at: datetime


class InviteCreate(RequestModel):
    uses: int = Field(default=1, ge=1, le=1000, description="sign-ups the code is good for")
    expires_in_days: int | None = Field(
        default=None, ge=1, le=365, description="days it stays valid (null: until revoked)"
    )


class Invite(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    invite_id: int
    code_hint: str | None = Field(description="the code's last four characters")
    uses: int
    used: int
    state: InviteState
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class NewInvite(Invite):
    code: str = Field(description="the whole code, shown this once (XXXX-XXXX-XXXX)")


class InviteList(BaseModel):
    invites: list[Invite]


class SignUpSettings(BaseModel):
    registration: RegistrationMode = Field(description="the sign-up policy in force")
    default_registration: RegistrationMode = Field(
        description="LANGTUTOR_REGISTRATION: the policy until an operator sets one"
    )


class SettingsChange(RequestModel):
    registration: RegistrationMode | None = None


class AuditEntryOut(BaseModel):
    audit_id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    target_id: int | None
    target: str | None
    detail: str | None
    client: str | None


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    next_cursor: str | None
