"""`langtutor activity archive`: older entries move to a compressed JSON Lines file, and
`/progress` and the streak answer exactly as before, on both databases; on PostgreSQL the
partitioned table's months before the date are dropped whole, and the migration that
partitions a populated table keeps every row."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from alembic import command
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from langtutor import archive, jobs
from langtutor.accounts.models import User
from langtutor.activity import partitions
from langtutor.activity.models import ActivityLog
from langtutor.cli import app as cli_app
from langtutor.config import get_settings
from langtutor.db import create_engine
from langtutor.migrations import alembic_config
from tests.databases import PG_ADMIN_DSN, pg_problem, throwaway_database
from tests.factories import user_with_token

DAYS = 61  # seeded: every day from 60 days ago to today
TIMES = (time(0, 20), time(9, 0), time(23, 50))  # UTC, on each of those days
TOPICS = ["Ordering tapas", "At the station", "ordering tapas!", "Weather talk"]


def seeded_entries(user_id: int, today: date) -> list[dict[str, Any]]:
    """A learner active every day, at hours that fall on other days in other time zones:
    outputs of each type, answers (the same exercises again on later days), studied sets,
    conversation turns, and the entries that progress does not count."""
    entries: list[dict[str, Any]] = []
    exercise_set = uuid.uuid4()
    for n in range(DAYS):
        day = today - timedelta(days=DAYS - 1 - n)
        for at_time in TIMES:
            at = datetime.combine(day, at_time, UTC)
            hour = at_time.hour
            if at > datetime.now(UTC):
                continue
            generation = uuid.uuid4()
            kind = ("flashcards", "exercises", "simulation")[(n + hour) % 3]
            common = {
                "user_id": user_id,
                "content_type": kind,
                "query_text": TOPICS[(n * 3 + hour) % len(TOPICS)],
                "target_language": "es" if n % 4 else "fr",
                "base_language": "en",
                "generation_id": generation,
            }
            entries.append(common | {"event": "query", "timestamp": at})
            entries.append(
                common
                | {
                    "event": "output" if n % 7 else "error",
                    "timestamp": at + timedelta(seconds=2),
                    "response_metadata": {"model": "m", "prompt_version": "p1"},
                }
            )
            index = (n + hour) % 5
            entries.append(
                common
                | {
                    "content_type": "exercises",
                    "generation_id": exercise_set,
                    "query_text": f"prompt {index}",
                    "event": "answer",
                    "score": (1.0, 0.5, 0.0)[(n + hour) % 3],
                    "timestamp": at + timedelta(seconds=30),
                    "request_metadata": {
                        "item_index": index,
                        "expected": f"answer {index}",
                        "answer": f"try {n}",
                    },
                }
            )
            entries.append(
                common
                | {
                    "event": "study" if hour != 9 else "turn",
                    "timestamp": at + timedelta(seconds=40),
                    "request_metadata": {"items": 4},
                }
            )
    return entries


def expected_streak(today: date, zone: str) -> int:
    """Every day of the learner's calendar from the first seeded entry's to the last's is
    active: 61 days, or 62 where the seeded UTC days spill over into one more local day
    before the first (Los Angeles, from 08:00 UTC) or after the last (Kolkata, once the
    23:50 UTC entry of today is in the past)."""
    local, now = ZoneInfo(zone), datetime.now(UTC)
    days = [
        at.astimezone(local).date()
        for n in range(DAYS)
        for at_time in TIMES
        if (at := datetime.combine(today - timedelta(days=n), at_time, UTC)) <= now
    ]
    return (max(days) - min(days)).days + 1


async def progress_answers(
    client: httpx.AsyncClient, headers: dict[str, str], zone: str
) -> list[dict[str, Any]]:
    answers = []
    for days in (1, 7, 30, 45, 366):
        answer = await client.get("/progress", headers=headers, params={"days": days, "tz": zone})
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
    return answers


async def all_rows(db: AsyncEngine) -> dict[int, dict[str, Any]]:
    async with db.connect() as connection:
        rows = await connection.execute(select(ActivityLog.__table__))
        return {row.log_id: row._asdict() for row in rows}


@pytest.fixture
def cli_settings(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    monkeypatch.setenv("LANGTUTOR_DATABASE_URL", database_url)
    monkeypatch.setenv("LANGTUTOR_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("LANGTUTOR_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def run_cli(*args: str) -> str:
    result = CliRunner().invoke(cli_app, ["activity", "archive", *args])
    assert result.exit_code == 0, result.output
    return result.output


async def test_archiving_half_a_month_changes_no_progress_nor_streak(
    client: httpx.AsyncClient, db: AsyncEngine, backend: str, cli_settings: Path, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    learners = []
    for zone in ("UTC", "Asia/Kolkata", "America/Los_Angeles"):
        user, headers = await user_with_token(client)
        async with db.begin() as connection:
            await connection.execute(
                update(User).where(User.user_id == user["user_id"]).values(timezone=zone)
            )
            await connection.execute(insert(ActivityLog), seeded_entries(user["user_id"], today))
        learners.append((headers, zone))
    previous_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_before = (previous_month - timedelta(days=1)).replace(day=1)
    if backend == "postgresql":  # the seeded months get partitions of their own
        async with db.begin() as connection:
            created = await partitions.ensure(connection, [month_before, previous_month])
        assert created == [partitions.name(month_before), partitions.name(previous_month)]

    before = [await progress_answers(client, headers, zone) for headers, zone in learners]
    assert [answers[-1]["streak_days"] for answers in before] == [
        expected_streak(today, zone) for _, zone in learners
    ]
    rows_before = await all_rows(db)

    # Half of the previous month, with the command; then five days more (a learner's day
    # that straddles the first date is summed up in two parts).
    first_cut = previous_month + timedelta(days=15)
    to = tmp_path / "first.jsonl.gz"
    printed = await asyncio.to_thread(run_cli, "--before", first_cut.isoformat(), "--to", str(to))
    assert str(to) in printed
    second = await archive.archive(db, before=first_cut + timedelta(days=5), data_dir=cli_settings)
    assert second.path is not None
    assert second.path.parent == cli_settings / "archive"

    after = [await progress_answers(client, headers, zone) for headers, zone in learners]
    assert after == before

    rows_after = await all_rows(db)
    archived: list[dict[str, Any]] = []
    for path in (to, second.path):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            archived.extend(json.loads(line) for line in lines)
    moved = set(rows_before) - set(rows_after)
    ids = [row["log_id"] for row in archived]
    assert len(ids) == len(set(ids))  # each once
    assert set(ids) == moved
    assert len(archived) == second.entries + int(printed.split()[0])
    cutoff = datetime.combine(first_cut + timedelta(days=5), time(), UTC)
    assert moved == {i for i, row in rows_before.items() if row["timestamp"] < cutoff}
    for row in archived:  # every column, as it was
        expected = rows_before[row["log_id"]]
        assert datetime.fromisoformat(row.pop("timestamp")) == expected["timestamp"]
        assert uuid.UUID(row.pop("generation_id")) == expected["generation_id"]
        assert row == {
            name: value
            for name, value in expected.items()
            if name not in ("timestamp", "generation_id")
        }

    if backend == "postgresql":
        assert partitions.name(month_before) in printed
        async with db.connect() as connection:
            left = {partition.name for partition in await partitions.monthly(connection)}
        assert partitions.name(month_before) not in left
        assert partitions.name(previous_month) in left
    # Nothing left to move: no file, nothing changed.
    again = await asyncio.to_thread(run_cli, "--before", first_cut.isoformat())
    assert "nothing to archive" in again
    assert [await progress_answers(client, headers, zone) for headers, zone in learners] == before


async def test_archive_refuses_a_future_date_and_an_existing_file(
    db: AsyncEngine, tmp_path: Path, cli_settings: Path
) -> None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    with pytest.raises(archive.ArchiveError, match="future"):
        await archive.archive(db, before=tomorrow, data_dir=tmp_path)
    taken = tmp_path / "taken.jsonl.gz"
    taken.write_bytes(b"keep me")
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli_app,
        ["activity", "archive", "--before", "2026-01-01", "--to", str(taken)],
    )
    assert result.exit_code == 2
    assert "exists already" in result.output
    assert taken.read_bytes() == b"keep me"


async def test_feedback_on_an_archived_entry_loses_only_the_link(
    client: httpx.AsyncClient, db: AsyncEngine, tmp_path: Path
) -> None:
    user, _ = await user_with_token(client)
    old = datetime.now(UTC) - timedelta(days=40)
    async with db.begin() as connection:
        log_id = (
            await connection.execute(
                insert(ActivityLog)
                .values(
                    user_id=user["user_id"],
                    content_type="flashcards",
                    query_text="tapas",
                    target_language="es",
                    event="output",
                    timestamp=old,
                )
                .returning(ActivityLog.log_id)
            )
        ).scalar_one()
        await connection.execute(
            text(
                "INSERT INTO feedback (user_id, related_log_id, rating, feedback_text)"
                " VALUES (:u, :l, 2, 'meh')"
            ),
            {"u": user["user_id"], "l": log_id},
        )
    await archive.archive(db, before=(old + timedelta(days=1)).date(), data_dir=tmp_path)
    async with db.connect() as connection:
        kept = (
            await connection.execute(
                text("SELECT related_log_id, rating, feedback_text FROM feedback")
            )
        ).one()
    assert tuple(kept) == (None, 2, "meh")


# -- PostgreSQL: the migration that partitions a populated table ------------------------------

CHECKSUM = (
    "SELECT count(*), md5(string_agg(row_to_json(t)::text, '|' ORDER BY log_id))"
    " FROM (SELECT log_id, entry_id, user_id, timestamp, content_type, query_text,"
    " target_language, base_language, request_metadata, response_metadata, generation_id,"
    " event, score FROM activity_log) t"
)


@pytest.fixture
def unmigrated_postgresql() -> Iterator[str]:
    if (problem := pg_problem()) is not None:
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"langtutor_partition_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_partitioning_a_populated_table_keeps_every_row(unmigrated_postgresql: str) -> None:
    dsn = unmigrated_postgresql
    url = dsn.replace("postgresql://", "postgresql+psycopg://")
    command.upgrade(alembic_config(url), "0007")
    now = datetime.now(UTC)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO users (username, password_hash) VALUES ('ana', 'x'), ('ben', 'x')"
        )
        # 3,000 entries over 14 months (each lands in a partition of its month), with JSON,
        # NULLs, unicode; and a feedback row that links to one of them.
        connection.execute(
            """
            INSERT INTO activity_log (entry_id, user_id, timestamp, content_type, query_text,
                target_language, base_language, request_metadata, response_metadata,
                generation_id, event, score)
            SELECT CASE WHEN n %% 3 = 0 THEN NULL ELSE gen_random_uuid() END,
                1 + n %% 2, %s - n * interval '3 hours 17 minutes',
                (ARRAY['flashcards', 'exercises', 'simulation'])[1 + n %% 3],
                'tema ' || n || ' ñandú 漢字', 'es', CASE WHEN n %% 5 = 0 THEN NULL ELSE 'en' END,
                jsonb_build_object('count', n, 'nested', jsonb_build_object('a', n %% 7)),
                CASE WHEN n %% 4 = 0 THEN NULL ELSE jsonb_build_object('model', 'm' || n %% 3) END,
                gen_random_uuid(), (ARRAY['query', 'output', 'answer'])[1 + n %% 3],
                CASE WHEN n %% 3 = 2 THEN (n %% 3) / 2.0 ELSE NULL END
            FROM generate_series(1, 3000) AS n
            """,
            (now,),
        )
        connection.execute(
            "INSERT INTO feedback (user_id, related_log_id, rating) VALUES (1, 10, 4)"
        )
        before = connection.execute(CHECKSUM).fetchone()
        months_seeded = connection.execute(
            "SELECT count(DISTINCT date_trunc('month', timestamp AT TIME ZONE 'UTC'))"
            " FROM activity_log"
        ).fetchone()
    command.upgrade(alembic_config(url), "head")
    with psycopg.connect(dsn, autocommit=True) as connection:
        assert connection.execute(CHECKSUM).fetchone() == before
        assert before is not None
        assert before[0] == 3000
        parts = connection.execute(
            "SELECT c.relname, (SELECT count(*) FROM activity_log WHERE tableoid = c.oid)"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'activity_log'::regclass"
        ).fetchall()
        populated = {name for name, count in parts if count}
        assert months_seeded is not None
        assert len(populated) == months_seeded[0]
        assert "activity_log_default" not in populated
        # The id sequence goes on after the copied rows; a new entry lands in this month.
        new_id = connection.execute(
            "INSERT INTO activity_log (user_id, content_type, query_text, target_language,"
            " event) VALUES (1, 'flashcards', 'q', 'es', 'query') RETURNING log_id, tableoid::regclass::text"
        ).fetchone()
        assert new_id is not None
        assert new_id[0] > 3000
        assert new_id[1] == partitions.name(now.date().replace(day=1))
        # Deleting an entry still unlinks the feedback on it (a trigger now).
        connection.execute("DELETE FROM activity_log WHERE log_id = 10")
        assert connection.execute("SELECT related_log_id FROM feedback").fetchone() == (None,)
        # A user's deletion still takes their entries.
        connection.execute("DELETE FROM users WHERE user_id = 2")
        assert connection.execute(
            "SELECT count(*) FROM activity_log WHERE user_id = 2"
        ).fetchone() == (0,)
    command.downgrade(alembic_config(url), "0007")
    with psycopg.connect(dsn, autocommit=True) as connection:
        assert connection.execute("SELECT count(*) FROM pg_partitioned_table").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM activity_log").fetchone() == (1500,)


@pytest.fixture
def postgresql_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own: this test changes the partitions."""
    with throwaway_database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
async def postgresql(postgresql_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    engine = create_engine(postgresql_url)
    yield postgresql_url, engine
    await engine.dispose()


async def test_partitions_are_made_ahead_and_take_what_the_default_held(
    postgresql: tuple[str, AsyncEngine],
) -> None:
    database_url, db = postgresql
    far = date(2031, 5, 1)
    async with db.begin() as connection:
        user_id = (
            await connection.execute(
                text(
                    "INSERT INTO users (username, password_hash) VALUES ('far', 'x')"
                    " RETURNING user_id"
                )
            )
        ).scalar_one()
        await connection.execute(
            insert(ActivityLog),
            [
                {
                    "user_id": user_id,
                    "content_type": "flashcards",
                    "query_text": "q",
                    "target_language": "es",
                    "event": "query",
                    "timestamp": datetime.combine(far, time(12), UTC) + timedelta(days=n),
                }
                for n in range(3)
            ],
        )
    async with db.begin() as connection:
        assert await partitions.ensure(connection, [far]) == [partitions.name(far)]
        held = await connection.execute(
            text(
                "SELECT tableoid::regclass::text, count(*) FROM activity_log"
                " WHERE user_id = :u GROUP BY 1"
            ),
            {"u": user_id},
        )
        assert held.all() == [(partitions.name(far), 3)]
        assert await partitions.ensure(connection, [far]) == []  # there already
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await partitions.ensure(connection)
            months = {partition.month for partition in await partitions.monthly(connection)}
        assert set(partitions.months_ahead()) <= months
    finally:
        await engine.dispose()


async def test_the_retention_archives_older_entries_in_the_background(
    client: httpx.AsyncClient, db: AsyncEngine, tmp_path: Path
) -> None:
    user, headers = await user_with_token(client)
    today = datetime.now(UTC).date()
    async with db.begin() as connection:
        await connection.execute(insert(ActivityLog), seeded_entries(user["user_id"], today))
    before = await progress_answers(client, headers, "UTC")
    task = asyncio.create_task(
        jobs.care_for_activity_log(
            db, retention_days=30, data_dir=tmp_path, first_archive_after_s=0.0
        )
    )
    try:
        for _ in range(200):
            if list((tmp_path / "archive").glob("*.jsonl.gz")):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    (archived,) = (tmp_path / "archive").glob("*.jsonl.gz")
    assert f"before-{today - timedelta(days=30)}" in archived.name
    async with db.connect() as connection:
        oldest = await connection.scalar(
            select(func.min(ActivityLog.timestamp)).where(ActivityLog.user_id == user["user_id"])
        )
    assert oldest >= datetime.combine(today - timedelta(days=30), time(), UTC)
    assert await progress_answers(client, headers, "UTC") == before
