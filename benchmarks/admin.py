"""The operator's console stays fast on a big server: seeds 100,000 learners, 10,000,000
activity-log entries over the last year (queries, outputs with their model, latency and
quality, errors, answers, studied sets) and a review log a tenth that size on PostgreSQL,
then asks `langtutor serve` (one worker) for the console's figures as an operator:
`GET /admin/stats?days=30`, the usage page `/app/admin/usage?days=30`, `GET /admin/health`,
the health page, and the learner list `GET /admin/users?limit=50` when the server has it.
Prints each one's first (cold: settled days read from the log) time, then the median and p95
of `--samples` requests (target p95 <= 100 ms), and the ratio of each p95 to `GET /healthz`'s
in the same run. Twice: with the open days read again on every request
(`LANGTUTOR_ADMIN_FIGURES_CACHE_S=0`, the worst case), then with the default 60 s.

    .venv/bin/python -m benchmarks.admin [--rows 10000000 --users 100000 --samples 200]

On a 2-core machine seeding 10,000,000 rows takes a while: `--rows` scales it down (the
output says what was seeded).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from benchmarks._harness import database, fake_llm, langtutor_server, user_token
from langtutor.db import create_engine

SEED_USERS = """
INSERT INTO users (username, password_hash)
SELECT 'learner' || n, 'x' FROM generate_series(1, :users) AS n
"""
# Spread over the last 365 days: 4 in 10 queries, 35 in 100 outputs, 5 errors, 15 answers,
# 5 studied sets. Outputs carry a small content (a real one is a few kilobytes).
SEED_ACTIVITY = """
INSERT INTO activity_log (user_id, timestamp, content_type, query_text, target_language,
                          base_language, event, generation_id, response_metadata, score)
SELECT 1 + (n::bigint * 7919) % :users,
       now() - (random() * interval '365 days'),
       (ARRAY['flashcards', 'exercises', 'simulation'])[1 + n % 3],
       'topic ' || (n % 50),
       (ARRAY['es', 'fr', 'de', 'it'])[1 + n % 4],
       'en',
       CASE WHEN n % 100 < 40 THEN 'query' WHEN n % 100 < 75 THEN 'output'
            WHEN n % 100 < 80 THEN 'error' WHEN n % 100 < 95 THEN 'answer' ELSE 'study' END,
       md5(n::text)::uuid,
       CASE
         WHEN n % 100 BETWEEN 40 AND 74 THEN json_build_object(
           'provider', 'openai', 'model', (ARRAY['gpt-a', 'llama-b'])[1 + n % 2],
           'latency_ms', 300 + (random() * 8000)::int, 'attempts', 1 + (n % 13 = 0)::int,
           'prompt_version', 'p1', 'quality', json_build_object('language_mismatch', n % 29 = 0),
           'content', json_build_object('cards', json_build_array(
             json_build_object('front', 'la tapa ' || n, 'back', 'the snack', 'example',
                               'Pedimos unas tapas en el bar de la esquina.'))))
         WHEN n % 100 BETWEEN 75 AND 79 THEN json_build_object(
           'provider', 'openai', 'model', (ARRAY['gpt-a', 'llama-b'])[1 + n % 2],
           'latency_ms', 100 + (random() * 30000)::int, 'prompt_version', 'p1',
           'error', (ARRAY['rate_limited', 'timeout', 'wrong_language'])[1 + n % 3])
       END,
       CASE WHEN n % 100 BETWEEN 80 AND 94 THEN (n % 3) / 2.0 END
FROM generate_series(1, :rows) AS n
"""
SEED_CARDS = """
INSERT INTO review_cards (user_id, source, front, back, state, step, due, reps, lapses,
                          suspended, created_at)
SELECT n, 'flashcard', 'la tapa', 'the snack', 2, 0, now(), 1, 0, false, now()
FROM generate_series(1, :users) AS n
"""
SEED_REVIEWS = """
INSERT INTO review_logs (card_id, user_id, rating, reviewed_at, interval_days, elapsed_days,
                         stability_after, difficulty_after, state_before, due_before)
SELECT c, c, 3, now() - (random() * interval '365 days'), 3, 1, 3.0, 5.0, 2, now()
FROM (SELECT 1 + (n::bigint * 7919) % :users AS c FROM generate_series(1, :reviews) AS n) AS r
"""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROUTES = [
    ("GET /admin/stats?days=30", "/admin/stats?days=30"),
    ("page /app/admin/usage?days=30", "/app/admin/usage?days=30"),
    ("GET /admin/health", "/admin/health"),
    ("page /app/admin/health", "/app/admin/health"),
    ("GET /admin/users?limit=50", "/admin/users?limit=50"),
]


async def seed(url: str, rows: int, users: int) -> None:
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        async with engine.begin() as connection:
            await connection.execute(text(SEED_USERS), {"users": users})
            await connection.execute(text(SEED_ACTIVITY), {"users": users, "rows": rows})
            await connection.execute(text(SEED_CARDS), {"users": users})
            await connection.execute(text(SEED_REVIEWS), {"users": users, "reviews": rows // 10})
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE users SET is_admin = true WHERE username = 'operator'")
            )
    finally:
        await engine.dispose()
    print(
        f"seeded {users:,} learners, {rows:,} activity-log entries and {rows // 10:,} reviews "
        f"over 365 days in {time.perf_counter() - started:.0f} s"
    )


def operator(url: str) -> httpx.Client:
    """The operator's browser: a bearer token for the API and the session cookie for pages."""
    client = httpx.Client(base_url=url, timeout=120, headers={"Origin": url})
    login = client.get("/app/login")
    token = CSRF.search(login.text)
    assert token, "no CSRF token on the login page"
    form = {"username": "operator", "password": "benchmark password", "csrf_token": token[1]}
    assert client.post("/app/login", data=form).status_code == 303, "login refused"
    return client


def token(url: str) -> dict[str, str]:
    form = {"username": "operator", "password": "benchmark password"}
    answer = httpx.post(f"{url}/auth/token", data=form, timeout=30)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def timed(client: httpx.Client, path: str, headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    answer = client.get(path, headers=headers)
    return time.perf_counter() - started, answer.status_code


def measure(url: str, bearer: dict[str, str], samples: int) -> None:
    client = operator(url)
    health_times = [timed(client, "/healthz", {})[0] for _ in range(samples)]
    baseline = statistics.quantiles(health_times, n=20)[-1] * 1000
    print(f"  GET /healthz: p95 {baseline:.2f} ms (the baseline)")
    for name, path in ROUTES:
        headers = {} if path.startswith("/app/") else bearer
        cold, status = timed(client, path, headers)
        if status == 404:
            print(f"  {name}: not on this server (404), skipped")
            continue
        assert status == 200, (name, status)
        times = [timed(client, path, headers)[0] * 1000 for _ in range(samples)]
        p95 = statistics.quantiles(times, n=20)[-1]
        verdict = "ok" if p95 <= 100 else "OVER"
        print(
            f"  {name}: first {cold * 1000:.0f} ms; median {statistics.median(times):.1f} ms, "
            f"p95 {p95:.1f} ms (target <= 100 ms: {verdict}); {p95 / baseline:.1f}x /healthz"
        )
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as workdir,
        database("postgresql", Path(workdir)) as database_url,
        fake_llm(0.0) as llm_url,
    ):
        with langtutor_server(database_url, llm_url) as (url, _process):
            user_token(url, "operator")
        asyncio.run(seed(database_url, args.rows, args.users))
        print(f"PostgreSQL, one worker; {args.samples} requests each after the first")
        for cache_s in ("0", "60"):
            with langtutor_server(database_url, llm_url, ADMIN_FIGURES_CACHE_S=cache_s) as (
                url,
                _process,
            ):
                bearer = token(url)
                print(f"LANGTUTOR_ADMIN_FIGURES_CACHE_S={cache_s}:")
                measure(url, bearer, args.samples)


if __name__ == "__main__":
    main()
