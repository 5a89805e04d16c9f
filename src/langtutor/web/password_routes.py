"""The page where a learner who forgot their password sets a new one, with the one-time code
an operator gave them (`/app/reset-password`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts.schemas import PasswordReset
from langtutor.accounts.throttle import Throttled
from langtutor.deps import AccountsDep, ClientDep, SettingsDep
from langtutor.errors import AppError
from langtutor.routing import JSONRoute
from langtutor.web.deps import CheckedForm, redirect, text_field
from langtutor.web.forms import problems
from langtutor.web.i18n import gettext
from langtutor.web.refusals import throttled
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)


@router.get("/app/reset-password")
async def reset_page(request: Request, settings: SettingsDep) -> Response:
    return render(request, "reset_password.html", settings=settings, values={}, errors={})


@router.post("/app/reset-password")
async def reset(
    request: Request,
    form: CheckedForm,
    accounts: AccountsDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    values = {name: text_field(form, name) for name in ("username", "code")}
    password, again = form.get("new_password"), form.get("new_password_confirm")

    def refused(status: int, errors: dict[str, str], **extra: Any) -> Response:
        return render(
            request,
            "reset_password.html",
            settings=settings,
            status_code=status,
            values=values,
            errors=errors,
            **extra,
        )

    errors: dict[str, str] = {}
    if password != again:
        errors["new_password_confirm"] = gettext("The two passwords differ: type the same in both.")
    try:
        data = PasswordReset.model_validate({**values, "new_password": password})
    except ValidationError as error:
        errors = problems(error) | errors
    if errors:
        return refused(422, errors)
    try:
        await accounts.reset_password(
            username=data.username, code=data.code, new_password=data.new_password, client=client
        )
    except Throttled as error:
        return refused(429, {"form": throttled(error)}, headers=error.headers)
    except AppError as error:
        message = gettext(
            "This code does not work for this username: it may be mistyped, used or more than "
            "a day old. Ask the person who runs this server for a new one."
        )
        return refused(error.status_code, {"form": message})
    return redirect("/app/login?reset=1")
