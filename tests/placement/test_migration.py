"""Revision 0011 round-trips on both databases: `placements` and the log's `placement` event
come with it and go with its downgrade (the event's entries deleted first)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from langtutor.migrations import alembic_config
from tests.databases import pg_problem, throwaway_database

PLACEMENT_EVENT = (
    "INSERT INTO activity_log (user_id, timestamp, content_type, query_text, target_language,"
    " event) VALUES (1, CURRENT_TIMESTAMP, 'exercises', 'placement', 'es', 'placement')"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_head(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql" and (problem := pg_problem()) is not None:
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    with throwaway_database(request.param, tmp_path) as url:
        yield url


async def test_placements_come_and_go_with_revision_0011(at_head: str) -> None:
    sync = create_engine(at_head.replace("+aiosqlite", ""))
    with sync.begin() as connection:
        connection.execute(text("INSERT INTO users (username, password_hash) VALUES ('a', 'x')"))
        connection.execute(
            text(
                "INSERT INTO placements (user_id, language, stage, rounds, items, created_at, version)"
                " VALUES (1, 'es', 'vocabulary', 1, '[]', CURRENT_TIMESTAMP, 1)"
            )
        )
        connection.execute(text(PLACEMENT_EVENT))
    # Alembic runs its own event loop: in a thread of its own, off this test's loop.
    await asyncio.to_thread(command.downgrade, alembic_config(at_head), "0010")
    assert "placements" not in inspect(sync).get_table_names()
    with sync.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity_log")).scalar() == 0
        with pytest.raises(IntegrityError):
            connection.execute(text(PLACEMENT_EVENT))
        connection.rollback()
    indexes = {index["name"] for index in inspect(sync).get_indexes("activity_log")}
    assert "idx_activity_log_user_event_timestamp" in indexes
    await asyncio.to_thread(command.upgrade, alembic_config(at_head), "head")
    with sync.begin() as connection:
        connection.execute(text(PLACEMENT_EVENT))
    assert "placements" in inspect(sync).get_table_names()
    sync.dispose()
