"""`/admin/*` routes of the operator's console, its people side: learners, invitations, the
sign-up policy, the audit log. Operators only (403 for a learner, 401 without a token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from langtutor.admin.schemas import (
    AuditPage,
    Invite,
    InviteCreate,
    InviteList,
    NewInvite,
    PeoplePage,
    Person,
    PersonChange,
    PersonDeletion,
    ResetCode,
    SettingsChange,
    SignUpSettings,
)
from langtutor.deps import AddressDep, ConsoleDep, CurrentOperator
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, prefix="/admin", tags=["admin"])
UserId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a learner's id")]
Limit = Annotated[int, Query(ge=1, le=200)]
# A page's position: the `next_cursor` of the page before (opaque to clients).
Cursor = Annotated[
    str | None,
    Query(max_length=10, pattern=r"^[0-9]{1,10}$", description="the next_cursor of a page"),
]


@router.get("/users", response_model=PeoplePage, responses=error_responses(401, 403, 422))
async def list_users(
    operator: CurrentOperator,
    console: ConsoleDep,
    q: Annotated[str | None, Query(max_length=100, description="part of a name or email")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PeoplePage:
    """Learners by id, a page at a time (`next_cursor`), found by part of name or email."""
    return await console.people(operator, query=q or None, cursor=cursor, limit=limit)


@router.patch(
    "/users/{user_id}", response_model=Person, responses=error_responses(401, 403, 404, 409, 422)
)
async def change_user(
    user_id: UserId,
    data: PersonChange,
    operator: CurrentOperator,
    console: ConsoleDep,
    address: AddressDep,
) -> Person:
    """Make a learner an operator or not (`role`), disable or enable them (`disabled`:
    every token revoked at once, login refused). The last operator who can sign in can be
    neither demoted nor disabled (409)."""
    return await console.change(operator, user_id=user_id, data=data, client=address)


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def delete_user(
    user_id: UserId,
    data: PersonDeletion,
    operator: CurrentOperator,
    console: ConsoleDep,
    address: AddressDep,
) -> Response:
    """Delete a learner and all their data; `confirm` must be their username (422)."""
    await console.delete(operator, user_id=user_id, confirm=data.confirm, client=address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/reset-code",
    response_model=ResetCode,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 404),
)
async def reset_code(
    user_id: UserId, operator: CurrentOperator, console: ConsoleDep, address: AddressDep
) -> ResetCode:
    """A one-time code (valid a day, shown once) with which the learner sets a new
    password (`POST /auth/reset-password`, or the page /app/reset-password)."""
    return await console.reset_code(operator, user_id=user_id, client=address)


@router.get("/invites", response_model=InviteList, responses=error_responses(401, 403))
async def list_invites(operator: CurrentOperator, console: ConsoleDep) -> InviteList:
    """The newest 200 invite codes, with their uses (never the codes themselves)."""
    return await console.invites(operator)


@router.post(
    "/invites",
    response_model=NewInvite,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 422),
)
async def create_invite(
    data: InviteCreate, operator: CurrentOperator, console: ConsoleDep, address: AddressDep
) -> NewInvite:
    """A sign-up code good for `uses` sign-ups, for `expires_in_days` (or until revoked);
    the code is in this answer only."""
    return await console.create_invite(operator, data=data, client=address)


@router.delete("/invites/{code}", response_model=Invite, responses=error_responses(401, 403, 404))
async def revoke_invite(
    code: Annotated[str, Path(max_length=64, description="the invite's id, or the code")],
    operator: CurrentOperator,
    console: ConsoleDep,
    address: AddressDep,
) -> Invite:
    """Revoke an invite code (by its `invite_id` or the code itself): it signs nobody up."""
    return await console.revoke_invite(operator, code=code, client=address)


@router.get("/settings", response_model=SignUpSettings, responses=error_responses(401, 403))
async def read_settings(operator: CurrentOperator, console: ConsoleDep) -> SignUpSettings:
    """The sign-up policy in force, and the server's default (LANGTUTOR_REGISTRATION)."""
    return await console.sign_up_settings(operator)


@router.patch("/settings", response_model=SignUpSettings, responses=error_responses(401, 403, 422))
async def change_settings(
    data: SettingsChange, operator: CurrentOperator, console: ConsoleDep, address: AddressDep
) -> SignUpSettings:
    """Switch sign-up to `open`, `invite` or `closed`, for every server process at once."""
    return await console.change_settings(operator, data=data, client=address)


@router.get("/audit", response_model=AuditPage, responses=error_responses(401, 403, 422))
async def read_audit(
    operator: CurrentOperator,
    console: ConsoleDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AuditPage:
    """Every operator's change, newest first: who, what, whom, when, from which address."""
    return await console.audit(operator, cursor=cursor, limit=limit)
