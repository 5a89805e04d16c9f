"""The learner's pages: `/` and `/app/…`, over the same services as the JSON API.

Forms post to `/app/…`; the page script sends the same forms with fetch and swaps in the
fragment that comes back, so every page also works as plain HTML. Pages authenticate with the
API's token in an HttpOnly cookie, and every form carries a CSRF token bound to that session.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from langtutor.accounts import service as accounts
from langtutor.accounts.schemas import PasswordChange, UserCreate, UserUpdate
from langtutor.accounts.service import Authenticated, Profile
from langtutor.activity.service import progress as progress_service
from langtutor.config import Settings
from langtutor.db import session_scope
from langtutor.deps import SessionDep, SettingsDep
from langtutor.enums import ContentType
from langtutor.errors import (
    AppError,
    BadRequest,
    Forbidden,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from langtutor.generation.providers.base import LLMError, LLMNotConfigured
from langtutor.generation.routes import unless_disconnected
from langtutor.generation.schemas import CountedGenerationRequest, GenerationRequest
from langtutor.generation.service import (
    generate_exercises_service,
    generate_flashcards_service,
    generate_simulation_service,
)
from langtutor.library import service as library
from langtutor.library.models import SavedContent
from langtutor.library.schemas import ContentUpdate, FeedbackCreate, SaveContent
from langtutor.schemas import contains_nul
from langtutor.web.rendering import activity_chart, content_json, render
from langtutor.web.security import (
    CSRF_FIELD,
    TOKEN_COOKIE,
    clear_session_cookie,
    csrf_valid,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
TZ_COOKIE = "langtutor_tz"
CONTENT_TYPES = frozenset(kind.value for kind in ContentType)
GENERATORS = {
    ContentType.flashcards: generate_flashcards_service,
    ContentType.exercises: generate_exercises_service,
    ContentType.simulation: generate_simulation_service,
}


class LoginRequired(Exception):
    def __init__(self, *, expired: bool) -> None:
        super().__init__("log in to continue")
        self.expired = expired


class CSRFRejected(Exception):
    pass


def wants_fragment(request: Request) -> bool:
    """The page script asks for the fragment to swap in, not a whole page."""
    return request.headers.get("X-Requested-With") == "fetch"


async def page_auth(request: Request, session: SessionDep, settings: SettingsDep) -> Authenticated:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise LoginRequired(expired=False)
    try:
        return await accounts.authenticate_token(
            session=session, token=token, secret_key=settings.SECRET_KEY
        )
    except Unauthorized:
        raise LoginRequired(expired=True) from None


async def page_profile(request: Request, settings: SettingsDep) -> Profile:
    """The profile without a transaction held open while the model works (see deps)."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise LoginRequired(expired=False)
    try:
        async with session_scope(request.app.state.autocommit_sessionmaker) as session:
            return await accounts.profile_for_token(
                session=session, token=token, secret_key=settings.SECRET_KEY
            )
    except Unauthorized:
        raise LoginRequired(expired=True) from None


async def checked_form(request: Request, settings: SettingsDep) -> FormData:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not csrf_valid(request, sent if isinstance(sent, str) else None, settings.SECRET_KEY):
        raise CSRFRejected()
    return form


PageAuth = Annotated[Authenticated, Depends(page_auth)]
PageProfile = Annotated[Profile, Depends(page_profile)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, *names: str) -> dict[str, str | None]:
    """Form fields as the API's schemas take them: an empty field means "not set"."""
    return {name: text_field(form, name) or None for name in names}


def problems(error: ValidationError) -> dict[str, str]:
    """Field name → message, for showing next to each field."""
    found: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "form"
        found.setdefault(name, str(problem["msg"]).removeprefix("Value error, "))
    return found


def safe_next(target: str | None) -> str:
    """Only our own pages: never an open redirect, nor a path that climbs out of /app/."""
    if (
        target
        and target.startswith("/app/")
        and ".." not in target
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return "/app/generate"


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- landing, login, registration -------------------------------------------------------------


@router.get("/")
async def landing(request: Request, settings: SettingsDep) -> Response:
    return render(
        request, "landing.html", settings=settings, signed_in=TOKEN_COOKIE in request.cookies
    )


@router.get("/app")
@router.get("/app/")
async def app_home() -> Response:
    return redirect("/app/generate")


@router.get("/app/login")
async def login_page(
    request: Request, settings: SettingsDep, next: str | None = None, expired: bool = False
) -> Response:
    return render(
        request, "login.html", settings=settings, next=safe_next(next), expired=expired, errors={}
    )


@router.post("/app/login")
async def login(
    request: Request, form: CheckedForm, session: SessionDep, settings: SettingsDep
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
        return again(422, "Enter your username and password.")
    if len(username) > 50 or len(password) > 1024 or "\x00" in username + password:
        return again(401, "Incorrect username or password.")
    try:
        user = await accounts.authenticate_password(
            session=session, username=username, password=password
        )
    except TooManyRequests as error:
        return again(429, str(error), retry_after=error.retry_after)
    if user is None:
        return again(401, "Incorrect username or password.")
    issued = await accounts.issue_token(
        session=session,
        user=user,
        secret_key=settings.SECRET_KEY,
        ttl_s=settings.ACCESS_TOKEN_TTL_S,
    )
    response = redirect(target)
    set_session_cookie(response, issued.access_token, settings)
    return response


@router.get("/app/register")
async def register_page(request: Request, settings: SettingsDep) -> Response:
    return render(request, "register.html", settings=settings, values={}, errors={})


@router.post("/app/register")
async def register(
    request: Request, form: CheckedForm, session: SessionDep, settings: SettingsDep
) -> Response:
    values = optional(
        form,
        "username",
        "email",
        "default_target_language",
        "default_base_language",
        "self_assessed_level",
    )
    password, confirm = form.get("password"), form.get("password_confirm")
    errors: dict[str, str] = {}
    if password != confirm:
        errors["password_confirm"] = "The two passwords differ."
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
        )
    try:
        user = await accounts.create_user(session=session, data=data)
    except AppError as error:  # the username or email is taken
        return render(
            request,
            "register.html",
            settings=settings,
            status_code=error.status_code,
            values=values,
            errors={"form": error.detail},
        )
    issued = await accounts.issue_token(
        session=session,
        user=user,
        secret_key=settings.SECRET_KEY,
        ttl_s=settings.ACCESS_TOKEN_TTL_S,
    )
    response = redirect("/app/generate" if data.default_target_language else "/app/profile")
    set_session_cookie(response, issued.access_token, settings)
    return response


@router.post("/app/logout")
async def logout(
    form: CheckedForm, auth: PageAuth, session: SessionDep, settings: SettingsDep
) -> Response:
    await accounts.revoke_token(session=session, token=auth.token)
    response = redirect("/")
    clear_session_cookie(response, settings)
    return response


# -- profile ----------------------------------------------------------------------------------


def profile_page(
    request: Request,
    settings: Settings,
    auth: Authenticated,
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
        user=auth.user,
        **context,
    )


@router.get("/app/profile")
async def profile(
    request: Request, auth: PageAuth, settings: SettingsDep, saved: str | None = None
) -> Response:
    return profile_page(request, settings, auth, saved=saved)


@router.post("/app/profile")
async def update_profile(
    request: Request, form: CheckedForm, auth: PageAuth, session: SessionDep, settings: SettingsDep
) -> Response:
    values = optional(
        form, "email", "default_target_language", "default_base_language", "self_assessed_level"
    )
    try:
        data = UserUpdate.model_validate(values)
        await accounts.update_user(session=session, user=auth.user, data=data)
    except ValidationError as error:
        return profile_page(
            request, settings, auth, status_code=422, errors=problems(error), values=values
        )
    except AppError as error:  # the email belongs to another account
        return profile_page(
            request,
            settings,
            auth,
            status_code=error.status_code,
            errors={"email": error.detail},
            values=values,
        )
    return redirect("/app/profile?saved=profile")


@router.post("/app/profile/password")
async def change_password(
    request: Request, form: CheckedForm, auth: PageAuth, session: SessionDep, settings: SettingsDep
) -> Response:
    new, confirm = form.get("new_password"), form.get("new_password_confirm")
    try:
        if new != confirm:
            return profile_page(
                request,
                settings,
                auth,
                status_code=422,
                errors={"new_password_confirm": "The two new passwords differ."},
            )
        data = PasswordChange.model_validate(
            {"current_password": form.get("current_password"), "new_password": new}
        )
        await accounts.change_password(
            session=session,
            auth=auth,
            current_password=data.current_password,
            new_password=data.new_password,
        )
    except ValidationError as error:
        return profile_page(request, settings, auth, status_code=422, errors=problems(error))
    except Forbidden:
        return profile_page(
            request,
            settings,
            auth,
            status_code=403,
            errors={"current_password": "Your current password is not right."},
        )
    return redirect("/app/profile?saved=password")


@router.post("/app/profile/delete")
async def delete_account(
    request: Request, form: CheckedForm, auth: PageAuth, session: SessionDep, settings: SettingsDep
) -> Response:
    if text_field(form, "confirm_username") != auth.user.username:
        return profile_page(
            request,
            settings,
            auth,
            status_code=422,
            errors={"confirm_username": "Type your username exactly to confirm."},
        )
    await accounts.delete_user(session=session, user=auth.user)
    response = redirect("/?deleted=1")
    clear_session_cookie(response, settings)
    return response


# -- generation -------------------------------------------------------------------------------


@router.get("/app/generate")
async def generate_page(
    request: Request, user: PageProfile, settings: SettingsDep, content_type: str | None = None
) -> Response:
    values = {
        "content_type": content_type if content_type in CONTENT_TYPES else "flashcards",
        "target_language": user.default_target_language,
        "base_language": user.default_base_language,
        "level": user.self_assessed_level,
        "count": "10",
    }
    return render(request, "generate.html", settings=settings, user=user, values=values, errors={})


def generation_request(
    kind: ContentType, values: dict[str, str | None]
) -> GenerationRequest | CountedGenerationRequest:
    fields: dict[str, Any] = {
        name: values[name] for name in ("query", "target_language", "base_language", "level")
    }
    if kind is ContentType.simulation:
        return GenerationRequest.model_validate(fields)
    count = values.get("count") or "10"
    fields["count"] = int(count) if count.isdecimal() and len(count) < 4 else count
    return CountedGenerationRequest.model_validate(fields)


@router.post("/app/generate")
async def generate(
    request: Request, form: CheckedForm, user: PageProfile, settings: SettingsDep
) -> Response:
    values = optional(
        form, "content_type", "query", "target_language", "base_language", "level", "count"
    )
    context: dict[str, Any] = {"user": user, "values": values, "errors": {}}
    status = 200
    try:
        kind = ContentType(values["content_type"] or "")
    except ValueError:
        kind = None
        context["errors"] = {"content_type": "Choose flashcards, exercises or a simulation."}
        status = 422
    if kind is not None:
        status, outcome = await _generate(request, kind, values, user)
        context.update(outcome)
    context["fragment"] = wants_fragment(request)
    template = "_outcome.html" if context["fragment"] else "generate.html"
    return render(request, template, settings=settings, status_code=status, **context)


async def _generate(
    request: Request, kind: ContentType, values: dict[str, str | None], user: Profile
) -> tuple[int, dict[str, Any]]:
    """The status and what the page shows: the result, field errors, or a banner."""
    try:
        data = generation_request(kind, values)
    except ValidationError as error:
        return 422, {"errors": problems(error)}
    state = request.app.state
    try:
        state.rate_limiter.check(user.user_id)
        result = await unless_disconnected(
            request,
            GENERATORS[kind](
                user=user,
                data=data,  # type: ignore[arg-type]
                provider=state.provider,
                instructions=state.instructions,
                activity=state.activity_logger,
            ),
        )
    except TooManyRequests as error:
        return 429, {"alert": "rate_limited", "retry_after": error.retry_after}
    except LLMNotConfigured:
        return 503, {"alert": "no_provider"}
    except LLMError as error:
        return error.status_code, {"alert": "model_failed", "problem": error.detail}
    except BadRequest:  # no target language in the form nor in the profile
        message = "Choose the language to practise, or set a default on your profile page."
        return 400, {"errors": {"target_language": message}}
    return 200, {"generation": result, "content_json": content_json(result.content)}


# -- saving and feedback ----------------------------------------------------------------------


@router.post("/app/save")
async def save(
    request: Request, form: CheckedForm, auth: PageAuth, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        content = json.loads(text_field(form, "content_data") or "null")
        data = SaveContent.model_validate(
            {
                **optional(form, "content_type", "original_query", "user_label", "generation_id"),
                "user_notes": text_field(form, "user_notes") or None,
                "content_data": content,
            }
        )
    except (ValueError, ValidationError) as error:
        message = (
            "; ".join(problems(error).values())
            if isinstance(error, ValidationError)
            else "the content is not valid JSON"
        )
        raise BadRequest(f"This result cannot be saved: {message}") from None
    item = await library.save_content(
        session=session,
        user_id=auth.user.user_id,
        data=data,
        activity=request.app.state.activity_logger,
    )
    if not wants_fragment(request):
        return redirect(f"/app/library/{item.saved_content_id}")
    return render(
        request, "_saved.html", settings=settings, status_code=201, item=item, user=auth.user
    )


@router.post("/app/feedback")
async def feedback(
    request: Request, form: CheckedForm, auth: PageAuth, session: SessionDep, settings: SettingsDep
) -> Response:
    thumb = text_field(form, "thumb")
    index = text_field(form, "item_index")
    values: dict[str, Any] = optional(form, "generation_id", "feedback_text")
    saved_id = text_field(form, "saved_content_id")
    rating = text_field(form, "rating")
    try:
        values["saved_content_id"] = int(saved_id) if saved_id else None
        values["rating"] = int(rating) if rating else None
        if thumb in ("up", "down"):
            values["feedback_text"] = values["feedback_text"] or f"thumbs {thumb}"
            values["context_details"] = {"item_index": int(index), "thumb": thumb}
        data = FeedbackCreate.model_validate(values)
    except ValueError as error:  # ValidationError is a ValueError too
        message = (
            "; ".join(problems(error).values())
            if isinstance(error, ValidationError)
            else "a rating is a whole number from 1 to 5"
        )
        raise BadRequest(f"This feedback cannot be recorded: {message}") from None
    await library.create_feedback(
        session=session,
        user_id=auth.user.user_id,
        data=data,
        activity=request.app.state.activity_logger,
    )
    if not wants_fragment(request):
        return redirect(
            f"/app/library/{data.saved_content_id}" if data.saved_content_id else "/app/library"
        )
    return render(request, "_thanks.html", settings=settings, status_code=201, thumb=thumb or None)


# -- library ----------------------------------------------------------------------------------


@router.get("/app/library")
async def library_page(
    request: Request,
    auth: PageAuth,
    session: SessionDep,
    settings: SettingsDep,
    content_type: str | None = None,
    q: str | None = None,
    page: int = 1,
) -> Response:
    kind = ContentType(content_type) if content_type in CONTENT_TYPES else None
    query = (q or "").strip()[:200]
    if contains_nul(query):
        raise Unprocessable("the search contains a character that cannot be searched for")
    page = max(1, min(page, 100_000))
    items, total = await library.list_content(
        session=session,
        user_id=auth.user.user_id,
        content_type=kind,
        q=query or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "library.html",
        settings=settings,
        user=auth.user,
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        content_type=kind.value if kind else "",
        q=query,
    )


async def item_page(
    request: Request,
    *,
    item: SavedContent,
    auth: Authenticated,
    session: AsyncSession,
    settings: Settings,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    await request.app.state.activity_logger.flush()  # the languages come from the log
    languages = await library.card_context(session=session, item=item)
    return render(
        request,
        "item.html",
        settings=settings,
        status_code=status_code,
        user=auth.user,
        item=item,
        languages=languages,
        errors=errors or {},
        saved=saved,
    )


@router.get("/app/library/{saved_content_id}")
async def library_item(
    request: Request,
    saved_content_id: int,
    auth: PageAuth,
    session: SessionDep,
    settings: SettingsDep,
    saved: bool = False,
) -> Response:
    item = await library.get_content(
        session=session, user_id=auth.user.user_id, saved_content_id=saved_content_id
    )
    return await item_page(
        request, item=item, auth=auth, session=session, settings=settings, saved=saved
    )


@router.post("/app/library/{saved_content_id}")
async def edit_item(
    request: Request,
    saved_content_id: int,
    form: CheckedForm,
    auth: PageAuth,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    values = {"user_label": text_field(form, "user_label"), "user_notes": form.get("user_notes")}
    try:
        data = ContentUpdate.model_validate(values)
    except ValidationError as error:
        item = await library.get_content(
            session=session, user_id=auth.user.user_id, saved_content_id=saved_content_id
        )
        return await item_page(
            request,
            item=item,
            auth=auth,
            session=session,
            settings=settings,
            status_code=422,
            errors=problems(error),
        )
    await library.update_content(
        session=session, user_id=auth.user.user_id, saved_content_id=saved_content_id, data=data
    )
    return redirect(f"/app/library/{saved_content_id}?saved=1")


@router.post("/app/library/{saved_content_id}/delete")
async def delete_item(
    saved_content_id: int, form: CheckedForm, auth: PageAuth, session: SessionDep
) -> Response:
    await library.delete_content(
        session=session, user_id=auth.user.user_id, saved_content_id=saved_content_id
    )
    return redirect("/app/library?deleted=1")


# -- progress ---------------------------------------------------------------------------------


def browser_timezone(request: Request) -> ZoneInfo:
    """The zone the page script reported (days end at the learner's midnight), else UTC."""
    name = request.cookies.get(TZ_COOKIE, "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@router.get("/app/progress")
async def progress_page(
    request: Request, auth: PageAuth, session: SessionDep, settings: SettingsDep, days: int = 30
) -> Response:
    days = days if days in (7, 30, 90, 365) else 30
    await request.app.state.activity_logger.flush()
    report = await progress_service(
        session=session, user_id=auth.user.user_id, days=days, tz=browser_timezone(request)
    )
    return render(
        request,
        "progress.html",
        settings=settings,
        user=auth.user,
        progress=report,
        chart=activity_chart(report),
    )


def login_redirect(request: Request, *, expired: bool) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = here if request.method == "GET" else "/app/generate"
    return f"/app/login?next={quote(target)}" + ("&expired=1" if expired else "")
