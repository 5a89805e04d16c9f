"""The app's clock under a test's control: `request_time` (NowDep) answers what the test sets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from fastapi import FastAPI

from langtutor.deps import request_time


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    async def __call__(self) -> datetime:
        return self.now


@contextmanager
def controlled_clock(app: FastAPI, start: datetime) -> Iterator[Clock]:
    """The app's requests happen at `clock.now`, which the test moves."""
    clock = Clock(start)
    app.dependency_overrides[request_time] = clock
    try:
        yield clock
    finally:
        app.dependency_overrides.pop(request_time, None)
