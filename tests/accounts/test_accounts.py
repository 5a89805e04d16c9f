"""`Accounts`, the service object, called directly with a `Learner` (both databases): each
method one transaction of its own, committed when it returns."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.accounts.credentials import signed_in_token
from langtutor.accounts.learner import Learner, learner_of
from langtutor.accounts.models import AuthToken, User
from langtutor.accounts.schemas import UserCreate, UserUpdate
from langtutor.accounts.service import Accounts, LoginFailed
from langtutor.accounts.throttle import LOCAL
from langtutor.accounts.tokens import TokenCache
from langtutor.config import Settings
from langtutor.db import Database, utcnow
from langtutor.errors import Conflict, Forbidden, Unauthorized

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(db: AsyncEngine, settings: Settings) -> Accounts:
    return Accounts(Database(db), TokenCache(settings.TOKEN_CACHE_TTL_S), settings)


async def signed_in(accounts: Accounts, username: str, *, browser: bool = False) -> Learner:
    issued = await accounts.log_in(
        username=username, password=PASSWORD, client=LOCAL, browser=browser
    )
    verified = await signed_in_token(
        tokens=accounts.tokens,
        sessions=accounts.db.autocommit_sessions,
        token=issued.access_token,
        secret_key=accounts.settings.SECRET_KEY,
        ttl_s=accounts.settings.ACCESS_TOKEN_TTL_S,
        now=utcnow(),
    )
    return learner_of(verified, accounts.settings)


async def test_register_log_in_update_and_log_out(accounts: Accounts, db: AsyncEngine) -> None:
    made = await accounts.register(
        data=UserCreate(username="Ines", password=PASSWORD), client=LOCAL
    )
    assert made.username == "Ines"
    with pytest.raises(Conflict):
        await accounts.register(data=UserCreate(username="ines", password=PASSWORD), client=LOCAL)
    with pytest.raises(LoginFailed):
        await accounts.log_in(username="ines", password="wrong password", client=LOCAL)
    learner = await signed_in(accounts, "ines")
    assert learner.user_id == made.user_id

    changed = await accounts.update(learner, data=UserUpdate(default_target_language="es"))
    assert changed.default_target_language == "es"
    async with db.connect() as connection:  # committed when the method returned
        stored = await connection.scalar(
            select(User.default_target_language).where(User.user_id == learner.user_id)
        )
    assert stored == "es"

    await accounts.log_out(learner)
    async with db.connect() as connection:
        revoked = await connection.scalar(
            select(AuthToken.revoked_at).where(AuthToken.token_id == learner.token.token_id)
        )
    assert revoked is not None


async def test_refresh_password_and_deletion(accounts: Accounts, db: AsyncEngine) -> None:
    await accounts.register(data=UserCreate(username="jon", password=PASSWORD), client=LOCAL)
    learner = await signed_in(accounts, "jon")
    issued = await accounts.refresh(learner, now=utcnow())
    assert issued.access_token
    assert await accounts.password_is(learner, PASSWORD)
    assert not await accounts.password_is(learner, "something else")
    with pytest.raises(Forbidden):
        await accounts.change_password(
            learner, current_password="something else", new_password="a new long password"
        )
    other = await signed_in(accounts, "jon")
    await accounts.change_password(
        other, current_password=PASSWORD, new_password="a new long password"
    )
    await accounts.delete(other)
    async with db.connect() as connection:
        assert await connection.scalar(select(User.user_id)) is None
    with pytest.raises(Unauthorized):  # the account went since the token was checked
        await accounts.update(other, data=UserUpdate(default_target_language="fr"))


async def test_sign_up_signs_in_with_a_browser_session(accounts: Accounts) -> None:
    signed_up = await accounts.sign_up(
        data=UserCreate(username="ana", password=PASSWORD), client=LOCAL
    )
    assert signed_up.user.username == "ana"
    assert signed_up.access_token
    assert signed_up.device_cookie
    verified = await signed_in_token(
        tokens=accounts.tokens,
        sessions=accounts.db.autocommit_sessions,
        token=signed_up.access_token,
        secret_key=accounts.settings.SECRET_KEY,
        ttl_s=accounts.settings.ACCESS_TOKEN_TTL_S,
        now=utcnow(),
    )
    assert verified.renewable_until is not None  # slides on use, as the pages' sessions do
