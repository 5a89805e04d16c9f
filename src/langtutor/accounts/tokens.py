"""Verified tokens, remembered for a few seconds: most requests then learn who sends them,
and what the API shows of them, without a database round trip.

What stays true with the cache:
- A token revoked here (logout, refresh, password change, account deletion) is refused by this
  process from the moment the revocation commits, and a profile changed here is read back
  changed: the change holds the user's entries back (they are not served, and a check racing
  the change is not remembered) for as long as an entry could live.
- Other processes learn of the change when it commits, from PostgreSQL (`NOTIFY` on
  `CHANNEL`, which each process follows with `follow_changes`); whatever happens to that
  channel (SQLite, a lost connection), no process keeps an entry longer than `ttl_s`, the
  delay the README states.
- Expiry is checked on every request against the cached expiry; a browser session due for
  renewal, or one that another process renewed, goes back to the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import psycopg
from cachetools import TTLCache
from sqlalchemy import make_url

from langtutor.accounts.schemas import UserPublic

logger = logging.getLogger("langtutor.accounts")

MAX_TOKENS = 10_000
CHANNEL = "langtutor_users"
MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class VerifiedToken:
    """A token found live in the database, and its user as the API shows them."""

    token_id: int
    digest: str
    expires_at: datetime
    renewable_until: datetime | None
    user: UserPublic

    @property
    def user_id(self) -> int:
        return self.user.user_id


@dataclass(frozen=True)
class _HeldBack:
    keep: str | None  # the digest of the one token still trusted (a password change's own)


class TokenCache:
    """`ttl_s = 0` turns the cache off: every request is checked against the database."""

    def __init__(self, ttl_s: float, maxsize: int = MAX_TOKENS) -> None:
        self.ttl_s = ttl_s
        size, ttl = max(1, maxsize), max(ttl_s, 0.001)
        self._tokens: TTLCache[str, VerifiedToken] = TTLCache(size, ttl, timer=time.monotonic)
        self._revoked: TTLCache[str, bool] = TTLCache(size, ttl, timer=time.monotonic)
        self._held_back: TTLCache[int, _HeldBack] = TTLCache(size, ttl, timer=time.monotonic)

    def get(self, digest: str) -> VerifiedToken | None:
        if self.ttl_s <= 0 or digest in self._revoked:
            return None
        token = self._tokens.get(digest)
        if token is None or self._is_held_back(token):
            return None
        return token

    def put(self, token: VerifiedToken) -> None:
        if self.ttl_s > 0 and token.digest not in self._revoked and not self._is_held_back(token):
            self._tokens[token.digest] = token

    def revoke(self, digest: str) -> None:
        """This token is being revoked: never answer for it from memory again."""
        self._tokens.pop(digest, None)
        self._revoked[digest] = True

    def hold_back(self, user_id: int, *, keep: str | None = None) -> None:
        """This user is changing (profile, password, tokens, deletion): their entries but
        `keep` go unused, and none is remembered, until any entry from before has lapsed."""
        self._held_back[user_id] = _HeldBack(keep)

    def clear(self) -> None:
        self._tokens.clear()

    def _is_held_back(self, token: VerifiedToken) -> bool:
        held = self._held_back.get(token.user_id)
        return held is not None and held.keep != token.digest


async def follow_changes(tokens: TokenCache, database_url: str) -> None:
    """Hold back the users that other processes change, as their changes commit (PostgreSQL's
    LISTEN). Runs until cancelled; after a lost connection it listens again, forgetting every
    entry (a change may have gone by unheard)."""
    url = make_url(database_url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    failures = 0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                dsn, autocommit=True, connect_timeout=5
            ) as connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                tokens.clear()
                if failures:
                    logger.warning("token cache: following changes again")
                failures = 0
                async for notice in connection.notifies():
                    if notice.payload.isdigit():
                        tokens.hold_back(int(notice.payload))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # any driver error: listen again after a pause
            failures += 1
            backoff = min(MAX_BACKOFF_S, 0.5 * 2 ** min(failures, 10))
            logger.warning(
                "token cache: not following changes (%s); entries last at most %.0f s; "
                "trying again in %.1f s",
                error,
                tokens.ttl_s,
                backoff,
            )
            await asyncio.sleep(backoff)
