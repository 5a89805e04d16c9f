"""What the console's figures share: UTC days as the database counts them, and the days
whose figures no longer change (settled), kept per process so that a page reads the log of
the last day or two only."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

# A day is settled this long after it ended: entries still in a batch logger's buffer (a few
# seconds) or a spool replayed at a restart have reached the table by then.
SETTLE = timedelta(minutes=15)
# Settled days kept in memory, at most (a year and a bit of the longest period asked).
KEPT_DAYS = 400


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def settled(day: date, now: datetime) -> bool:
    """Whether the day's figures will not change any more."""
    return start_of(day) + timedelta(days=1) + SETTLE <= now


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def forget_old(kept: dict[date, Any]) -> None:
    """The oldest settled days out of memory, beyond KEPT_DAYS."""
    for day in sorted(kept)[: max(0, len(kept) - KEPT_DAYS)]:
        del kept[day]


def percentile(latencies: Counter[int], share: float) -> int | None:
    """The nearest-rank percentile of counted latencies (None without any)."""
    total = sum(latencies.values())
    if not total:
        return None
    rank = max(1, math.ceil(round(share * total, 6)))
    seen = 0
    for value in sorted(latencies):
        seen += latencies[value]
        if seen >= rank:
            return value
    return max(latencies)


def merged(counters: Iterable[Counter[int]]) -> Counter[int]:
    total: Counter[int] = Counter()
    for counter in counters:
        total.update(counter)
    return total
