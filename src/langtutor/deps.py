"""FastAPI dependencies shared by the routers: settings, a session per request, the user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.models import User
from langtutor.accounts.service import (
    Authenticated,
    Profile,
    authenticate_token,
    profile_for_token,
)
from langtutor.config import Settings
from langtutor.db import session_scope
from langtutor.errors import Forbidden, Unauthorized
from langtutor.web.security import CSRF_HEADER, SAFE_METHODS, TOKEN_COOKIE, csrf_valid

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


async def get_settings(request: Request) -> Settings:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a costly hop.
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the answer is sent (see SessionDep)."""
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit runs before the answer is sent. With FastAPI's default
# ("request") it ran after, so a client could read before the commit, or be told 201 about
# a write whose commit then failed.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def request_token(request: Request, bearer: str | None, secret_key: str) -> str:
    if bearer:
        return bearer
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise Unauthorized("not authenticated: send 'Authorization: Bearer <token>'")
    # A browser sends the cookie with any request, a forged cross-site one included: a change
    # made with the cookie alone must also prove it comes from our pages.
    if request.method not in SAFE_METHODS and not csrf_valid(
        request, request.headers.get(CSRF_HEADER), secret_key
    ):
        raise Forbidden(f"a request authenticated by cookie needs the {CSRF_HEADER} header")
    return token


async def get_auth(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Authenticated:
    token = request_token(request, bearer, settings.SECRET_KEY)
    return await authenticate_token(session=session, token=token, secret_key=settings.SECRET_KEY)


async def get_current_user(auth: Annotated[Authenticated, Depends(get_auth)]) -> User:
    return auth.user


async def standalone_profile(request: Request, token: str, secret_key: str) -> Profile:
    """The user's profile, read outside any transaction that would outlive the check.

    For routes that wait on a language model: holding a pooled connection for the length of
    an LLM call would let a few slow generations starve every other request.
    """
    async with session_scope(request.app.state.autocommit_sessionmaker) as session:
        return await profile_for_token(session=session, token=token, secret_key=secret_key)


async def get_standalone_user(
    request: Request,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Profile:
    token = request_token(request, bearer, settings.SECRET_KEY)
    return await standalone_profile(request, token, settings.SECRET_KEY)


CurrentAuth = Annotated[Authenticated, Depends(get_auth)]
StandaloneUser = Annotated[Profile, Depends(get_standalone_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
