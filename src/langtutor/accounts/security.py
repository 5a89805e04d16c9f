"""Password hashing (Argon2id) and bearer-token digests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

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
