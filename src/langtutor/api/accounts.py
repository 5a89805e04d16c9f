"""`/auth/*` and `/users/me` routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from langtutor.accounts.schemas import (
    PasswordChange,
    PasswordReset,
    TokenResponse,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from langtutor.accounts.security import set_device_cookie
from langtutor.deps import AccountsDep, ClientDep, CurrentLearner, NowDep, SettingsDep
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
async def register(data: UserCreate, accounts: AccountsDep, client: ClientDep) -> UserPublic:
    """Create an account with optional default languages, level and daily goal. With
    `LANGTUTOR_REGISTRATION=invite` an unused `invite_code` is needed; with `closed`, sign-up
    is refused (403). A client address may try `LANGTUTOR_SIGNUP_RATE_PER_HOUR` times an
    hour (429 beyond). A username is taken in any case: `Ana` when `ana` exists (409)."""
    return await accounts.register(data=data, client=client)


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    tags=["accounts"],
    responses=error_responses(401, 422, 429),
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    accounts: AccountsDep,
    settings: SettingsDep,
    client: ClientDep,
    response: Response,
) -> TokenResponse:
    """Exchange username (in any case) and password (OAuth2 password form) for a bearer
    token. Failed logins are throttled per client address and per username (429, see
    docs/security.md); the answer sets a device cookie that lets this client sign in to the account
    while others' failures hold back unknown clients."""
    issued = await accounts.log_in(username=form.username, password=form.password, client=client)
    if issued.device_cookie:
        set_device_cookie(response, issued.device_cookie, settings)
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/auth/refresh",
    response_model=TokenResponse,
    tags=["accounts"],
    responses=error_responses(401, 403),
)
async def refresh(learner: CurrentLearner, accounts: AccountsDep, now: NowDep) -> TokenResponse:
    """A new token with a full lifetime for the one used here, which is revoked."""
    issued = await accounts.refresh(learner, now=now)
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
    responses=error_responses(401, 403),
)
async def logout(learner: CurrentLearner, accounts: AccountsDep) -> Response:
    """Revoke the token used for this request."""
    await accounts.log_out(learner)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/users/me", response_model=UserPublic, tags=["accounts"], responses=error_responses(401)
)
async def read_me(learner: CurrentLearner) -> UserPublic:
    """The current user's profile."""
    return learner.profile


@router.patch(
    "/users/me",
    response_model=UserPublic,
    tags=["accounts"],
    responses=error_responses(401, 403, 409, 422),
)
async def update_me(data: UserUpdate, learner: CurrentLearner, accounts: AccountsDep) -> UserPublic:
    """Change email, default languages or level; `null` clears a field."""
    return await accounts.update(learner, data=data)


@router.delete(
    "/users/me",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
    responses=error_responses(401, 403, 409),
)
async def delete_me(learner: CurrentLearner, accounts: AccountsDep) -> Response:
    """Delete the account and every piece of its data. The server's last operator who can
    sign in is refused (409): make another learner an operator first."""
    await accounts.delete(learner)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
    responses=error_responses(401, 403, 422),
)
async def change_password(
    data: PasswordChange, learner: CurrentLearner, accounts: AccountsDep
) -> Response:
    """Change the password; every other token of the user is revoked."""
    await accounts.change_password(
        learner, current_password=data.current_password, new_password=data.new_password
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/reset-password",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["accounts"],
    responses=error_responses(403, 422, 429),
)
async def reset_password(data: PasswordReset, accounts: AccountsDep, client: ClientDep) -> Response:
    """Set a new password with the one-time code an operator gave you (`POST
    /admin/users/{user_id}/reset-code`); every token of the account is revoked. A wrong code
    counts as a failed login (429 beyond the login throttle's limits)."""
    await accounts.reset_password(
        username=data.username, code=data.code, new_password=data.new_password, client=client
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
