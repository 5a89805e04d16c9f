"""Errors on pages are pages (or fragments for the page script), never JSON."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from langtutor.accounts.security import clear_session_cookie
from langtutor.config import Settings
from langtutor.deps import LoginRequired
from langtutor.web.deps import login_redirect, wants_fragment
from langtutor.web.i18n import N_, gettext
from langtutor.web.rendering import render

PAGE_PREFIX = "/app"
TITLES = {
    400: N_("That did not work"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not found"),
    413: N_("Too large"),
    422: N_("Check what you entered"),
    429: N_("Slow down"),
    503: N_("Temporarily unavailable"),
}
SOMETHING_WENT_WRONG = N_("Something went wrong")
CSRF_MESSAGE = N_(
    "This form has expired or did not come from this site. Reload the page and try again."
)


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == PAGE_PREFIX or path.startswith(PAGE_PREFIX + "/")


def error_page(
    request: Request,
    settings: Settings,
    status_code: int,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response:
    template = "_error.html" if wants_fragment(request) else "error.html"
    return render(
        request,
        template,
        settings=settings,
        status_code=status_code,
        headers=headers,
        title=gettext(TITLES.get(status_code, SOMETHING_WENT_WRONG)),
        # The page's own messages (CSRF_MESSAGE) are translated; an API detail stays as it is.
        message=gettext(message) if message else message,
    )


def login_page_response(request: Request, settings: Settings, error: LoginRequired) -> Response:
    """To the login page (a fragment that links there, for the page script), coming back here."""
    response: Response
    if wants_fragment(request):
        response = render(
            request,
            "_expired.html",
            settings=settings,
            status_code=401,
            login_url=login_redirect(request, expired=error.expired),
        )
    else:
        response = RedirectResponse(login_redirect(request, expired=error.expired), status_code=303)
    if error.expired:
        clear_session_cookie(response, settings)
    return response
