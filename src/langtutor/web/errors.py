"""Errors on pages are pages (or fragments for the page script), never JSON."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from langtutor.accounts.security import clear_session_cookie
from langtutor.config import Settings
from langtutor.deps import LoginRequired
from langtutor.web.deps import login_redirect, wants_fragment
from langtutor.web.rendering import render

PAGE_PREFIX = "/app"
TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Not found",
    405: "Not found",
    413: "Too large",
    422: "Check what you entered",
    429: "Slow down",
    503: "Temporarily unavailable",
}
CSRF_MESSAGE = (
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
        title=TITLES.get(status_code, "Something went wrong"),
        message=message,
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
