"""Verified tokens, remembered for a few seconds: most requests then learn who sends them,
and what the API shows of them, without a database round trip.

What stays true with the cache:
- A token revoked here (logout, refresh, password change, account deletion) is refused by this
  process from the moment the revocation commits, and a profile changed here is read back
  changed: the change holds the user's entries back (they are not served, and a check racing
  the change is not remembered) for as long as an entry could live.
- Other processes learn of the change when it commits (`langtutor.notices.USERS`, on
  PostgreSQL). A process that does not hear the notices (SQLite, a lost or not yet opened
  connection) trusts an entry for at most `UNHEARD_TRUST_S` (1 s), so that a revocation
  (an operator disabling an account) reaches every process within a second whatever
  happens to the notices; while it hears them, for `ttl_s`.
- Expiry is checked on every request against the cached expiry; a browser session due for
  renewal, or one that another process renewed, goes back to the database.
- Requests that carry the same token while it is checked in the database wait for that one
  check (a learner's page loads several things at once; a cached entry that lapses under load
  would otherwise send every request in flight to the database). A change to any user
  forgets the checks under way, so a request that starts after it gets a check of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache

from langtutor.accounts.schemas import UserPublic

MAX_TOKENS = 10_000
# How long an entry is trusted by a process that cannot hear other processes' changes.
UNHEARD_TRUST_S = 1.0


@dataclass(frozen=True)
class VerifiedToken:
    """A token found live in the database, and its user as the API shows them."""

    token_id: int
    digest: str
    expires_at: datetime
    renewable_until: datetime | None
    user: UserPublic
    # The learner's fitted FSRS parameters (not part of the profile the API shows).
    fsrs_parameters: tuple[float, ...] | None = None

    @property
    def user_id(self) -> int:
        return self.user.user_id


@dataclass(frozen=True)
class _HeldBack:
    keep: str | None  # the digest of the one token still trusted (a password change's own)


class TokenCache:
    """`ttl_s = 0` turns the cache off: every request is checked against the database."""

    # Typed here, not in __init__, which mutmut copies per mutant (docs/mutation.md).
    _tokens: TTLCache[str, tuple[float, VerifiedToken]]
    _held_back: TTLCache[int, _HeldBack]
    _checking: dict[str, asyncio.Future[VerifiedToken]]
    hearing: bool

    def __init__(self, ttl_s: float, maxsize: int = MAX_TOKENS) -> None:
        self.ttl_s = ttl_s
        size, ttl = max(1, maxsize), max(ttl_s, 0.001)
        self._tokens = TTLCache(size, ttl, timer=time.monotonic)
        self._held_back = TTLCache(size, ttl, timer=time.monotonic)
        self._checking = {}
        # Whether this process hears the other processes' notices (see notices_heard).
        self.hearing = False

    def get(self, digest: str) -> VerifiedToken | None:
        if self.ttl_s <= 0:
            return None
        cached = self._tokens.get(digest)
        if cached is None:
            return None
        stored_at, token = cached
        if self._is_held_back(token):
            return None
        if not self.hearing and time.monotonic() - stored_at > UNHEARD_TRUST_S:
            return None
        return token

    def put(self, token: VerifiedToken) -> None:
        if self.ttl_s > 0 and not self._is_held_back(token):
            self._tokens[token.digest] = (time.monotonic(), token)

    def notices_heard(self) -> None:
        """This process listens to the others' notices (again): entries are trusted for
        `ttl_s`; those from before are forgotten, as notices may have gone by unheard."""
        self.clear()
        self.hearing = True

    def notices_lost(self) -> None:
        """This process no longer hears the others: entries are trusted for 1 s at most."""
        self.hearing = False

    def hold_back(self, user_id: int, *, keep: str | None = None) -> None:
        """This user is changing (profile, password, tokens, deletion): their entries but
        `keep` go unused, and none is remembered, until any entry from before has lapsed."""
        self._held_back[user_id] = _HeldBack(keep)
        self._checking.clear()  # a check under way may predate the change

    async def check_once(
        self, digest: str, check: Callable[[], Awaitable[VerifiedToken]]
    ) -> VerifiedToken:
        """`check()`'s answer, shared by every request for this token while it runs."""
        running = self._checking.get(digest)
        if running is None:
            running = asyncio.ensure_future(check())
            self._checking[digest] = running
            running.add_done_callback(lambda done: self._checked(digest, done))
        # A request that goes away does not cancel the others' check.
        return await asyncio.shield(running)

    def _checked(self, digest: str, done: asyncio.Future[VerifiedToken]) -> None:
        if self._checking.get(digest) is done:
            del self._checking[digest]
        if not done.cancelled():
            # Retrieved (nobody may be left waiting); a finished future's exception() returns it.
            done.exception()

    def clear(self) -> None:
        self._tokens.clear()

    def user_changed(self, payload: str) -> None:
        """A notice from another process: `payload` is the id of the user who changed."""
        if payload.isdigit():
            self.hold_back(int(payload))

    def _is_held_back(self, token: VerifiedToken) -> bool:
        held = self._held_back.get(token.user_id)
        return held is not None and held.keep != token.digest
