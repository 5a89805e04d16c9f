"""Errors on pages are pages (or fragments for the page script), never JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from langtutor.web.deps import CSRFRejected, LoginRequired, login_redirect, wants_fragment
from langtutor.web.rendering import render
from langtutor.web.security import clear_session_cookie

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


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == PAGE_PREFIX or path.startswith(PAGE_PREFIX + "/")


def error_page(
    request: Request, status_code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    settings = request.app.state.settings
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


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, error: LoginRequired) -> Response:
        settings = request.app.state.settings
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
            response = RedirectResponse(
                login_redirect(request, expired=error.expired), status_code=303
            )
        if error.expired:
            clear_session_cookie(response, settings)
        return response

    @app.exception_handler(CSRFRejected)
    async def csrf_rejected(request: Request, _error: CSRFRejected) -> Response:
        return error_page(
            request,
            403,
            "This form has expired or did not come from this site. Reload the page and try again.",
        )
