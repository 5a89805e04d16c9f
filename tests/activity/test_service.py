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
from langtutor.activity.days import normalize_topic
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import create_sessionmaker, session_scope
from langtutor.errors import NotFound
from langtutor.progress import streak

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
