"""How much the batch logger saves: 20,000 activity-log entries written to PostgreSQL three
ways in one run: one INSERT and commit per entry, `buffered_log_query` (batches of 100), and
one raw COPY of the same rows; the batch logger with its spool (the default) and without.
Prints entries per second for each, the ratios
buffered/per-entry (target >= 20) and buffered/COPY (target >= 0.3), and the statements
issued per 1,000 entries by the batch logger (target <= 11).

    .venv/bin/python -m benchmarks.log_ingest [--entries 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from benchmarks._harness import database
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.activity.models import ActivityLog
from langtutor.activity.spool import Spool
from langtutor.db import create_engine

COLUMNS = (
    "user_id, timestamp, content_type, query_text, target_language, base_language,"
    " request_metadata, response_metadata, generation_id, event"
)


STATEMENT_COUNTER = [
    "CREATE TABLE bench_statements (n integer NOT NULL)",
    "INSERT INTO bench_statements VALUES (0)",
    "CREATE FUNCTION bench_count() RETURNS trigger LANGUAGE plpgsql AS"
    " $$ BEGIN UPDATE bench_statements SET n = n + 1; RETURN NULL; END $$",
    "CREATE TRIGGER bench_count AFTER INSERT ON activity_log"
    " FOR EACH STATEMENT EXECUTE FUNCTION bench_count()",
]


def entries(user_id: int, count: int) -> list[LogEntry]:
    return [
        LogEntry(
            user_id=user_id,
            content_type="flashcards",
            query_text=f"ordering tapas in a bar {n}",
            target_language="es",
            base_language="en",
            event="output" if n % 2 else "query",
            generation_id=uuid.uuid4(),
            request_metadata={"count": 10, "level": "A2"},
            response_metadata={"provider": "openai", "model": "m", "latency_ms": 900},
        )
        for n in range(count)
    ]


async def run(url: str, count: int) -> dict[str, Any]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        user_id = (
            await connection.execute(
                text(
                    "INSERT INTO users (username, password_hash)"
                    " VALUES ('bench', 'x') RETURNING user_id"
                )
            )
        ).scalar_one()

    async def clear() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE activity_log CASCADE"))

    # 1. One INSERT and one commit per entry.
    rows = entries(user_id, count)
    start = time.perf_counter()
    for entry in rows:
        async with engine.begin() as connection:
            await connection.execute(insert(ActivityLog).values(entry.row()))
    per_entry = count / (time.perf_counter() - start)
    await clear()

    # 2. The batch logger. PostgreSQL itself counts the statements that write the table: a
    # statement-level trigger fires once per INSERT or COPY, however many rows it carries.
    # Twice: with the spool (each entry also appended to a file, the default) and without.
    async with engine.begin() as connection:
        for ddl in STATEMENT_COUNTER:
            await connection.execute(text(ddl))

    async def buffered_run(spool: Spool | None) -> tuple[float, int]:
        logger = BatchLogger(engine, batch_size=100, flush_interval_s=3600, spool=spool)
        await logger.start()
        rows = entries(user_id, count)
        start = time.perf_counter()
        for entry in rows:
            await logger.buffered_log_query(entry)
        await logger.flush()
        rate = count / (time.perf_counter() - start)
        await logger.stop()
        async with engine.begin() as connection:
            written = (
                await connection.execute(text("SELECT count(*) FROM activity_log"))
            ).scalar_one()
            statements = (
                await connection.execute(text("SELECT n FROM bench_statements"))
            ).scalar_one()
            await connection.execute(text("UPDATE bench_statements SET n = 0"))
        assert written == count, written
        await clear()
        return rate, statements

    with tempfile.TemporaryDirectory() as folder:
        buffered, statements = await buffered_run(Spool(Path(folder)))
    buffered_no_spool, _ = await buffered_run(None)
    async with engine.begin() as connection:
        await connection.execute(text("DROP TRIGGER bench_count ON activity_log"))

    # 3. One raw COPY of the same rows (the floor any writer could reach).
    rows = entries(user_id, count)
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        start = time.perf_counter()
        async with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY activity_log ({COLUMNS}) FROM STDIN") as copy,
        ):
            for entry in rows:
                row = entry.row()
                await copy.write_row(
                    [
                        row["user_id"],
                        row["timestamp"],
                        row["content_type"],
                        row["query_text"],
                        row["target_language"],
                        row["base_language"],
                        json.dumps(row["request_metadata"]),
                        json.dumps(row["response_metadata"]),
                        row["generation_id"],
                        row["event"],
                    ]
                )
        await raw.commit()
        copy_rate = count / (time.perf_counter() - start)
    await engine.dispose()
    return {
        "per_entry": per_entry,
        "buffered": buffered,
        "buffered_no_spool": buffered_no_spool,
        "copy": copy_rate,
        "statements_per_1000": statements / count * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database("postgresql", Path(tmp)) as url:
        result = asyncio.run(run(url, args.entries))
    print(f"PostgreSQL, {args.entries} entries each way")
    print(f"one INSERT + commit per entry: {result['per_entry']:9.0f} entries/s")
    print(f"buffered_log_query (batch 100): {result['buffered']:9.0f} entries/s (spool on)")
    print(f"  the same without the spool:   {result['buffered_no_spool']:9.0f} entries/s")
    print(f"raw COPY:                       {result['copy']:9.0f} entries/s")
    print(
        f"ratio buffered / per-entry: {result['buffered'] / result['per_entry']:.1f} (target >= 20)"
    )
    print(f"ratio buffered / COPY:      {result['buffered'] / result['copy']:.2f} (target >= 0.3)")
    without = result["buffered_no_spool"]
    print(
        f"without the spool: {without / result['per_entry']:.1f} and {without / result['copy']:.2f}"
    )
    print(f"statements per 1,000 entries: {result['statements_per_1000']:.1f} (target <= 11)")


if __name__ == "__main__":
    main()
