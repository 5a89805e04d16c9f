"""The security headers of every answer (CSRF and the session cookie: accounts.security)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
# Swagger UI and ReDoc come from our own origin but start with inline code, and ReDoc runs
# a worker from a blob: the docs pages get a policy of their own, nothing from elsewhere.
DOCS_PATHS = ("/docs", "/redoc")
DOCS_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


# Static files are the same for everyone: the only answers a browser or a proxy may keep
# unless the route says otherwise (the audio does). Every other answer may be about the
# learner (a page, the API's data, an export, an error naming their item): never stored.
CACHEABLE_PATHS = ("/static/",)


class SecurityHeaders:
    """Headers that every answer carries; a plain ASGI wrapper, cheap enough for the API too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = (
            DOCS_SECURITY_POLICY
            if scope["path"].startswith(DOCS_PATHS)
            else CONTENT_SECURITY_POLICY
        )

        cacheable = scope["path"].startswith(CACHEABLE_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)
