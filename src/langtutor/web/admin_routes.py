"""The operator's console, its people side (`/app/admin/*`): learners (search, one learner's
page with role, disable, reset code, deletion), invitations, the sign-up policy, the audit
log. Operators only: a learner gets the 403 page. Every form carries the CSRF token."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts.learner import Learner
from langtutor.admin.schemas import InviteCreate, PersonChange, SettingsChange
from langtutor.admin.service import Console
from langtutor.config import Settings
from langtutor.deps import AddressDep, ConsoleDep, SettingsDep
from langtutor.errors import AppError, NotFound
from langtutor.routing import JSONRoute
from langtutor.web.deps import CheckedForm, PageOperator, numbers, optional, redirect, text_field
from langtutor.web.forms import problems
from langtutor.web.i18n import N_, gettext
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
UserPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
CursorQuery = Annotated[str | None, Query(max_length=10, pattern=r"^[0-9]*$")]
PAGE_SIZE = 50
# What each button of a learner's page asks (the API's PATCH body).
CHANGES: dict[str, dict[str, Any]] = {
    "disable": {"disabled": True},
    "enable": {"disabled": False},
    "operator": {"role": "operator"},
    "learner": {"role": "learner"},
}
# The audit log's actions in the reader's words.
ACTIONS = {
    "user.operator": N_("Made an operator"),
    "user.learner": N_("Operator role removed"),
    "user.disabled": N_("Account disabled"),
    "user.enabled": N_("Account enabled"),
    "user.deleted": N_("Account deleted"),
    "user.reset_code": N_("Password reset code given"),
    "invite.created": N_("Invitation created"),
    "invite.revoked": N_("Invitation revoked"),
    "settings.registration": N_("Sign-up policy changed"),
}


def refusal(error: AppError) -> str:
    """A refused change in the pages' words (the API's detail is for programs)."""
    if error.status_code == 409:
        return gettext(
            "This is the last operator who can sign in: make another learner an operator first."
        )
    if error.status_code == 422:
        return gettext("Type the learner's username exactly to delete the account.")
    if error.status_code == 404:
        return gettext("This learner no longer exists.")
    return gettext("That did not go through. Try again in a moment.")


@router.get("/app/admin")
async def admin_home(operator: PageOperator) -> Response:
    return redirect("/app/admin/users")


@router.get("/app/admin/users")
async def users_page(
    request: Request,
    operator: PageOperator,
    console: ConsoleDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    cursor: CursorQuery = None,
    deleted: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    page = await console.people(
        operator, query=q.strip() or None, cursor=cursor or None, limit=PAGE_SIZE
    )
    return render(
        request,
        "admin/users.html",
        settings=settings,
        user=operator,
        page=page,
        q=q,
        deleted=deleted,
        tab="users",
    )


async def user_page(
    request: Request,
    *,
    operator: Learner,
    console: Console,
    settings: Settings,
    user_id: int,
    status_code: int = 200,
    **context: Any,
) -> Response:
    person = await console.person(operator, user_id=user_id)
    return render(
        request,
        "admin/user.html",
        settings=settings,
        status_code=status_code,
        user=operator,
        person=person,
        tab="users",
        **context,
    )


@router.get("/app/admin/users/{user_id}")
async def user_get(
    request: Request,
    user_id: UserPath,
    operator: PageOperator,
    console: ConsoleDep,
    settings: SettingsDep,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    return await user_page(
        request, operator=operator, console=console, settings=settings, user_id=user_id, done=done
    )


@router.post("/app/admin/users/{user_id}")
async def user_change(
    request: Request,
    user_id: UserPath,
    form: CheckedForm,
    operator: PageOperator,
    console: ConsoleDep,
    settings: SettingsDep,
    address: AddressDep,
) -> Response:
    """One of the learner page's buttons: disable, enable, make operator or learner."""
    action = text_field(form, "action")
    if action not in CHANGES:
        raise NotFound("no such change")
    try:
        await console.change(
            operator, user_id=user_id, data=PersonChange(**CHANGES[action]), client=address
        )
    except AppError as error:
        if error.status_code == 404:
            raise
        return await user_page(
            request,
            operator=operator,
            console=console,
            settings=settings,
            user_id=user_id,
            status_code=error.status_code,
            errors={"form": refusal(error)},
        )
    return redirect(f"/app/admin/users/{user_id}?done={action}")


@router.post("/app/admin/users/{user_id}/reset-code")
async def user_reset_code(
    request: Request,
    user_id: UserPath,
    form: CheckedForm,
    operator: PageOperator,
    console: ConsoleDep,
    settings: SettingsDep,
    address: AddressDep,
) -> Response:
    """The code is shown on this answer only (never stored but as a digest)."""
    reset = await console.reset_code(operator, user_id=user_id, client=address)
    return await user_page(
        request,
        operator=operator,
        console=console,
        settings=settings,
        user_id=user_id,
        reset=reset,
    )


@router.post("/app/admin/users/{user_id}/delete")
async def user_delete(
    request: Request,
    user_id: UserPath,
    form: CheckedForm,
    operator: PageOperator,
    console: ConsoleDep,
    settings: SettingsDep,
    address: AddressDep,
) -> Response:
    confirm = text_field(form, "confirm")[:64]
    try:
        person = await console.person(operator, user_id=user_id)
        await console.delete(operator, user_id=user_id, confirm=confirm, client=address)
    except AppError as error:
        if error.status_code == 404:
            raise
        return await user_page(
            request,
            operator=operator,
            console=console,
            settings=settings,
            user_id=user_id,
            status_code=error.status_code,
            errors={"confirm" if error.status_code == 422 else "form": refusal(error)},
        )
    return redirect(f"/app/admin/users?deleted={quote(person.username)}")


# -- invitations --------------------------------------------------------------------------------


async def invites_page(
    request: Request,
    *,
    operator: Learner,
    console: Console,
    settings: Settings,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return render(
        request,
        "admin/invites.html",
        settings=settings,
        status_code=status_code,
        user=operator,
        invites=(await console.invites(operator)).invites,
        policy=(await console.sign_up_settings(operator)).registration,
        tab="invites",
        **context,
    )


@router.get("/app/admin/invites")
async def invites_get(
    request: Request, operator: PageOperator, console: ConsoleDep, settings: SettingsDep
) -> Response:
    return await invites_page(request, operator=operator, console=console, settings=settings)


@router.post("/app/admin/invites")
async def invites_create(
    request: Request,
    form: CheckedForm,
    operator: PageOperator,
    console: ConsoleDep,
    settings: SettingsDep,
    address: AddressDep,
) -> Response:
    values = numbers(optional(form, "uses", "expires_in_days"), "uses", "expires_in_days")
    try:
        data = InviteCreate.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as error:
        fields = [name for name in problems(error) if name in values] or ["uses"]
        errors = {
            name: gettext("Give a whole number from %(low)s to %(high)s.")
            % {"low": 1, "high": 1000 if name == "uses" else 365}
            for name in fields
        }
        return await invites_page(
            request,
            operator=operator,
            console=console,
            settings=settings,
            status_code=422,
            errors=errors,
            values=values,
        )
    made = await console.create_invite(operator, data=data, client=address)
    return await invites_page(
        request, operator=operator, console=console, settings=settings, made=made
    )


@router.post("/app/admin/invites/{invite_id}/revoke")
async def invites_revoke(
    invite_id: UserPath,
    form: CheckedForm,
    operator: PageOperator,
    console: ConsoleDep,
    address: AddressDep,
) -> Response:
    await console.revoke_invite(operator, code=str(invite_id), client=address)
    return redirect("/app/admin/invites")


# -- the sign-up policy, the audit log ---------------------------------------------------------


@router.get("/app/admin/settings")
async def settings_get(
    request: Request,
    operator: PageOperator,
    console: ConsoleDep,
    settings: SettingsDep,
    saved: bool = False,
) -> Response:
    return render(
        request,
        "admin/settings.html",
        settings=settings,
        user=operator,
        current=await console.sign_up_settings(operator),
        saved=saved,
        tab="settings",
    )


@router.post("/app/admin/settings")
async def settings_post(
    form: CheckedForm, operator: PageOperator, console: ConsoleDep, address: AddressDep
) -> Response:
    try:
        data = SettingsChange.model_validate({"registration": text_field(form, "registration")})
    except ValidationError:
        return redirect("/app/admin/settings")
    await console.change_settings(operator, data=data, client=address)
    return redirect("/app/admin/settings?saved=true")


@router.get("/app/admin/audit")
async def audit_page(
    request: Request,
    operator: PageOperator,
    console: ConsoleDep,
    settings: SettingsDep,
    cursor: CursorQuery = None,
) -> Response:
    page = await console.audit(operator, cursor=cursor or None, limit=PAGE_SIZE)
    return render(
        request,
        "admin/audit.html",
        settings=settings,
        user=operator,
        page=page,
        actions={name: gettext(label) for name, label in ACTIONS.items()},
        tab="audit",
    )
