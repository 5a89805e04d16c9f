"""The console's statements about accounts (`langtutor.admin`): the learners listed and
searched, one learner by id, the operators counted, and the one-time password-reset codes;
and what a class shows of its learners (`names`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.models import PasswordResetCode, User

# What the console shows of a learner.
PERSON_COLUMNS = (
    User.user_id,
    User.username,
    User.email,
    User.is_admin,
    User.disabled_at,
    User.created_at,
    User.last_active_at,
)


def _like(text: str) -> str:
    """`text` anywhere, its LIKE wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


async def people(
    session: AsyncSession, *, query: str | None, after: int | None, limit: int
) -> list[Any]:
    """Learners by id, after the cursor's id, whose name or email contains `query` (any
    case): `limit` of them."""
    statement = select(*PERSON_COLUMNS).order_by(User.user_id).limit(limit)
    if after is not None:
        statement = statement.where(User.user_id > after)
    if query:
        pattern = _like(query)
        statement = statement.where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    return list(await session.execute(statement))


async def person(session: AsyncSession, user_id: int) -> User | None:
    """Any learner by id, in the session (an operator's reads and changes only)."""
    return await session.get(User, user_id)


async def other_active_operators(session: AsyncSession, user_id: int) -> int:
    """Operators who can still sign in, besides this one."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.is_admin.is_(True), User.disabled_at.is_(None), User.user_id != user_id)
        )
        or 0
    )


async def replace_reset_code(
    session: AsyncSession,
    *,
    user_id: int,
    digest: str,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    """The learner's one reset code: those before it are deleted."""
    await session.execute(delete(PasswordResetCode).where(PasswordResetCode.user_id == user_id))
    session.add(
        PasswordResetCode(
            user_id=user_id, code_digest=digest, created_at=created_at, expires_at=expires_at
        )
    )
    await session.flush()


async def use_reset_code(
    session: AsyncSession, *, user_id: int, digest: str, now: datetime
) -> bool:
    """The learner's code used, once (a concurrent use finds it used); False for a wrong,
    used or expired code, or another learner's."""
    used = await session.execute(
        update(PasswordResetCode)
        .where(
            PasswordResetCode.user_id == user_id,
            PasswordResetCode.code_digest == digest,
            PasswordResetCode.used_at.is_(None),
            PasswordResetCode.expires_at > now,
        )
        .values(used_at=now)
    )
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


async def live_name(session: AsyncSession, *, user_id: int) -> str | None:
    """A learner's name while their account is live (None when disabled or gone): what a
    shared set says of whom it comes from."""
    return await session.scalar(
        select(User.username).where(User.user_id == user_id, User.disabled_at.is_(None))
    )


@dataclass(frozen=True, slots=True)
class Named:
    """What a class shows of a learner: their name, and the language their cards' backs are
    in (their copies of assigned sets)."""

    user_id: int
    username: str
    base_language: str | None


async def names(session: AsyncSession, user_ids: Collection[int]) -> dict[int, Named]:
    """The learners of these ids, by id."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.user_id, User.username, User.default_base_language).where(
            User.user_id.in_(list(user_ids))
        )
    )
    return {
        row.user_id: Named(row.user_id, row.username, row.default_base_language) for row in rows
    }
