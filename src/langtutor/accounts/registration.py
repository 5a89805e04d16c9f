"""Who may sign up (`Registration`: anyone, holders of an invite code, nobody), and the invite
codes: one-use codes the operator hands out (`langtutor invite create`); only their digests are
stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts import repository
from langtutor.accounts.security import token_digest
from langtutor.accounts.throttle import LOCAL, Client, Throttle
from langtutor.config import Settings
from langtutor.db import utcnow
from langtutor.errors import Forbidden


@dataclass(frozen=True)
class Registration:
    """Who may sign up: anyone (`open`), holders of an unused invite code (`invite`), or
    nobody (`closed`); whether the first account becomes the operator; how often a client
    may try."""

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


INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand


def normalized_invite(code: str) -> str:
    return "".join(char for char in code.upper() if char.isalnum())


async def create_invites(
    *, session: AsyncSession, count: int, secret_key: str, valid_days: int | None = None
) -> list[str]:
    """New one-use codes (XXXX-XXXX-XXXX); only their digests are stored."""
    now = utcnow()
    codes = [
        "-".join("".join(secrets.choice(INVITE_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]
    await repository.add_invites(
        session,
        [token_digest(normalized_invite(code), secret_key) for code in codes],
        created_at=now,
        expires_at=now + timedelta(days=valid_days) if valid_days else None,
    )
    return codes


async def use_invite(*, session: AsyncSession, code: str, user_id: int, secret_key: str) -> None:
    """Marks the code used by this account, once: a code used already, by a concurrent
    sign-up too, is refused (and the account with it, as the transaction rolls back)."""
    digest = token_digest(normalized_invite(code), secret_key)
    if not await repository.use_invite(session, digest=digest, user_id=user_id, now=utcnow()):
        raise Forbidden("this invite code is not valid, or has been used already")
