"""The review rules without HTTP: the learner's day, and the intervals on the buttons."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from langtutor.enums import ContentType
from langtutor.review.service import card_texts, day_of, day_start
from langtutor.web.i18n import interval as short_interval
from tests.fakellm import valid_content

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 11, 26, 22, 0, tzinfo=UTC), date(2026, 11, 26)),  # 03:30 local
        (datetime(2026, 11, 26, 22, 30, tzinfo=UTC), date(2026, 11, 27)),  # 04:00 local
        (datetime(2026, 11, 27, 18, 29, tzinfo=UTC), date(2026, 11, 27)),  # 23:59 local
    ],
)
def test_the_learners_day_starts_at_4_am_local_time(moment: datetime, day: date) -> None:
    assert day_of(moment, KOLKATA) == day
    assert day_start(day, KOLKATA) <= moment < day_start(day + timedelta(days=1), KOLKATA)


def test_a_day_across_a_clock_change_starts_at_4_am_both_times() -> None:
    madrid = ZoneInfo("Europe/Madrid")  # summer time ends on 25 October 2026
    start, end = day_start(date(2026, 10, 24), madrid), day_start(date(2026, 10, 25), madrid)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (timedelta(seconds=20), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=5), "5h"),
        (timedelta(hours=23, minutes=59), "1d"),
        (timedelta(days=4), "4d"),
        (timedelta(days=75), "2.5 mths"),
        (timedelta(days=365 * 3), "3y"),
    ],
)
def test_intervals_read_as_on_ankis_buttons(interval: timedelta, text: str) -> None:
    assert short_interval(interval) == text


def test_what_becomes_a_card() -> None:
    cards = card_texts(ContentType.flashcards, valid_content("flashcards", 2))
    assert [(c.source, c.item_index, c.front, c.back) for c in cards] == [
        ("flashcard", 0, "la palabra 1", "word 1"),
        ("flashcard", 1, "la palabra 2", "word 2"),
    ]
    vocabulary = card_texts(ContentType.simulation, valid_content("simulation", 0))
    assert {c.source for c in vocabulary} == {"vocabulary"}
    assert card_texts(ContentType.exercises, valid_content("exercises", 2)) == []
