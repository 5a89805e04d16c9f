"""Password hashing (Argon2id), bearer-token digests, and what protects a browser session:
its cookies (named `__Host-…` when Secure), CSRF tokens bound to it, the origin check."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import astuple, dataclass
from urllib.parse import urlsplit

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.requests import HTTPConnection
from starlette.responses import Response

from langtutor.config import Settings

# OWASP's minimum for Argon2id (m = 19 MiB, t = 2, p = 1): strong, and quick enough that
# a login does not hold a core for long.
ARGON2_MEMORY_KIB = 19_456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1

password_hash = PasswordHash(
    (
        Argon2Hasher(
            time_cost=ARGON2_TIME_COST,
            memory_cost=ARGON2_MEMORY_KIB,
            parallelism=ARGON2_PARALLELISM,
        ),
    )
)
# Verified against when the username is unknown, so that both cases take the same time.
_DUMMY_HASH = password_hash.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    # Argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(password_hash.hash, password)


async def verify_password(password: str, hashed: str | None) -> bool:
    if hashed is None:
        await asyncio.to_thread(password_hash.verify, password, _DUMMY_HASH)
        return False
    return await asyncio.to_thread(password_hash.verify, password, hashed)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str, secret_key: str) -> str:
    """Keyed digest stored instead of the token; changing SECRET_KEY invalidates all tokens."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


# -- browser sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CookieNames:
    session: str
    # Before login there is no token to bind a CSRF token to: a random value in a cookie
    # stands in.
    csrf: str
    # A browser that signed in to an account before (accounts.throttle).
    device: str


PLAIN_COOKIES = CookieNames("langtutor_token", "langtutor_csrf", "langtutor_device")
# With Secure cookies, the `__Host-` prefix: a browser takes such a cookie only from a secure
# page of this very host, for the whole path, with no Domain; a sibling subdomain or a plain
# HTTP service on another port cannot plant one (cookie tossing). The prefix needs Secure.
HOST_COOKIES = CookieNames(*(f"__Host-{name}" for name in astuple(PLAIN_COOKIES)))
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEVICE_COOKIE_MAX_AGE_S = 365 * 86_400


def cookie_names(settings: Settings) -> CookieNames:
    return HOST_COOKIES if settings.COOKIE_SECURE else PLAIN_COOKIES


def session_cookie(request: HTTPConnection, settings: Settings) -> str | None:
    return request.cookies.get(cookie_names(settings).session)


def csrf_basis(request: HTTPConnection, settings: Settings) -> str | None:
    """What the CSRF token is bound to: the session token, else the pre-login cookie."""
    names = cookie_names(settings)
    return request.cookies.get(names.session) or request.cookies.get(names.csrf)


def csrf_token_for(basis: str, secret_key: str) -> str:
    """An HMAC of the session, so a token from one session is worthless in another."""
    return hmac.new(secret_key.encode(), b"csrf:" + basis.encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: HTTPConnection, sent: str | None, settings: Settings) -> bool:
    basis = csrf_basis(request, settings)
    if not basis or not sent:
        return False
    # Bytes: a header or field may hold any character, and compare_digest takes ASCII text only.
    return hmac.compare_digest(csrf_token_for(basis, settings.SECRET_KEY).encode(), sent.encode())


def cross_origin(request: HTTPConnection) -> bool:
    """A browser says this request comes from another origin: another site, or another port
    or scheme of this host, whose page could have planted its own CSRF cookie here (cookies
    know no ports). `Sec-Fetch-Site` decides when the browser sends it (every current one
    does); else `Origin`, compared with the host the request was sent to (scheme aside, as a
    TLS-terminating proxy changes it). Neither header: not a browser's cross-origin request
    (a script, a command line, a bearer token), let through."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    sent_from = urlsplit(origin).netloc.lower()  # "" for `Origin: null`
    return not sent_from or sent_from != request.headers.get("host", "").lower()


def new_csrf_basis() -> str:
    return secrets.token_urlsafe(32)


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    # The server decides when the session ends (it slides on use); the cookie outlives it.
    _set_cookie(
        response, cookie_names(settings).session, token, settings.SESSION_MAX_AGE_S, settings
    )


def set_csrf_cookie(response: Response, basis: str, settings: Settings) -> None:
    _set_cookie(response, cookie_names(settings).csrf, basis, None, settings)


def set_device_cookie(response: Response, device: str, settings: Settings) -> None:
    _set_cookie(response, cookie_names(settings).device, device, DEVICE_COOKIE_MAX_AGE_S, settings)


def _set_cookie(
    response: Response, name: str, value: str, max_age: int | None, settings: Settings
) -> None:
    """Every cookie of ours: for scripts out of reach, sent on this site's navigation only."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.COOKIE_SECURE,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_names(settings).session,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.COOKIE_SECURE,
    )
