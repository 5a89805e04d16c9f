"""Passwords changed: by the learner (the current one first), or with a one-time reset code
an operator gave them (`langtutor.admin`: the learner forgot theirs). Either way every other
token of the learner is revoked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts import people, repository
from langtutor.accounts.credentials import ACCOUNT_DISABLED, user_changed
from langtutor.accounts.models import User
from langtutor.accounts.registration import new_code, normalized_invite
from langtutor.accounts.schemas import normalize_username
from langtutor.accounts.security import hash_password, token_digest, verify_password
from langtutor.accounts.throttle import Client, LoginClient, Throttle
from langtutor.accounts.tokens import TokenCache, VerifiedToken
from langtutor.accounts.usernames import username_key
from langtutor.db import utcnow
from langtutor.errors import Forbidden

# A reset code is good for one use within a day.
RESET_CODE_VALID = timedelta(hours=24)


class ResetRefused(Forbidden):
    """A reset code that is wrong, used, expired, or not this account's."""

    def __init__(self) -> None:
        super().__init__("this reset code is not valid for this username, or has been used")


async def change_password(
    *,
    session: AsyncSession,
    tokens: TokenCache,
    user: User,
    token: VerifiedToken,
    current_password: str,
    new_password: str,
) -> None:
    if not await verify_password(current_password, user.password_hash):
        raise Forbidden("current password is incorrect")
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    tokens.hold_back(user.user_id, keep=token.digest)
    user.password_hash = await hash_password(new_password)
    await repository.revoke_other_tokens(
        session, user_id=user.user_id, keep_token_id=token.token_id, now=utcnow()
    )
    await session.flush()


async def issue_reset_code(
    *, session: AsyncSession, user_id: int, secret_key: str, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new one-time code for the learner (shown once, only its digest kept), and when it
    expires; the learner's unused codes before it stop working."""
    now = now or utcnow()
    code = new_code()
    expires_at = now + RESET_CODE_VALID
    await people.replace_reset_code(
        session,
        user_id=user_id,
        digest=token_digest(normalized_invite(code), secret_key),
        created_at=now,
        expires_at=expires_at,
    )
    return code, expires_at


async def reset_password(
    *,
    session: AsyncSession,
    tokens: TokenCache,
    username: str,
    code: str,
    new_password: str,
    secret_key: str,
    client: Client,
    throttle: Throttle,
) -> None:
    """The new password, for the right username and reset code; every token of the learner
    is revoked. Counted as a login attempt (a wrong code as a failed login), so codes cannot
    be guessed faster than passwords."""
    username = normalize_username(username)
    key = username_key(username)
    counted_as = LoginClient.of(client, key=key, secret_key=secret_key)
    await throttle.login_attempt(session, key=key, client=counted_as)
    user = await repository.user_named(session, username, key)
    digest = token_digest(normalized_invite(code), secret_key)
    if user is None or not await people.use_reset_code(
        session, user_id=user.user_id, digest=digest, now=utcnow()
    ):
        raise ResetRefused()
    if user.disabled_at is not None:
        raise Forbidden(ACCOUNT_DISABLED)
    await throttle.login_succeeded(session, key=key, client=counted_as)
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    user.password_hash = await hash_password(new_password)
    await repository.revoke_all_tokens(session, user_id=user.user_id, now=utcnow())
    await session.flush()
