"""What an operator changes of an account (`langtutor.admin` calls these in its
transactions, which also write the audit log): the role, disabled or enabled, deleted, a
password-reset code. The server never loses its last operator: every change that could take
one away runs one at a time (`policy.lock_operators`) and is refused when no other operator
who can sign in would be left."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts import people, policy, repository
from langtutor.accounts.credentials import user_changed
from langtutor.accounts.models import User
from langtutor.accounts.tokens import TokenCache
from langtutor.accounts.usernames import username_key
from langtutor.errors import Conflict, NotFound, Unprocessable

LAST_OPERATOR = (
    "this is the server's last operator who can sign in: make another learner an operator first"
)


class LastOperator(Conflict):
    def __init__(self) -> None:
        super().__init__(LAST_OPERATOR)


@dataclass(frozen=True)
class Change:
    """A change asked of an account: None leaves that part as it is."""

    operator: bool | None = None
    disabled: bool | None = None


async def list_people(
    session: AsyncSession, *, query: str | None, after: int | None, limit: int
) -> list[Any]:
    """Learners by id after `after`, whose name or email contains `query`."""
    return await people.people(session, query=query, after=after, limit=limit)


async def found(session: AsyncSession, user_id: int) -> User:
    user = await people.person(session, user_id)
    if user is None:
        raise NotFound("no such learner")
    return user


async def change_person(
    session: AsyncSession, tokens: TokenCache, *, user_id: int, change: Change, now: datetime
) -> tuple[User, list[str]]:
    """The account changed as asked, and what changed (`operator`, `learner`, `disabled`,
    `enabled`: nothing asked that it already was). Disabling revokes every token of the
    account in the same transaction; every change holds its cached tokens back, here at once
    and in the other processes when it commits."""
    await policy.lock_operators(session)
    user = await found(session, user_id)
    done: list[str] = []
    if change.operator is not None and change.operator != user.is_admin:
        done.append("operator" if change.operator else "learner")
    if change.disabled is not None and change.disabled != (user.disabled_at is not None):
        done.append("disabled" if change.disabled else "enabled")
    if not done:
        return user, done
    if "learner" in done or "disabled" in done:
        await not_the_last(session, user)
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    if "operator" in done or "learner" in done:
        user.is_admin = bool(change.operator)
    if "disabled" in done:
        user.disabled_at = now
        await repository.revoke_all_tokens(session, user_id=user.user_id, now=now)
    elif "enabled" in done:
        user.disabled_at = None
    await session.flush()
    return user, done


async def delete_person(
    session: AsyncSession,
    tokens: TokenCache,
    *,
    user_id: int,
    confirm_name: str,
    before: Callable[[User], Awaitable[None]],
) -> None:
    """The account and all its data deleted, when `confirm_name` is its name (in any case);
    `before` runs once the deletion is allowed, while the account still exists (the audit
    entry, which may name the operator deleting their own account)."""
    await policy.lock_operators(session)
    user = await found(session, user_id)
    if username_key(confirm_name.strip()) != username_key(user.username):
        raise Unprocessable(
            "type the learner's username to confirm the deletion", loc=["body", "confirm"]
        )
    await not_the_last(session, user)
    await before(user)
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    await repository.delete_user(session, user_id=user.user_id, username=user.username)


async def not_the_last(session: AsyncSession, user: User) -> None:
    """LastOperator when the account is an operator who can sign in and no other is left;
    call it after `policy.lock_operators`."""
    if not user.is_admin or user.disabled_at is not None:
        return
    if await people.other_active_operators(session, user.user_id) == 0:
        raise LastOperator()
