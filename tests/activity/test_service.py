"""The activity services without HTTP: streaks, topics, and what other domains ask of a
generation's entries."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.activity import service
from langtutor.activity.days import normalize_topic, streak
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import create_sessionmaker, session_scope
from langtutor.errors import NotFound

TODAY = date(2026, 11, 27)


def days_ago(*offsets: int) -> set[date]:
    return {TODAY - timedelta(days=offset) for offset in offsets}


@pytest.mark.parametrize(
    ("active", "expected"),
    [
        (days_ago(0, 1, 2), 3),
        (days_ago(1, 2), 2),  # today has nothing yet: the streak still holds
        (days_ago(0, 2, 3), 1),
        (days_ago(2, 3), 0),  # yesterday was missed
        (set(), 0),
    ],
)
def test_streak(active: set[date], expected: int) -> None:
    assert streak(active, TODAY) == expected


def test_topics_fold_case_spaces_and_final_punctuation() -> None:
    assert normalize_topic("  Ordering\tTapas!? ") == "ordering tapas"


@pytest.fixture
async def users(db: AsyncEngine) -> list[int]:
    async with db.begin() as connection:
        result = await connection.execute(
            text(
                "INSERT INTO users (username, password_hash) VALUES ('a', 'x'), ('b', 'x') "
                "RETURNING user_id"
            )
        )
        return sorted(int(row[0]) for row in result)


@pytest.fixture
async def logger(db: AsyncEngine) -> AsyncIterator[BatchLogger]:
    batch_logger = BatchLogger(db, batch_size=100, flush_interval_s=0.2)
    await batch_logger.start()
    yield batch_logger
    await batch_logger.stop()


async def test_a_generation_ends_with_its_output_and_belongs_to_its_user(
    db: AsyncEngine, users: list[int], logger: BatchLogger
) -> None:
    owner, other = users
    generation_id = uuid.uuid4()
    for event in ("query", "output"):
        await logger.buffered_log_query(
            LogEntry(
                user_id=owner,
                content_type="flashcards",
                query_text="tapas",
                target_language="es",
                base_language="en",
                event=event,
                generation_id=generation_id,
                request_metadata={"level": "B1"} if event == "query" else None,
            )
        )
    async with session_scope(create_sessionmaker(db)) as session:
        end = await service.generation_end(
            session=session, activity=logger, user_id=owner, generation_id=generation_id
        )
        assert end.event == "output"
        with pytest.raises(NotFound):
            await service.generation_end(
                session=session, activity=logger, user_id=other, generation_id=generation_id
            )
        found = await service.generation_settings(
            session=session,
            generations=[(owner, generation_id), (other, generation_id), (owner, uuid.uuid4())],
        )
    assert found == {
        (owner, generation_id): service.GenerationSettings(
            target_language="es", base_language="en", level="B1"
        )
    }


async def test_recent_entries_take_the_learners_own_buffered_entries_without_a_write(
    db: AsyncEngine, users: list[int]
) -> None:
    """A generation's history reads what waits in this process's buffer (it is not flushed
    for that, which would undo the batching): the learner's own entries, no one else's."""
    owner, other = users
    logger = BatchLogger(db, batch_size=100, flush_interval_s=3600)
    await logger.start()
    try:
        await logger.buffered_log_query(answer(other, "Hoy ___ (ir, yo).", "voy"))
        await logger.settled()  # the first entry goes at once; the next ones wait
        for user_id, expected in ((owner, "vas"), (other, "va")):
            await logger.buffered_log_query(answer(user_id, "Tú ___ (ir).", expected))
        async with db.connect() as connection:
            recent = await service.recent_entries(
                connection=connection, activity=logger, user_id=owner, target_language="es"
            )
        assert recent.missed == [("Tú ___ (ir).", "vas")]
        assert logger.buffered == 2
    finally:
        await logger.stop()


def answer(user_id: int, prompt: str, expected: str) -> LogEntry:
    """A wrong answer to an exercise item, as practice logs it."""
    return LogEntry(
        user_id=user_id,
        content_type="exercises",
        query_text=prompt,
        target_language="es",
        event="answer",
        request_metadata={"expected": expected},
        score=0.0,
    )
