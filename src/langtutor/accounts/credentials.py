"""Tokens: issued at login, checked on every request (from the token cache when it holds
them), renewed while a browser session is in use, revoked; and `user_changed`, which every
change to a user goes through so that no token cache serves the user as they were."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from langtutor import notices
from langtutor.accounts import repository
from langtutor.accounts.schemas import UserPublic
from langtutor.accounts.security import new_token, token_digest
from langtutor.accounts.tokens import TokenCache, VerifiedToken
from langtutor.db import session_scope, utcnow
from langtutor.errors import Unauthorized

# What a disabled account's token and login are told.
ACCOUNT_DISABLED = "this account has been disabled by the server's operator"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    # After a login: the device cookie that makes this client known to the account.
    device_cookie: str | None = None


async def user_changed(*, session: AsyncSession, tokens: TokenCache, user_id: int) -> None:
    """Every change to a user (profile, password, tokens, deletion) goes through here: this
    process holds the user's cached tokens back at once, and the others when the change
    commits (PostgreSQL delivers the notice then; see accounts.tokens)."""
    tokens.hold_back(user_id)
    await notices.notify(session, notices.USERS, str(user_id))


async def issue_token(
    *,
    session: AsyncSession,
    user_id: int,
    secret_key: str,
    ttl_s: int,
    renewable_for_s: int | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """A token valid for `ttl_s`; with `renewable_for_s` (a browser session) it renews on
    use for up to that long in all."""
    token = new_token()
    now = now or utcnow()
    await repository.add_token(
        session,
        user_id=user_id,
        digest=token_digest(token, secret_key),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
        renewable_until=(
            now + timedelta(seconds=renewable_for_s) if renewable_for_s is not None else None
        ),
    )
    return IssuedToken(access_token=token, expires_in=ttl_s)


async def signed_in_token(
    *,
    tokens: TokenCache,
    sessions: async_sessionmaker[AsyncSession],
    token: str,
    secret_key: str,
    ttl_s: int,
    now: datetime,
) -> VerifiedToken:
    """The live token a request carries: from the cache when it holds it (no round trip),
    else checked (and a browser session in use renewed) in the database, then cached."""
    digest = token_digest(token, secret_key)
    cached = tokens.get(digest)
    if (
        cached is not None
        and cached.expires_at > now
        and _renewed_expiry(cached.expires_at, cached.renewable_until, ttl_s, now) is None
    ):
        return cached

    async def check() -> VerifiedToken:
        async with session_scope(sessions) as session:
            verified = await verify_token(session=session, digest=digest, ttl_s=ttl_s, now=now)
        tokens.put(verified)
        return verified

    return await tokens.check_once(digest, check)


async def verify_token(
    *, session: AsyncSession, digest: str, ttl_s: int, now: datetime
) -> VerifiedToken:
    row = await repository.token_row(session, digest)
    if row is None:
        raise Unauthorized("invalid token")
    if row.disabled_at is not None:
        raise Unauthorized(ACCOUNT_DISABLED)
    _check_token_state(revoked_at=row.revoked_at, expires_at=row.expires_at, now=now)
    expires_at = row.expires_at
    renewed = _renewed_expiry(row.expires_at, row.renewable_until, ttl_s, now)
    if renewed is not None:
        await repository.renew_token(session, row.token_id, renewed, user_id=row.user_id, now=now)
        expires_at = renewed
    return VerifiedToken(
        token_id=row.token_id,
        digest=digest,
        expires_at=expires_at,
        renewable_until=row.renewable_until,
        user=UserPublic.model_validate(row._asdict()),
        fsrs_parameters=tuple(row.fsrs_parameters) if row.fsrs_parameters else None,
    )


# A session used again renews at most this often: one write an hour, not one per request.
RENEW_STEP = timedelta(hours=1)


def _renewed_expiry(
    expires_at: datetime, renewable_until: datetime | None, ttl_s: int, now: datetime
) -> datetime | None:
    """The new expiry of a browser session in use (sliding, capped), or None: no change."""
    if renewable_until is None:
        return None
    renewed = min(now + timedelta(seconds=ttl_s), renewable_until)
    return renewed if renewed - expires_at >= RENEW_STEP else None


def _check_token_state(*, revoked_at: datetime | None, expires_at: datetime, now: datetime) -> None:
    if revoked_at is not None:
        raise Unauthorized("token has been revoked; log in again")
    if expires_at <= now:
        raise Unauthorized("token has expired; log in again")


async def revoke_token(*, session: AsyncSession, tokens: TokenCache, token: VerifiedToken) -> None:
    await user_changed(session=session, tokens=tokens, user_id=token.user_id)
    await repository.revoke_token(session, token.token_id, utcnow())
