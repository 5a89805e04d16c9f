"""Per-user sliding-window limit on generations (`GENERATION_RATE_PER_MINUTE`).

Kept in the memory of each server process: it protects the model from one learner's bursts,
and a restart or a second worker only ever makes it more lenient, never stricter.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque

from langtutor.errors import TooManyRequests

WINDOW_S = 60.0


class GenerationRateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._calls: defaultdict[int, deque[float]] = defaultdict(deque)

    def check(self, user_id: int) -> None:
        """Count one generation for the user, or raise when the window is full."""
        now = time.monotonic()
        calls = self._calls[user_id]
        while calls and calls[0] <= now - WINDOW_S:
            calls.popleft()
        if len(calls) >= self.per_minute:
            retry_after = math.ceil(calls[0] + WINDOW_S - now)
            raise TooManyRequests(
                f"at most {self.per_minute} generations per minute; try again in {retry_after} s",
                retry_after=retry_after,
            )
        calls.append(now)
        if len(self._calls) > 10_000:
            self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, c in self._calls.items() if not c or c[-1] <= now - WINDOW_S]:
            del self._calls[user_id]
