"""Who may sign up (`Registration`: anyone, holders of an invite code, nobody), and the invite
codes the operators hand out (`langtutor invite create`, the console): each good for a number
of sign-ups until it expires or is revoked; only their digests are stored.

The policy in force is the one an operator set in the console (stored in the database, so
every process and a restart keep it), else `LANGTUTOR_REGISTRATION`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts import policy
from langtutor.accounts.models import InviteCode
from langtutor.accounts.security import token_digest
from langtutor.accounts.throttle import LOCAL, Client, Throttle
from langtutor.config import Settings
from langtutor.db import utcnow
from langtutor.errors import Forbidden


class SignUpClosed(Forbidden):
    def __init__(self) -> None:
        super().__init__("sign-up is closed on this server: ask its operator for an account")


class InviteNeeded(Forbidden):
    def __init__(self) -> None:
        super().__init__("sign-up on this server needs an invite code from its operator")


class InviteRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__("this invite code is not valid, or has been used already")


@dataclass(frozen=True)
class Registration:
    """Who may sign up: anyone (`open`), holders of a valid invite code (`invite`), or
    nobody (`closed`); `mode` is the server's setting, which the policy an operator set in
    the database overrides; whether the first account becomes the operator; how often a
    client may try."""

    mode: str = "open"
    first_user_admin: bool = False
    client: Client = LOCAL
    throttle: Throttle = field(default_factory=Throttle)

    @classmethod
    def of(cls, settings: Settings, client: Client = LOCAL) -> Registration:
        return cls(
            mode=settings.REGISTRATION,
            first_user_admin=settings.FIRST_USER_ADMIN,
            client=client,
            throttle=Throttle.of(settings),
        )

    async def in_force(self, session: AsyncSession) -> str:
        """The policy an operator set, else the server's setting."""
        return await policy.registration(session) or self.mode


async def set_policy(session: AsyncSession, mode: str, now: datetime) -> None:
    """The sign-up policy an operator chose, for every process from the next sign-up."""
    await policy.set_registration(session, mode, now)


async def first_operator(session: AsyncSession, registration: Registration) -> bool:
    """Whether this sign-up makes the server's first operator: at most once, ever (see
    `policy.claim_first_operator`), and only with LANGTUTOR_FIRST_USER_ADMIN."""
    return registration.first_user_admin and await policy.claim_first_operator(session)


async def check_sign_up(
    session: AsyncSession, registration: Registration, invite_code: str | None
) -> str:
    """The policy in force, when it lets this sign-up through (else SignUpClosed or
    InviteNeeded; the invite code itself is used once the account exists)."""
    mode = await registration.in_force(session)
    if mode == "closed":
        raise SignUpClosed()
    if mode == "invite" and not invite_code:
        raise InviteNeeded()
    return mode


INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
CODE_LENGTH = 12


def normalized_invite(code: str) -> str:
    return "".join(char for char in code.upper() if char.isalnum())


def new_code() -> str:
    """XXXX-XXXX-XXXX from INVITE_ALPHABET (60 bits)."""
    return "-".join("".join(secrets.choice(INVITE_ALPHABET) for _ in range(4)) for _ in range(3))


def code_digest(code: str, secret_key: str) -> str:
    return token_digest(normalized_invite(code), secret_key)


@dataclass(frozen=True)
class InviteView:
    """An invite code as the console shows it (never the code itself, which is not kept)."""

    invite_id: int
    code_hint: str | None
    uses: int
    used: int
    state: str  # active, used (up), expired or revoked
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: InviteCode, now: datetime) -> InviteView:
        if row.revoked_at is not None:
            state = "revoked"
        elif row.use_count >= row.max_uses:
            state = "used"
        elif row.expires_at is not None and row.expires_at <= now:
            state = "expired"
        else:
            state = "active"
        return cls(
            invite_id=row.invite_id,
            code_hint=row.code_hint,
            uses=row.max_uses,
            used=row.use_count,
            state=state,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True)
class NewInvite:
    code: str
    invite: InviteView


async def create_invites(
    *,
    session: AsyncSession,
    count: int,
    secret_key: str,
    valid_days: int | None = None,
    uses: int = 1,
    created_by: int | None = None,
) -> list[str]:
    """New codes (XXXX-XXXX-XXXX), each good for `uses` sign-ups; only their digests (and
    last four characters) are stored."""
    return [
        made.code
        for made in await new_invites(
            session=session,
            count=count,
            secret_key=secret_key,
            valid_days=valid_days,
            uses=uses,
            created_by=created_by,
        )
    ]


async def new_invites(
    *,
    session: AsyncSession,
    count: int,
    secret_key: str,
    valid_days: int | None = None,
    uses: int = 1,
    created_by: int | None = None,
    now: datetime | None = None,
) -> list[NewInvite]:
    now = now or utcnow()
    codes = [new_code() for _ in range(count)]
    rows = await policy.add_invites(
        session,
        [(code_digest(code, secret_key), normalized_invite(code)[-4:]) for code in codes],
        created_at=now,
        expires_at=now + timedelta(days=valid_days) if valid_days else None,
        max_uses=uses,
        created_by=created_by,
    )
    return [NewInvite(code, InviteView.of(row, now)) for code, row in zip(codes, rows, strict=True)]


async def use_invite(*, session: AsyncSession, code: str, user_id: int, secret_key: str) -> None:
    """One use of the code by this account: a code used up (by concurrent sign-ups too),
    expired or revoked is refused (and the account with it, as the transaction rolls back)."""
    digest = code_digest(code, secret_key)
    if not await policy.use_invite(session, digest=digest, user_id=user_id, now=utcnow()):
        raise InviteRefused()


async def list_invites(session: AsyncSession, *, limit: int, now: datetime) -> list[InviteView]:
    """The newest codes first."""
    return [InviteView.of(row, now) for row in await policy.invites(session, limit=limit)]


async def revoke_invite(
    session: AsyncSession, key: str, *, secret_key: str, now: datetime
) -> tuple[InviteView, bool] | None:
    """The invite (by its id, as the console lists it, or by the code itself) revoked, and
    whether it was not already; None: no such invite."""
    normalized = normalized_invite(key)
    row: InviteCode | None = None
    if len(normalized) == CODE_LENGTH:
        row = await policy.invite_by(session, digest=code_digest(normalized, secret_key))
    elif key.isdigit() and len(key) < 10:
        row = await policy.invite_by(session, invite_id=int(key))
    if row is None:
        return None
    changed = row.revoked_at is None
    if changed:
        row.revoked_at = now
        await session.flush()
    return InviteView.of(row, now), changed
