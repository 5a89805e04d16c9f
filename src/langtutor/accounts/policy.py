"""The sign-up policy's statements: the server's settings row (the policy in force, the first
operator claimed once) and the invite codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.models import InviteCode, ServerSettings, User

SETTINGS_ID = 1


async def ensure_settings(session: AsyncSession) -> None:
    """The settings row, made if it is missing (a database the tests emptied): concurrent
    callers insert it once."""
    dialect = session.get_bind().dialect.name
    values = {"settings_id": SETTINGS_ID}
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(ServerSettings).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(ServerSettings).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - the two databases the server runs on
        statement = insert(ServerSettings).values(values)
    await session.execute(statement)


async def registration(session: AsyncSession) -> str | None:
    """The sign-up policy an operator set, or None (the server's setting applies)."""
    return await session.scalar(
        select(ServerSettings.registration).where(ServerSettings.settings_id == SETTINGS_ID)
    )


async def set_registration(session: AsyncSession, mode: str, now: datetime) -> None:
    await ensure_settings(session)
    await session.execute(
        update(ServerSettings)
        .where(ServerSettings.settings_id == SETTINGS_ID)
        .values(registration=mode, updated_at=now)
    )


async def claim_first_operator(session: AsyncSession) -> bool:
    """True for exactly one sign-up ever, and only while the server has no account: one
    conditional update of the settings row, which a concurrent sign-up waits on (PostgreSQL's
    row lock, SQLite's write lock) and then finds claimed."""
    await ensure_settings(session)
    claimed = await session.execute(
        update(ServerSettings)
        .where(
            ServerSettings.settings_id == SETTINGS_ID,
            ServerSettings.first_operator_claimed.is_(False),
            ~exists(select(User.user_id)),
        )
        .values(first_operator_claimed=True)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


async def lock_operators(session: AsyncSession) -> None:
    """Changes that can take an operator away run one at a time (the settings row locked
    until commit), so two of them cannot each leave the other as the last operator."""
    await ensure_settings(session)
    await session.execute(
        update(ServerSettings)
        .where(ServerSettings.settings_id == SETTINGS_ID)
        .values(updated_at=ServerSettings.updated_at)
    )


# -- invite codes -------------------------------------------------------------------------------


async def add_invites(
    session: AsyncSession,
    codes: list[tuple[str, str]],
    *,
    created_at: datetime,
    expires_at: datetime | None,
    max_uses: int = 1,
    created_by: int | None = None,
) -> list[InviteCode]:
    """Codes given as (digest, hint)."""
    rows = [
        InviteCode(
            code_digest=digest,
            code_hint=hint,
            created_at=created_at,
            expires_at=expires_at,
            max_uses=max_uses,
            use_count=0,
            created_by_user_id=created_by,
        )
        for digest, hint in codes
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def use_invite(session: AsyncSession, *, digest: str, user_id: int, now: datetime) -> bool:
    """One use of the code by this account; False for a code used up (by concurrent sign-ups
    too: the count is compared and raised in one statement), expired, revoked or unknown."""
    used = await session.execute(
        update(InviteCode)
        .where(
            InviteCode.code_digest == digest,
            InviteCode.use_count < InviteCode.max_uses,
            InviteCode.revoked_at.is_(None),
            (InviteCode.expires_at.is_(None)) | (InviteCode.expires_at > now),
        )
        .values(use_count=InviteCode.use_count + 1, used_at=now, used_by_user_id=user_id)
    )
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


async def invites(session: AsyncSession, *, limit: int) -> list[InviteCode]:
    """The newest codes first."""
    return list(
        await session.scalars(select(InviteCode).order_by(InviteCode.invite_id.desc()).limit(limit))
    )


async def invite_by(
    session: AsyncSession, *, invite_id: int | None = None, digest: str | None = None
) -> InviteCode | None:
    query = select(InviteCode)
    if invite_id is not None:
        query = query.where(InviteCode.invite_id == invite_id)
    else:
        query = query.where(InviteCode.code_digest == digest)
    return await session.scalar(query)
