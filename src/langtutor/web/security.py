"""What protects the pages: CSRF tokens, the session cookie and the security headers."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from langtutor.config import Settings

TOKEN_COOKIE = "langtutor_token"
# Before login there is no token to bind a CSRF token to: a random value in a cookie stands in.
CSRF_COOKIE = "langtutor_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Swagger UI and ReDoc load their scripts from a CDN and run inline code.
UNRESTRICTED_PATHS = ("/docs", "/redoc")


def csrf_basis(request: Request) -> str | None:
    """What the CSRF token is bound to: the session token, else the pre-login cookie."""
    return request.cookies.get(TOKEN_COOKIE) or request.cookies.get(CSRF_COOKIE)


def csrf_token_for(basis: str, secret_key: str) -> str:
    """An HMAC of the session, so a token from one session is worthless in another."""
    return hmac.new(secret_key.encode(), b"csrf:" + basis.encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: Request, sent: str | None, secret_key: str) -> bool:
    basis = csrf_basis(request)
    if not basis or not sent:
        return False
    return hmac.compare_digest(csrf_token_for(basis, secret_key), sent)


def new_csrf_basis() -> str:
    return secrets.token_urlsafe(32)


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=settings.ACCESS_TOKEN_TTL_S,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.COOKIE_SECURE,
    )


def set_csrf_cookie(response: Response, basis: str, settings: Settings) -> None:
    response.set_cookie(
        CSRF_COOKIE, basis, path="/", httponly=True, samesite="lax", secure=settings.COOKIE_SECURE
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        TOKEN_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.COOKIE_SECURE
    )


class SecurityHeaders:
    """Headers that every answer carries; a plain ASGI wrapper, cheap enough for the API too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        restricted = not scope["path"].startswith(UNRESTRICTED_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if restricted:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                    headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)
