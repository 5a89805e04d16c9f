"""Every error becomes an answer in the caller's terms: a page under /app, JSON elsewhere."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import cache, partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from langtutor.config import Settings
from langtutor.deps import LoginRequired
from langtutor.errors import AppError, Unprocessable
from langtutor.review.schemas import SYNC_BODY_BYTES
from langtutor.speech.recording import BODY_BYTES as SPEECH_BODY_BYTES
from langtutor.web.deps import CSRFRejected
from langtutor.web.errors import CSRF_MESSAGE, error_page, is_page, login_page_response

logger = logging.getLogger("langtutor")
DATABASE_DOWN = {"Retry-After": "5"}
# Above every legitimate request (saved content is capped at 256 KB); larger bodies get 413.
MAX_BODY_BYTES = 1024 * 1024
# The routes that take more: a sync of 10,000 reviews given offline (`POST /review/sync`), a
# recording of 1 MiB with its form fields (`/speech/*`).
LARGER_BODIES = {
    "/review/sync": SYNC_BODY_BYTES,
    "/speech/transcribe": SPEECH_BODY_BYTES,
    "/speech/read-aloud": SPEECH_BODY_BYTES,
}


def too_large(path: str) -> str:
    """What a 413 says: the limit of the route asked for."""
    limit = LARGER_BODIES.get(path, MAX_BODY_BYTES)
    return f"the request body is larger than {limit // (1024 * 1024)} MiB"


SERVER_ERROR = "something went wrong on the server; try again in a moment"


def redact(errors: Sequence[Any]) -> list[Any]:
    """Validation errors echo the input: never a password, and always as text."""
    redacted = []
    for problem in errors:
        if any("password" in str(part) for part in problem.get("loc", ())):
            problem = {key: value for key, value in problem.items() if key not in ("input", "ctx")}
        elif isinstance(problem.get("input"), bytes):  # a body that is not UTF-8
            problem = problem | {"input": problem["input"].decode("utf-8", "replace")}
        redacted.append(problem)
    return redacted


@cache
def _operations(app: FastAPI) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each path of the API's schema as a pattern (an integer id matches digits only, as
    the routes' convertors do), with the methods it declares."""
    found = []
    for path, item in app.openapi()["paths"].items():
        integers = {
            parameter["name"]
            for operation in item.values()
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "path" and parameter["schema"].get("type") == "integer"
        }
        pattern = "^"
        for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", path):
            pattern += re.escape(literal)
            if name:
                pattern += "[0-9]+" if name in integers else "[^/]+"
        methods = {method.upper() for method in item}
        if "GET" in methods:
            methods.add("HEAD")
        found.append((re.compile(pattern + "$"), frozenset(methods)))
    return found


def allowed_methods(app: FastAPI, path: str, headers: dict[str, str] | None) -> dict[str, str]:
    """`Allow` for a 405: every method of every operation of the path (Starlette names only
    the first route that matched), else what Starlette said."""
    methods: set[str] = set()
    for pattern, declared in _operations(app):
        if pattern.match(path):
            methods |= declared
    if not methods:
        return dict(headers or {})
    return {"Allow": ", ".join(sorted(methods))}


def answer(
    request: Request,
    status_code: int,
    message: str,
    *,
    settings: Settings,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The one place that picks: the page's message, or `{"detail": ...}` as JSON."""
    if is_page(request):
        return error_page(request, settings, status_code, message, headers)
    body = {"detail": message if detail is None else detail}
    return JSONResponse(body, status_code=status_code, headers=headers)


class FrameworkErrors:
    """Starlette answers two errors by itself, as text/plain and outside the app's exception
    handlers: a body whose Content-Length is over the limit (413, from its size limiter) and
    an exception that no handler took (500, from ServerErrorMiddleware, which then re-raises
    it for the server's log). Such answers are remade in the app's form, as JSON or a page;
    this wraps the whole stack, so it sees them."""

    statuses = (413, 500)

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_in_app_form(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and self._plain_error(message):
                replaced = True
                await self._answer(scope, message["status"])(scope, receive, send)
            elif not replaced:  # else the plain body, already answered in our form
                await send(message)

        await self.app(scope, receive, send_in_app_form)

    def _plain_error(self, start: Message) -> bool:
        if start["status"] not in self.statuses:
            return False
        return Headers(raw=start["headers"]).get("content-type", "").startswith("text/plain")

    def _answer(self, scope: Scope, status_code: int) -> Response:
        request = Request(scope)
        message = too_large(scope["path"]) if status_code == 413 else SERVER_ERROR
        try:
            return answer(request, status_code, message, settings=self.settings)
        except Exception:  # a page that cannot be drawn now: the JSON answer, never nothing
            logger.exception("error page %d could not be rendered", status_code)
            return JSONResponse({"detail": message}, status_code=status_code)


async def app_error(request: Request, error: AppError, *, settings: Settings) -> Response:
    if error.status_code == 401 and is_page(request):
        # The session ended while the page worked (revoked, expired, account deleted).
        return login_page_response(request, settings, LoginRequired(expired=True))
    detail = error.problems if isinstance(error, Unprocessable) else None
    return answer(
        request,
        error.status_code,
        error.detail,
        settings=settings,
        detail=detail,
        headers=error.headers,
    )


def install(app: FastAPI, settings: Settings) -> None:
    error_response = partial(answer, settings=settings)

    app.add_exception_handler(AppError, partial(app_error, settings=settings))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_down(request: Request, error: Exception) -> Response:
        logger.error("database unavailable: %s", error)
        message = "The database is unavailable; try again in a few seconds."
        return error_response(request, 503, message, headers=DATABASE_DOWN)

    @app.exception_handler(IntegrityError)
    @app.exception_handler(StaleDataError)
    async def changed_meanwhile(request: Request, error: Exception) -> Response:
        # What the request names was changed or deleted by another request between our reads
        # and our write (a card deleted while it was being edited, an account deleted in
        # another process): the database refused the write, or it found no row to change.
        logger.warning("write refused, its rows changed meanwhile: %s", error)
        message = "what this request refers to was changed or deleted meanwhile; try again"
        return error_response(request, 409, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 400 and "parsing the body" in str(error.detail):
            # A body that is not even text (bad UTF-8) is invalid input like any other: 422.
            problem = {"loc": ["body"], "msg": "the body is not valid JSON", "type": "json_invalid"}
            return JSONResponse({"detail": [problem]}, status_code=422)
        if error.status_code == 400 and "multipart" in str(error.detail).lower():
            # A broken form upload (`/speech/*`): invalid input too.
            problem = {"loc": ["body"], "msg": str(error.detail), "type": "multipart_invalid"}
            return JSONResponse({"detail": [problem]}, status_code=422)
        if error.status_code == 413:  # a body over the limit, found while reading it
            return error_response(request, 413, too_large(request.url.path))
        headers = getattr(error, "headers", None)
        if error.status_code == 405:
            headers = (headers or {}) | allowed_methods(app, request.url.path, headers)
        return error_response(
            request, error.status_code, str(error.detail), detail=error.detail, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        message = "; ".join(f"{p['loc'][-1]}: {p['msg']}" for p in error.errors())
        return error_response(
            request,
            422,
            f"This address is not valid ({message}).",
            detail=jsonable_encoder(redact(error.errors())),
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, error: LoginRequired) -> Response:
        return login_page_response(request, settings, error)

    @app.exception_handler(CSRFRejected)
    async def csrf_rejected(request: Request, _error: CSRFRejected) -> Response:
        return error_page(request, settings, 403, CSRF_MESSAGE)
