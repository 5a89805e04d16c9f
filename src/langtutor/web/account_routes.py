"""Pages of the account: landing, registration, login, logout, profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError

from langtutor.accounts.learner import Learner
from langtutor.accounts.operators import LastOperator
from langtutor.accounts.schemas import PasswordChange, UserCreate, UserUpdate
from langtutor.accounts.security import (
    clear_session_cookie,
    session_cookie,
    set_device_cookie,
    set_session_cookie,
)
from langtutor.accounts.service import AccountDisabled, Accounts, LoginFailed
from langtutor.accounts.throttle import Throttled
from langtutor.config import Settings
from langtutor.deps import AccountsDep, ClientDep, SettingsDep
from langtutor.errors import AppError, Forbidden, Unauthorized, Unprocessable
from langtutor.routing import JSONRoute
from langtutor.web import i18n
from langtutor.web.deps import (
    CheckedForm,
    PageLearner,
    numbers,
    optional,
    redirect,
    safe_next,
    text_field,
)
from langtutor.web.forms import problems
from langtutor.web.i18n import N_, gettext
from langtutor.web.refusals import sign_up_refused, throttled
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
FAVICON = Path(__file__).parent / "static" / "favicon.svg"
WRONG_PASSWORD = N_("That is not your current password.")


# -- landing, login, registration -------------------------------------------------------------


async def sign_up_policy(accounts: Accounts, settings: Settings) -> str:
    """What the sign-up form offers: the policy in force (an operator's, else the server's
    setting), open while an operator's first account may still be made."""
    return "open" if settings.FIRST_USER_ADMIN else await accounts.registration()


@router.get("/")
async def landing(request: Request, settings: SettingsDep, accounts: AccountsDep) -> Response:
    return render(
        request,
        "landing.html",
        settings=settings,
        signed_in=session_cookie(request, settings) is not None,
        registration=await sign_up_policy(accounts, settings),
    )


@router.get("/favicon.ico")
async def favicon() -> Response:
    """For what a browser asks of a page without a link to its icon (the JSON API's)."""
    return FileResponse(FAVICON, media_type="image/svg+xml")


@router.get("/app/language")
async def choose_language(request: Request, to: str = "", next: str | None = None) -> Response:
    """The footer's language switch of signed-out pages: remembered in a cookie for a year
    (a signed-in learner's own choice is in their profile). A language the pages lack
    forgets the choice: the browser's languages decide again."""
    response = redirect("/" if next == "/" else safe_next(next))
    if chosen := i18n.supported(to):
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            chosen,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    else:
        response.delete_cookie(i18n.LANGUAGE_COOKIE)
    return response


@router.get("/app/login")
async def login_page(
    request: Request,
    settings: SettingsDep,
    next: str | None = None,
    expired: bool = False,
    reset: bool = False,
) -> Response:
    return render(
        request,
        "login.html",
        settings=settings,
        next=safe_next(next),
        expired=expired,
        reset=reset,
        errors={},
    )


@router.post("/app/login")
async def login(
    request: Request,
    form: CheckedForm,
    accounts: AccountsDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    username, password = text_field(form, "username"), form.get("password")
    target = safe_next(text_field(form, "next"))

    def again(status: int, message: str, **extra: Any) -> Response:
        return render(
            request,
            "login.html",
            settings=settings,
            status_code=status,
            next=target,
            username=username,
            errors={"form": message},
            **extra,
        )

    if not username or not isinstance(password, str) or not password:
        return again(422, gettext("Enter your username and password."))
    try:
        issued = await accounts.log_in(
            username=username, password=password, client=client, browser=True
        )
    except Throttled as error:
        return again(429, throttled(error), headers=error.headers)
    except (LoginFailed, Unprocessable):
        return again(401, gettext("Incorrect username or password."))
    except AccountDisabled:
        return again(
            403, gettext("This account has been disabled. Ask the person who runs this server.")
        )
    response = redirect(target)
    set_session_cookie(response, issued.access_token, settings)
    if issued.device_cookie:
        set_device_cookie(response, issued.device_cookie, settings)
    return response


@router.get("/app/register")
async def register_page(request: Request, settings: SettingsDep, accounts: AccountsDep) -> Response:
    return render(
        request,
        "register.html",
        settings=settings,
        values={},
        errors={},
        registration=await sign_up_policy(accounts, settings),
    )


@router.post("/app/register")
async def register(
    request: Request,
    form: CheckedForm,
    accounts: AccountsDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    values = optional(
        form,
        "username",
        "email",
        "default_target_language",
        "default_base_language",
        "self_assessed_level",
        "invite_code",
    )
    password, confirm = form.get("password"), form.get("password_confirm")
    errors: dict[str, str] = {}
    if password != confirm:
        errors["password_confirm"] = gettext("The two passwords differ: type the same in both.")
    try:
        data = UserCreate.model_validate({**values, "password": password})
    except ValidationError as error:
        errors = problems(error) | errors
    if errors:
        return render(
            request,
            "register.html",
            settings=settings,
            status_code=422,
            values=values,
            errors=errors,
            registration=await sign_up_policy(accounts, settings),
        )
    try:
        # Refused (sign-up closed, a bad invite code, taken, too many tries): nothing of the
        # account is kept, as the service's transaction rolls back.
        signed_up = await accounts.sign_up(data=data, client=client)
    except AppError as error:
        return render(
            request,
            "register.html",
            settings=settings,
            status_code=error.status_code,
            headers=error.headers,
            values=values,
            errors={"form": sign_up_refused(error)},
            registration=await sign_up_policy(accounts, settings),
        )
    # One onboarding step (languages, level, daily goal, a first deck) unless sign-up said it.
    response = redirect("/app" if data.default_target_language else "/app/welcome")
    set_session_cookie(response, signed_up.access_token, settings)
    set_device_cookie(response, signed_up.device_cookie, settings)
    return response


@router.post("/app/logout")
async def logout(
    form: CheckedForm, learner: PageLearner, accounts: AccountsDep, settings: SettingsDep
) -> Response:
    await accounts.log_out(learner)
    response = redirect("/")
    clear_session_cookie(response, settings)
    return response


# -- profile ----------------------------------------------------------------------------------


def profile_page(
    request: Request,
    settings: Settings,
    learner: Learner,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    context.setdefault("errors", {})
    return render(
        request,
        "profile.html",
        settings=settings,
        status_code=status_code,
        user=learner.profile,
        **context,
    )


@router.get("/app/profile")
async def profile(
    request: Request, learner: PageLearner, settings: SettingsDep, saved: str | None = None
) -> Response:
    return profile_page(request, settings, learner, saved=saved)


@router.post("/app/profile")
async def update_profile(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    accounts: AccountsDep,
    settings: SettingsDep,
) -> Response:
    values = optional(
        form, "email", "default_target_language", "default_base_language", "self_assessed_level"
    )
    if "interface_language" in form:  # empty: automatic (the base language, the browser's)
        values |= optional(form, "interface_language")
    try:
        data = UserUpdate.model_validate(values)
        await accounts.update(learner, data=data)
    except ValidationError as error:
        return profile_page(
            request, settings, learner, status_code=422, errors=problems(error), values=values
        )
    except Unauthorized:
        raise  # the account is gone: to the login page
    except AppError as error:  # the email belongs to another account
        return profile_page(
            request,
            settings,
            learner,
            status_code=error.status_code,
            errors={"email": gettext("This email address belongs to another account.")},
            values=values,
        )
    return redirect("/app/profile?saved=profile")


@router.post("/app/profile/review")
async def update_review_settings(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    accounts: AccountsDep,
    settings: SettingsDep,
) -> Response:
    values = numbers(
        optional(form, "timezone", "review_new_per_day", "review_desired_retention"),
        "review_new_per_day",
        "review_desired_retention",
    )
    values["review_auto_cards"] = text_field(form, "review_auto_cards") == "on"
    values["audio_autoplay"] = text_field(form, "audio_autoplay") == "on"
    try:
        data = UserUpdate.model_validate(values)
    except ValidationError as error:
        return profile_page(
            request,
            settings,
            learner,
            status_code=422,
            errors=problems(error),
            review_values=values,
        )
    await accounts.update(learner, data=data)
    return redirect("/app/profile?saved=review")


@router.post("/app/profile/password")
async def change_password(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    accounts: AccountsDep,
    settings: SettingsDep,
) -> Response:
    """Every problem of the form is said at once: the current password is checked even when
    the new one is refused."""
    current, new = form.get("current_password"), form.get("new_password")
    errors: dict[str, str] = {}
    data = None
    try:
        data = PasswordChange.model_validate({"current_password": current, "new_password": new})
    except ValidationError as error:
        errors = problems(error)
    if new != form.get("new_password_confirm"):
        errors["new_password_confirm"] = gettext(
            "The two new passwords differ: type the same in both."
        )
    if data is not None and not errors:
        try:
            await accounts.change_password(
                learner, current_password=data.current_password, new_password=data.new_password
            )
        except Forbidden:
            errors["current_password"] = gettext(WRONG_PASSWORD)
    elif isinstance(current, str) and "current_password" not in errors:
        if not await accounts.password_is(learner, current):
            errors["current_password"] = gettext(WRONG_PASSWORD)
    if errors:
        status = 403 if list(errors) == ["current_password"] else 422
        return profile_page(request, settings, learner, status_code=status, errors=errors)
    return redirect("/app/profile?saved=password")


@router.post("/app/profile/delete")
async def delete_account(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    accounts: AccountsDep,
    settings: SettingsDep,
) -> Response:
    if text_field(form, "confirm_username") != learner.username:
        return profile_page(
            request,
            settings,
            learner,
            status_code=422,
            errors={"confirm_username": gettext("Type your username exactly as shown to confirm.")},
        )
    try:
        await accounts.delete(learner)
    except LastOperator:
        last = gettext(
            "This is the last operator who can sign in: make another learner an operator first."
        )
        return profile_page(
            request, settings, learner, status_code=409, errors={"confirm_username": last}
        )
    response = redirect("/?deleted=1")
    clear_session_cookie(response, settings)
    return response
