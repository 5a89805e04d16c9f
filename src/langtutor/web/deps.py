"""What every page route shares: the session from the cookie, the checked form, helpers.

Pages authenticate with the API's token in an HttpOnly cookie, and every form carries a CSRF
token bound to that session (see security.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from langtutor.accounts import service as accounts
from langtutor.accounts.service import Authenticated, Profile
from langtutor.deps import SessionDep, SettingsDep, standalone_profile
from langtutor.enums import ContentType
from langtutor.errors import Unauthorized
from langtutor.web.security import CSRF_FIELD, TOKEN_COOKIE, csrf_valid

CONTENT_TYPES = frozenset(kind.value for kind in ContentType)


class LoginRequired(Exception):
    def __init__(self, *, expired: bool) -> None:
        super().__init__("log in to continue")
        self.expired = expired


class CSRFRejected(Exception):
    pass


def wants_fragment(request: Request) -> bool:
    """The page script asks for the fragment to swap in, not a whole page."""
    return request.headers.get("X-Requested-With") == "fetch"


def session_cookie(request: Request) -> str:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise LoginRequired(expired=False)
    return token


@contextmanager
def expired_means_login() -> Iterator[None]:
    """A cookie whose token was revoked or has expired: back to the login page, saying so."""
    try:
        yield
    except Unauthorized:
        raise LoginRequired(expired=True) from None


async def page_auth(request: Request, session: SessionDep, settings: SettingsDep) -> Authenticated:
    with expired_means_login():
        return await accounts.authenticate_token(
            session=session, token=session_cookie(request), secret_key=settings.SECRET_KEY
        )


async def page_profile(request: Request, settings: SettingsDep) -> Profile:
    """For the generate page: no transaction held open while the model works."""
    with expired_means_login():
        return await standalone_profile(request, session_cookie(request), settings.SECRET_KEY)


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


def login_redirect(request: Request, *, expired: bool) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = here if request.method == "GET" else "/app/generate"
    return f"/app/login?next={quote(target)}" + ("&expired=1" if expired else "")
