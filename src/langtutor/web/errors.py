"""Errors on pages are pages (or fragments for the page script), never JSON."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from langtutor.accounts.security import clear_session_cookie
from langtutor.config import Settings
from langtutor.deps import LoginRequired
from langtutor.web import i18n
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
# What a page says of an error in a language other than English, when the error's own text
# is the API's (English, for programs): by status, with the English kept as a detail.
SAID_BY_STATUS = {
    400: N_("The request could not be used. Go back and try again."),
    403: N_("You are not allowed to do that."),
    404: N_("We could not find that. It may have been deleted, or the link is wrong."),
    405: N_("We could not find that. It may have been deleted, or the link is wrong."),
    409: N_("That clashes with something done in the meantime. Reload the page and try again."),
    413: N_("That is too large to send."),
    422: N_("Some of what you sent could not be used. Check it and try again."),
    429: N_("Too many requests just now. Wait a moment and try again."),
    503: N_("The server cannot answer just now. Try again in a moment."),
}
SAID_OTHERWISE = N_("Something went wrong on the server. Try again in a moment.")
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
    said, technical = message, None
    if message and gettext(message) != message:  # one of the pages' own messages
        said = gettext(message)
    elif message and i18n.current().tag != i18n.SOURCE_LANGUAGE:
        said = gettext(SAID_BY_STATUS.get(status_code, SAID_OTHERWISE))
        technical = message
    return render(
        request,
        template,
        settings=settings,
        status_code=status_code,
        headers=headers,
        title=gettext(TITLES.get(status_code, SOMETHING_WENT_WRONG)),
        message=said,
        technical=technical,
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
