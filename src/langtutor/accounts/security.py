"""Password hashing (Argon2id), bearer-token digests, and what protects a browser session:
the session cookie and CSRF tokens bound to it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

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

TOKEN_COOKIE = "langtutor_token"
# Before login there is no token to bind a CSRF token to: a random value in a cookie stands in.
CSRF_COOKIE = "langtutor_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_basis(request: HTTPConnection) -> str | None:
    """What the CSRF token is bound to: the session token, else the pre-login cookie."""
    return request.cookies.get(TOKEN_COOKIE) or request.cookies.get(CSRF_COOKIE)


def csrf_token_for(basis: str, secret_key: str) -> str:
    """An HMAC of the session, so a token from one session is worthless in another."""
    return hmac.new(secret_key.encode(), b"csrf:" + basis.encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: HTTPConnection, sent: str | None, secret_key: str) -> bool:
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
        # The server decides when the session ends (it slides on use); the cookie outlives it.
        max_age=settings.SESSION_MAX_AGE_S,
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
