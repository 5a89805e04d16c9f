"""`/auth/*` and `/users/me` routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from langtutor.accounts import service
from langtutor.accounts.schemas import (
    PasswordChange,
    TokenResponse,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from langtutor.accounts.security import set_device_cookie
from langtutor.accounts.throttle import Throttle
from langtutor.deps import (
    ClientDep,
    CurrentToken,
    CurrentUser,
    NowDep,
    SessionDep,
    SettingsDep,
    TokensDep,
)
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute)


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    tags=["accounts"],
    responses=error_responses(403, 409, 422, 429),
)
async def register(
    data: UserCreate, session: SessionDep, settings: SettingsDep, client: ClientDep
) -> UserPublic:
    """Create an account with optional default languages, level and daily goal. With
    `LANGTUTOR_REGISTRATION=invite` an unused `invite_code` is needed; with `closed`, sign-up
    is refused (403). A client address may try `LANGTUTOR_SIGNUP_RATE_PER_HOUR` times an
    hour (429 beyond). A username is taken in any case: `Ana` when `ana` exists (409)."""
    user = await service.create_user(
        session=session,
        data=data,
        registration=service.Registration.of(settings, client),
        secret_key=settings.SECRET_KEY,
    )
    return UserPublic.model_validate(user)


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    tags=["accounts"],
    responses=error_responses(401, 422, 429),
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    tokens: TokensDep,
    client: ClientDep,
    response: Response,
) -> TokenResponse:
    """Exchange username (in any case) and password (OAuth2 password form) for a bearer
    token. Failed logins are throttled per client address and per username (429, see
    docs/security.md); the answer sets a device cookie that lets this client sign in to the account
    while others' failures hold back unknown clients."""
    issued = await service.login(
        session=session,
        tokens=tokens,
        username=form.username,
        password=form.password,
        secret_key=settings.SECRET_KEY,
        ttl_s=settings.ACCESS_TOKEN_TTL_S,
        client=client,
        throttle=Throttle.of(settings),
    )
    if issued.device_cookie:
        set_device_cookie(response, issued.device_cookie, settings)
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/auth/refresh",
    response_model=TokenResponse,
    tags=["accounts"],
    responses=error_responses(401, 403),
)
async def refresh(
    current: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    tokens: TokensDep,
) -> TokenResponse:
    """A new token with a full lifetime for the one used here, which is revoked."""
    issued = await service.issue_token(
        session=session,
        user=current.user,
        secret_key=settings.SECRET_KEY,
        ttl_s=settings.ACCESS_TOKEN_TTL_S,
        now=now,
    )
    await service.revoke_token(session=session, tokens=tokens, token=current.token)
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
    responses=error_responses(401, 403),
)
async def logout(current: CurrentToken, session: SessionDep, tokens: TokensDep) -> Response:
    """Revoke the token used for this request."""
    await service.revoke_token(session=session, tokens=tokens, token=current)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/users/me", response_model=UserPublic, tags=["accounts"], responses=error_responses(401)
)
async def read_me(current: CurrentToken) -> UserPublic:
    """The current user's profile."""
    return current.user


@router.patch(
    "/users/me",
    response_model=UserPublic,
    tags=["accounts"],
    responses=error_responses(401, 403, 409, 422),
)
async def update_me(
    data: UserUpdate, current: CurrentUser, session: SessionDep, tokens: TokensDep
) -> UserPublic:
    """Change email, default languages or level; `null` clears a field."""
    user = await service.update_user(session=session, tokens=tokens, user=current.user, data=data)
    return UserPublic.model_validate(user)


@router.delete(
    "/users/me",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
    responses=error_responses(401, 403),
)
async def delete_me(current: CurrentUser, session: SessionDep, tokens: TokensDep) -> Response:
    """Delete the account and every piece of its data."""
    await service.delete_user(session=session, tokens=tokens, user=current.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
    responses=error_responses(401, 403, 422),
)
async def change_password(
    data: PasswordChange, current: CurrentUser, session: SessionDep, tokens: TokensDep
) -> Response:
    """Change the password; every other token of the user is revoked."""
    await service.change_password(
        session=session,
        tokens=tokens,
        auth=current,
        current_password=data.current_password,
        new_password=data.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
