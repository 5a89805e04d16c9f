"""What every page route shares: the user from the session cookie, the checked form, helpers.

Pages authenticate with the API's token in an HttpOnly cookie, and every form comes from this
site's pages (Origin) with a CSRF token bound to that session (see accounts.security).
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote, urlparse

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from langtutor.accounts.learner import Learner
from langtutor.accounts.security import CSRF_FIELD, cross_origin, csrf_valid, session_cookie
from langtutor.deps import (
    LoginRequired,
    NowDep,
    SettingsDep,
    signed_in,
)
from langtutor.enums import ContentType
from langtutor.errors import Forbidden
from langtutor.web import i18n

CONTENT_TYPES = frozenset(kind.value for kind in ContentType)


class CSRFRejected(Exception):
    pass


def wants_fragment(request: Request) -> bool:
    """The page script asks for the fragment to swap in, not a whole page."""
    return request.headers.get("X-Requested-With") == "fetch"


async def checked_form(request: Request, settings: SettingsDep) -> FormData:
    """Every form post of the pages: from this site's own pages (a page of another origin,
    another port of this host included, could have planted a CSRF cookie it knows the token
    of), with the CSRF token of the session."""
    if cross_origin(request):
        raise CSRFRejected()
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not csrf_valid(request, sent if isinstance(sent, str) else None, settings):
        raise CSRFRejected()
    request.state.form_fields = list(form.keys())  # the page's order, for its problems
    return form


async def page_learner(
    request: Request, learner: Annotated[Learner, Depends(signed_in(page=True))]
) -> Learner:
    """The API's `CurrentLearner`, from the session cookie (without a live session the
    learner is sent to the login page: LoginRequired); the page speaks the language they
    chose, else their base language where the pages have it, else the browser's."""
    i18n.use(
        i18n.negotiate(
            learner.interface_language,
            learner.default_base_language,
            i18n.for_request(request.headers, request.cookies).tag,
        )
    )
    return learner


# The signed-in learner of a page.
PageLearner = Annotated[Learner, Depends(page_learner)]
_page_signed_in = signed_in(page=True)


async def page_visitor(request: Request, settings: SettingsDep, now: NowDep) -> Learner | None:
    """The signed-in learner of a page anyone may open (a shared set's), else None: without
    a live session the page is shown as to anyone, never sent to the login page."""
    if session_cookie(request, settings) is None:
        return None
    try:
        learner = await _page_signed_in(request, settings, None, now)
    except LoginRequired:
        return None
    return await page_learner(request, learner)


# The signed-in learner of a page anyone may open, or None.
PageVisitor = Annotated[Learner | None, Depends(page_visitor)]


async def page_operator(learner: PageLearner) -> Learner:
    """The signed-in learner of a page, when they are one of the server's operators (else
    403, a page like every error under /app)."""
    if not learner.is_admin:
        raise Forbidden("only the server's operators may do this")
    return learner


# The signed-in operator of a console page (`/app/admin/*`).
PageOperator = Annotated[Learner, Depends(page_operator)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, *names: str) -> dict[str, str | None]:
    """Form fields as the API's schemas take them: an empty field means "not set"."""
    return {name: text_field(form, name) or None for name in names}


_WHOLE = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"[0-9]{0,9}\.[0-9]{1,9}")


def numbers(values: dict[str, Any], *names: str) -> dict[str, Any]:
    """Form fields that hold ids, counts or shares as numbers, as the API's schemas take them
    (text that is no number stays text, for the schema to refuse)."""
    for name in names:
        value = values.get(name)
        if isinstance(value, str) and _WHOLE.fullmatch(value):
            values[name] = int(value)
        elif isinstance(value, str) and _DECIMAL.fullmatch(value):
            values[name] = float(value)
    return values


def safe_next(target: str | None) -> str:
    """Only our own pages: never an open redirect, nor a path that climbs out of /app/."""
    if target == "/app":
        return target
    if (
        target
        and target.startswith("/app/")
        and ".." not in target
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return "/app"


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def login_redirect(request: Request, *, expired: bool) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    # A form post goes back to the page it was sent from.
    referer = urlparse(request.headers.get("referer", ""))
    same_site = referer.netloc in ("", request.url.netloc)
    target = here if request.method == "GET" else safe_next(referer.path if same_site else None)
    return f"/app/login?next={quote(target)}" + ("&expired=1" if expired else "")
