"""`/progress` stays fast on a big activity log: seeds 1,000,000 activity rows for 10,000 users
on PostgreSQL, then prints the median time of the progress service for one user (target
<= 50 ms), the same figure relative to a baseline point query on the same table, and the
plan of its main query, which must use an index of the user's entries by time ((user_id,
timestamp DESC), or (user_id, event, timestamp DESC); on PostgreSQL's partitioned table, that
index's copy on a partition).

    .venv/bin/python -m benchmarks.progress_query [--rows 1000000 --users 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from benchmarks._harness import database
from langtutor.activity.logger import BatchLogger
from langtutor.db import create_engine, create_sessionmaker
from langtutor.progress import progress_report

SEED_USERS = """
INSERT INTO users (username, password_hash)
SELECT 'user' || n, 'x' FROM generate_series(1, :users) AS n
"""
# Rows spread over the last 90 days; half query, half output entries, three content types.
SEED_ACTIVITY = """
INSERT INTO activity_log (user_id, timestamp, content_type, query_text, target_language,
                          base_language, event, generation_id)
SELECT 1 + (n % :users),
       now() - (random() * interval '90 days'),
       (ARRAY['flashcards', 'exercises', 'simulation'])[1 + n % 3],
       'topic ' || (n % 50),
       (ARRAY['es', 'fr', 'de', 'it'])[1 + n % 4],
       'en',
       CASE WHEN (n / :users) % 2 = 0 THEN 'query' ELSE 'output' END,
       gen_random_uuid()
FROM generate_series(1, :rows) AS n
"""
MAIN_QUERY = """
EXPLAIN SELECT timestamp, content_type, query_text, target_language FROM activity_log
WHERE user_id = :u AND timestamp >= now() - interval '366 days' AND event = 'output'
"""

# The indexes that serve it: on (user_id, timestamp DESC), or (user_id, event, timestamp DESC).
INDEX_AND_ITS_PARTITIONS = """
SELECT unnest(ARRAY['idx_activity_log_user_timestamp', 'idx_activity_log_user_event_timestamp'])
UNION SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent IN (
    to_regclass('idx_activity_log_user_timestamp'),
    to_regclass('idx_activity_log_user_event_timestamp')
)
"""


async def run(url: str, rows: int, users: int, samples: int) -> None:
    engine = create_engine(url)
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(text(SEED_USERS), {"users": users})
        await connection.execute(text(SEED_ACTIVITY), {"users": users, "rows": rows})
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE activity_log"))
    print(f"seeded {rows} rows for {users} users in {time.perf_counter() - started:.0f} s")

    sessionmaker = create_sessionmaker(engine)
    activity = BatchLogger(engine)  # nothing buffered: its flush is what a request pays
    zone = ZoneInfo("UTC")
    timings, baseline = [], []
    for _ in range(samples):
        user_id = random.randint(1, users)
        async with sessionmaker() as session:
            start = time.perf_counter()
            result = await progress_report(
                session=session, activity=activity, user_id=user_id, days=30, tz=zone
            )
            timings.append(time.perf_counter() - start)
            start = time.perf_counter()
            await session.execute(
                text("SELECT log_id FROM activity_log WHERE log_id = :id"), {"id": user_id}
            )
            baseline.append(time.perf_counter() - start)
        assert sum(result.all_time_totals.values()) > 0
    async with engine.connect() as connection:
        plan = [row[0] for row in await connection.execute(text(MAIN_QUERY), {"u": 42})]
        # The table is partitioned by month: each partition has its copy of the index.
        indexes = set(await connection.scalars(text(INDEX_AND_ITS_PARTITIONS)))
    await engine.dispose()

    median_ms = statistics.median(timings) * 1000
    baseline_ms = statistics.median(baseline) * 1000
    print(
        f"progress service, one user, {samples} samples: median {median_ms:.1f} ms "
        f"(p90 {sorted(timings)[int(samples * 0.9)] * 1000:.1f} ms; target <= 50 ms)"
    )
    ratio = median_ms / baseline_ms
    print(f"baseline primary-key lookup: median {baseline_ms:.2f} ms; ratio {ratio:.0f}x")
    print("plan of the main query:")
    for line in plan:
        print("   ", line)
    assert any(name in line for line in plan for name in indexes), "index not used"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database("postgresql", Path(tmp)) as url:
        asyncio.run(run(url, args.rows, args.users, args.samples))


if __name__ == "__main__":
    main()
