"""The accounts service without HTTP: login records its failures itself, and they count."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.accounts import credentials, service
from langtutor.accounts.models import LoginAttempt
from langtutor.accounts.schemas import UserCreate
from langtutor.accounts.tokens import TokenCache
from langtutor.db import create_sessionmaker, session_scope, utcnow
from langtutor.errors import TooManyRequests, Unprocessable
from tests.conftest import TEST_SECRET

PASSWORD = "correct horse battery"


async def attempts(db: AsyncEngine, username: str | None = None) -> int:
    query = select(func.count()).select_from(LoginAttempt)
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    async with db.connect() as connection:
        return await connection.scalar(query) or 0


async def test_a_failed_login_is_recorded_although_the_request_fails(db: AsyncEngine) -> None:
    sessions = create_sessionmaker(db)
    async with session_scope(sessions) as session:
        await service.create_user(
            session=session, data=UserCreate(username="ines", password=PASSWORD)
        )

    async def login(password: str) -> credentials.IssuedToken:
        async with session_scope(sessions) as session:
            return await service.login(
                session=session,
                tokens=TokenCache(0),
                username="ines",
                password=password,
                secret_key=TEST_SECRET,
                ttl_s=60,
            )

    for number in range(1, service.LOGIN_MAX_FAILURES + 1):
        with pytest.raises(service.LoginFailed):
            await login("wrong password")
        assert await attempts(db, "ines") == number  # committed by session_scope all the same
    with pytest.raises(TooManyRequests):
        await login(PASSWORD)  # throttled, even with the right password


async def test_a_right_login_clears_failures_and_issues_a_token(db: AsyncEngine) -> None:
    sessions = create_sessionmaker(db)
    async with session_scope(sessions) as session:
        user = await service.create_user(
            session=session, data=UserCreate(username="jon", password=PASSWORD)
        )
    with pytest.raises(service.LoginFailed):
        async with session_scope(sessions) as session:
            await service.login(
                session=session,
                tokens=TokenCache(0),
                username="jon",
                password="nope",
                secret_key=TEST_SECRET,
                ttl_s=60,
            )
    async with session_scope(sessions) as session:
        issued = await service.login(
            session=session,
            tokens=TokenCache(0),
            username="jon",
            password=PASSWORD,
            secret_key=TEST_SECRET,
            ttl_s=60,
        )
    assert issued.expires_in == 60
    assert await attempts(db, "jon") == 0
    verified = await credentials.signed_in_token(
        tokens=TokenCache(5),
        sessions=sessions,
        token=issued.access_token,
        secret_key=TEST_SECRET,
        ttl_s=60,
        now=utcnow(),
    )
    async with session_scope(sessions) as session:
        auth = await service.load_user(session=session, token=verified)
    assert auth.user_id == user.user_id
    assert auth.user.last_login is not None


@pytest.mark.parametrize(("username", "password"), [("a\x00b", PASSWORD), ("ana", "p" * 1025)])
async def test_text_no_account_could_have_is_refused_without_an_attempt(
    db: AsyncEngine, username: str, password: str
) -> None:
    async with session_scope(create_sessionmaker(db)) as session:
        with pytest.raises(Unprocessable):
            await service.login(
                session=session,
                tokens=TokenCache(0),
                username=username,
                password=password,
                secret_key=TEST_SECRET,
                ttl_s=60,
            )
    assert await attempts(db) == 0  # (PostgreSQL could not even look a NUL up)
