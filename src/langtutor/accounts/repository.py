"""The accounts' statements: users and tokens (invite codes and the server's settings row:
`policy`; the console's reads and changes of accounts: `people`).

A learner's own row is read through `user_of` only (another id simply finds nothing); the
token check (`TOKEN_CHECK`, the hottest read of the app) is one statement that reads the token
and its user's profile together.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.models import AuthToken, LoginAttempt, User
from langtutor.accounts.schemas import UserPublic
from langtutor.accounts.usernames import username_key

# Built once: every request with a token not in the cache runs it.
_PUBLIC_COLUMNS = [getattr(User, name) for name in UserPublic.model_fields]
TOKEN_CHECK = (
    select(
        AuthToken.token_id,
        AuthToken.revoked_at,
        AuthToken.expires_at,
        AuthToken.renewable_until,
        User.fsrs_parameters,
        User.disabled_at,
        *_PUBLIC_COLUMNS,
    )
    .join(User, User.user_id == AuthToken.user_id)
    .where(AuthToken.token_digest == bindparam("digest"))
)


async def token_row(session: AsyncSession, digest: str) -> Any | None:
    """The token with this digest and its user's profile, or None."""
    return (await session.execute(TOKEN_CHECK, {"digest": digest})).one_or_none()


async def user_of(session: AsyncSession, user_id: int) -> User | None:
    """The learner's own row, in the session (for a change): the one way to read it."""
    return await session.get(User, user_id)


def named(username: str, key: str) -> Select[User]:
    """The account with this name in any case: the one whose name is exactly this first (an
    account that predates case-insensitive names may share its key with an older one)."""
    return (
        select(User)
        .where(or_(User.username_key == key, User.username == username))
        .order_by(case((User.username == username, 0), else_=1))
        .limit(1)
    )


async def user_named(session: AsyncSession, username: str, key: str) -> User | None:
    return await session.scalar(named(username, key))


async def any_user(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(User.user_id).limit(1)))


async def username_taken(session: AsyncSession, username: str) -> bool:
    return bool(
        await session.scalar(
            select(User.user_id).where(
                or_(User.username_key == username_key(username), User.username == username)
            )
        )
    )


async def email_taken(session: AsyncSession, email: str) -> bool:
    return bool(await session.scalar(select(User.user_id).where(User.email == email)))


async def add_token(
    session: AsyncSession,
    *,
    user_id: int,
    digest: str,
    created_at: datetime,
    expires_at: datetime,
    renewable_until: datetime | None,
) -> None:
    session.add(
        AuthToken(
            user_id=user_id,
            token_digest=digest,
            created_at=created_at,
            expires_at=expires_at,
            renewable_until=renewable_until,
        )
    )
    await session.flush()


async def renew_token(
    session: AsyncSession, token_id: int, expires_at: datetime, *, user_id: int, now: datetime
) -> None:
    """A browser session in use renewed (at most once an hour): its user was active now."""
    await session.execute(
        update(AuthToken).where(AuthToken.token_id == token_id).values(expires_at=expires_at)
    )
    await session.execute(update(User).where(User.user_id == user_id).values(last_active_at=now))


async def revoke_token(session: AsyncSession, token_id: int, now: datetime) -> None:
    await session.execute(
        update(AuthToken).where(AuthToken.token_id == token_id).values(revoked_at=now)
    )


async def revoke_other_tokens(
    session: AsyncSession, *, user_id: int, keep_token_id: int, now: datetime
) -> None:
    await session.execute(
        update(AuthToken)
        .where(
            AuthToken.user_id == user_id,
            AuthToken.token_id != keep_token_id,
            AuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def revoke_all_tokens(session: AsyncSession, *, user_id: int, now: datetime) -> None:
    await session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def set_continue_point(
    session: AsyncSession,
    *,
    user_id: int,
    saved_content_id: int | None,
    generation_id: uuid.UUID | None,
    position: int,
) -> None:
    await session.execute(
        update(User)
        .where(User.user_id == user_id)
        .values(
            continue_saved_content_id=saved_content_id,
            continue_generation_id=generation_id,
            continue_position=position,
        )
    )


async def delete_user(session: AsyncSession, *, user_id: int, username: str) -> None:
    """Every row of the user goes: the foreign keys cascade, login attempts go by name."""
    await session.execute(
        delete(LoginAttempt).where(LoginAttempt.username == username_key(username))
    )
    await session.execute(delete(User).where(User.user_id == user_id))
    await session.flush()


# -- review parameters --------------------------------------------------------------------------


async def fsrs_fit_rows(session: AsyncSession, username: str | None) -> list[Any]:
    query = select(User.user_id, User.username, User.fsrs_parameters, User.fsrs_reviews_at_fit)
    if username is not None:
        query = query.where(User.username == username)
    return list(await session.execute(query.order_by(User.user_id)))


async def store_fsrs_fit(session: AsyncSession, *, user_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(User).where(User.user_id == user_id).values(**values))
