"""Per-learner limits: sliding windows of generations (`GENERATION_RATE_PER_MINUTE`) and
audio (`AUDIO_RATE_PER_MINUTE`), and the model calls under way (`MODEL_CALLS_PER_LEARNER`);
per-address windows of what anyone may ask without an account (`client_rate_limiter`: a
shared set's views, `SHARE_VIEWS_PER_MINUTE`), in the `client_rate_limits` table.

On PostgreSQL the window lives in the database (`rate_limits`), so that every process and
machine of a server counts the same calls: one statement per check, exact under concurrency
(the row of the learner is locked for the length of the statement; the database's clock, not
the machines'). On SQLite, a server on one machine, it lives in each process's memory, where
a second worker only ever makes it more lenient, never stricter.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterator
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.db import fetch_rows
from langtutor.errors import TooManyRequests

WINDOW_S = 60.0


class RateLimiter(Protocol):
    per_minute: int

    async def check(self, user_id: int) -> None:
        """Count one call for the user, or raise TooManyRequests when the window is full."""


class ClientRateLimiter(Protocol):
    per_minute: int

    async def check(self, address: str, /) -> None:
        """Count one call for the client's address, or raise TooManyRequests."""


def rate_limiter(
    engine: AsyncEngine, kind: str, per_minute: int, what: str = "generations"
) -> RateLimiter:
    """The limiter a server on this database needs: shared on PostgreSQL, else in memory."""
    if engine.dialect.name == "postgresql":
        return DatabaseRateLimiter(engine, kind, per_minute, what)
    return MemoryRateLimiter(per_minute, what)


def client_rate_limiter(
    engine: AsyncEngine, kind: str, per_minute: int, what: str
) -> ClientRateLimiter:
    """The same sliding window counted per client address (as `throttle.client_address`
    gives it), for what needs no account: shared on PostgreSQL, else in memory."""
    if engine.dialect.name == "postgresql":
        return DatabaseRateLimiter(engine, kind, per_minute, what, table=CLIENTS)
    return MemoryRateLimiter(per_minute, what)


def refused(per_minute: int, retry_after: float, what: str) -> TooManyRequests:
    seconds = max(1, math.ceil(retry_after))
    return TooManyRequests(
        f"at most {per_minute} {what} per minute; try again in {seconds} s", retry_after=seconds
    )


class MemoryRateLimiter:
    # Typed here, not in __init__, which mutmut copies per mutant (docs/mutation.md).
    _calls: defaultdict[Hashable, deque[float]]

    def __init__(
        self, per_minute: int, what: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.what = what
        self.clock = clock
        self._calls = defaultdict(deque)

    async def check(self, user_id: Hashable) -> None:
        now = self.clock()
        calls = self._calls[user_id]
        while calls and calls[0] <= now - WINDOW_S:
            calls.popleft()
        if len(calls) >= self.per_minute:
            raise refused(self.per_minute, calls[0] + WINDOW_S - now, self.what)
        calls.append(now)
        if len(self._calls) > 10_000:
            self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, c in self._calls.items() if not c or c[-1] <= now - WINDOW_S]:
            del self._calls[user_id]


# The learner's recent calls, with this one appended if the window has room; the row lock
# that ON CONFLICT DO UPDATE takes makes concurrent checks of one learner wait for each other.
_CALL = """
    WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS now)
    INSERT INTO {table} AS limits ({key}, kind, calls)
    SELECT :user_id, :kind, ARRAY[clock.now] FROM clock
    ON CONFLICT ({key}, kind) DO UPDATE SET calls = (
        SELECT CASE
            WHEN count(*) < :per_minute
            THEN coalesce(array_agg(recent.at ORDER BY recent.at), '{{}}') || EXCLUDED.calls[1]
            ELSE limits.calls
        END
        FROM unnest(limits.calls) AS recent(at)
        WHERE recent.at > EXCLUDED.calls[1] - :window
    )
    RETURNING calls, (SELECT now FROM clock) AS now
    """
# Learners' windows (`rate_limits`, a row per learner and kind) and clients' (by address).
LEARNERS, CLIENTS = ("rate_limits", "user_id"), ("client_rate_limits", "address")
_STATEMENTS = {
    table: text(_CALL.format(table=table[0], key=table[1])) for table in (LEARNERS, CLIENTS)
}
# Addresses come and go: a client's idle windows are deleted, one check in so many.
FORGET_EVERY = 200
_FORGET = text(
    "DELETE FROM client_rate_limits WHERE calls[array_upper(calls, 1)] "
    "< extract(epoch FROM clock_timestamp()) - :window"
)


class DatabaseRateLimiter:
    def __init__(
        self,
        engine: AsyncEngine,
        kind: str,
        per_minute: int,
        what: str,
        table: tuple[str, str] = LEARNERS,
    ) -> None:
        # Its own statement, committed at once: the count holds whatever the request does next.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.kind = kind
        self.per_minute = per_minute
        self.what = what
        self.statement = _STATEMENTS[table]
        self.forgets = table == CLIENTS
        self.checks = 0

    async def check(self, user_id: int | str) -> None:
        values = {
            "user_id": user_id,
            "kind": self.kind,
            "per_minute": self.per_minute,
            "window": WINDOW_S,
        }
        async with self.engine.connect() as connection:
            ((calls, now),) = await fetch_rows(connection, self.statement, values)
            self.checks += 1
            if self.forgets and self.checks % FORGET_EVERY == 0:
                await connection.execute(_FORGET, {"window": WINDOW_S})
        if calls and calls[-1] == now:
            return
        oldest = min(call for call in calls if call > now - WINDOW_S)
        raise refused(self.per_minute, oldest + WINDOW_S - now, self.what)


# What a learner beyond their calls under way is told to wait: a call takes seconds.
BUSY_RETRY_AFTER_S = 2


class ModelCallsBusy(TooManyRequests):
    """The learner has as many model calls under way as they may."""


class ModelCalls:
    """Each learner's model calls under way in this process, at most `per_learner`: one
    learner's open streams or parallel requests cannot take the model client's connections
    (1,000 per process, the SDKs' default) from everyone else, nor its time. Counted per
    process, as the client's connections are: with N workers a learner may have N times as
    many, each worker's pool still shared fairly."""

    # Typed here, not in __init__, which mutmut copies per mutant (docs/mutation.md).
    _calls: dict[int, int]

    def __init__(self, per_learner: int) -> None:
        self.per_learner = per_learner
        self._calls = {}

    def check(self, user_id: int) -> None:
        """Raise ModelCallsBusy (429) when the learner may not start another call now."""
        if self._calls.get(user_id, 0) >= self.per_learner:
            raise ModelCallsBusy(
                f"you have {self.per_learner} requests to the model under way (generations, "
                "answers being graded or explained, conversation turns), the most at a time; "
                "try again when one has finished",
                retry_after=BUSY_RETRY_AFTER_S,
            )

    @contextlib.contextmanager
    def slot(self, user_id: int) -> Iterator[None]:
        """One call of the learner's, for as long as the block runs (cancelled included)."""
        self.check(user_id)
        self._calls[user_id] = self._calls.get(user_id, 0) + 1
        try:
            yield
        finally:
            if left := self._calls[user_id] - 1:
                self._calls[user_id] = left
            else:
                del self._calls[user_id]
