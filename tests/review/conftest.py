"""The review tests' app: it talks to the fake model (flashcards to save), and its clock is the
test's, which moves months ahead (tokens outlive that)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI

from tests.clock import Clock, controlled_clock


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"ACCESS_TOKEN_TTL_S": 10 * 365 * 86_400}


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    """The app's clock, set by the test."""
    with controlled_clock(app, datetime(2026, 11, 20, 9, 0, tzinfo=UTC)) as fixed:
        yield fixed
