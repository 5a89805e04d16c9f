"""The quality report stays quick on a big activity log: seeds 1,000,000 activity rows
(queries, outputs with their quality, errors; 3 content types × 4 languages × 2 models × 2
prompt versions) and 20,000 feedback rows on PostgreSQL, then prints the median time of the
report over 5 runs (target <= 2 s) and as a ratio to one `count(*)` over the table.

    .venv/bin/python -m benchmarks.quality_report [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks._harness import database
from langtutor.db import create_engine, create_sessionmaker
from langtutor.reports import quality_report

SEED_USERS = """
INSERT INTO users (username, password_hash)
SELECT 'user' || n, 'x' FROM generate_series(1, 1000) AS n
"""
# Every row a generation's entry: half queries, 4 in 10 outputs, 1 in 10 errors.
SEED_ACTIVITY = """
INSERT INTO activity_log (user_id, timestamp, content_type, query_text, target_language,
                          base_language, event, generation_id, response_metadata)
SELECT 1 + n % 1000,
       now() - (random() * interval '90 days'),
       (ARRAY['flashcards', 'exercises', 'simulation'])[1 + n % 3],
       'topic ' || (n % 50),
       (ARRAY['es', 'fr', 'de', 'it'])[1 + n % 4],
       'en',
       CASE WHEN n % 10 < 5 THEN 'query' WHEN n % 10 < 9 THEN 'output' ELSE 'error' END,
       md5(n::text)::uuid,
       CASE
         WHEN n % 10 < 5 THEN NULL
         WHEN n % 10 < 9 THEN json_build_object(
           'model', (ARRAY['gpt-a', 'llama-b'])[1 + n % 2],
           'prompt_version', (ARRAY['p1', 'p2'])[1 + (n / 7) % 2],
           'attempts', 1 + (n % 13 = 0)::int,
           'quality', json_build_object('language_mismatch', n % 29 = 0))
         ELSE json_build_object(
           'model', (ARRAY['gpt-a', 'llama-b'])[1 + n % 2],
           'prompt_version', (ARRAY['p1', 'p2'])[1 + (n / 7) % 2],
           'error', (ARRAY['invalid_output', 'timeout', 'wrong_language'])[1 + n % 3])
       END
FROM generate_series(1, :rows) AS n
"""
# Feedback on outputs: ratings 1–5, a tenth of them thumbs down with a comment.
SEED_FEEDBACK = """
INSERT INTO feedback (user_id, timestamp, generation_id, rating, feedback_text, context_details)
SELECT 1 + n % 1000, now() - (random() * interval '60 days'), md5((n * 10 + 5)::text)::uuid,
       CASE WHEN n % 10 = 0 THEN NULL ELSE 1 + n % 5 END,
       CASE WHEN n % 10 = 0 THEN 'card ' || n || ' is wrong' END,
       CASE WHEN n % 10 = 0 THEN json_build_object('item_index', 0, 'thumb', 'down') END
FROM generate_series(1, :feedback) AS n
"""


async def measure(url: str, rows: int) -> tuple[list[float], list[float], int]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(SEED_USERS))
            await connection.execute(text(SEED_ACTIVITY), {"rows": rows})
            await connection.execute(text(SEED_FEEDBACK), {"feedback": rows // 50})
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
        sessions = create_sessionmaker(engine)
        report_times, count_times = [], []
        groups = 0
        for _ in range(5):
            started = time.perf_counter()
            groups = len(await quality_report(sessions))
            report_times.append(time.perf_counter() - started)
            async with sessions() as session:
                started = time.perf_counter()
                await session.execute(text("SELECT count(*) FROM activity_log"))
                count_times.append(time.perf_counter() - started)
        return report_times, count_times, groups
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, database("postgresql", Path(workdir)) as url:
        report_times, count_times, groups = asyncio.run(measure(url, args.rows))
    report, count = statistics.median(report_times), statistics.median(count_times)
    print(f"PostgreSQL, {args.rows:,} activity rows, {args.rows // 50:,} feedback rows")
    print(f"quality report ({groups} groups): median {report:.3f} s over 5 runs (target <= 2 s)")
    print(f"count(*) over activity_log: median {count:.3f} s; the report is {report / count:.1f}x")


if __name__ == "__main__":
    main()
