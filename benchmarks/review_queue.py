"""The review queue stays fast on a big collection, and reviews are cheap to post.

1. Seeds 1,000,000 review cards of 10,000 learners (100 each, made 10 at a time as saved sets
   make them, the sets of all learners interleaved; a third new, the rest spread over learning
   and review states, due from 30 days ago to 60 days ahead) and 300,000 review logs, on
   PostgreSQL and on SQLite; then times the queue service for one learner, on a connection
   already in use as in a request after its token check (median and p95; target <= 10 ms
   each), and prints the plan of its main query.
2. Starts `langtutor serve` (one worker, PostgreSQL) and posts ratings through the API from
   50 concurrent clients, against `GET /healthz` from the same clients in the same run:
   reviews per second as a ratio to health checks per second.

    .venv/bin/python -m benchmarks.review_queue [--cards 1000000 --users 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import httpx
from sqlalchemy import text

from benchmarks._harness import database, fake_llm, langtutor_server, pg_available, user_token
from langtutor.db import create_engine, create_sessionmaker
from langtutor.review.service import ReviewSettings, queue

SEED_USERS_PG = """
INSERT INTO users (username, password_hash)
SELECT 'user' || n, 'x' FROM generate_series(1, :users) AS n
"""
SEED_CARDS_PG = """
INSERT INTO review_cards (user_id, source, item_index, front, back, state, step, stability,
                          difficulty, due, last_review, reps, lapses, suspended, created_at)
SELECT 1 + (n / 10) % :users, 'flashcard', n, 'front ' || n, 'back ' || n,
       CASE WHEN n % 10 < 2 THEN 1 ELSE 2 END, CASE WHEN n % 10 < 2 THEN 1 END,
       CASE WHEN n % 3 = 0 THEN NULL ELSE 5.0 END, CASE WHEN n % 3 = 0 THEN NULL ELSE 5.0 END,
       now() + ((n % 90) - 30) * interval '1 day' + (n % 1440) * interval '1 minute',
       CASE WHEN n % 3 = 0 THEN NULL ELSE now() - interval '40 days' END,
       CASE WHEN n % 3 = 0 THEN 0 ELSE 3 END, 0, false, now() - interval '100 days'
FROM generate_series(1, :cards) AS n
"""
SEED_LOGS_PG = """
INSERT INTO review_logs (card_id, user_id, rating, reviewed_at, interval_days, elapsed_days,
                         stability_after, difficulty_after, state_before, due_before,
                         last_review_before)
SELECT 1 + (n * 3 % :cards), 1 + ((n * 3) % :cards / 10) % :users, 1 + n % 4,
       now() - (n % 30) * interval '1 day', 3, 3, 5.0, 5.0, 2, now(),
       CASE WHEN n % 5 = 0 THEN NULL ELSE now() - interval '3 days' END
FROM generate_series(1, :logs) AS n
"""
# SQLite has no generate_series: a recursive count, and its own date arithmetic.
COUNT = (
    "WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < :rows) "
)
SEED_USERS_SQLITE = (
    COUNT
    + """
INSERT INTO users (username, password_hash, review_auto_cards, fsrs_reviews_at_fit)
SELECT 'user' || n, 'x', 1, 0 FROM numbers
"""
)
STAMP = "strftime('%Y-%m-%d %H:%M:%S.000000', :now"
SEED_CARDS_SQLITE = (
    COUNT
    + f"""
INSERT INTO review_cards (user_id, source, item_index, front, back, state, step, stability,
                          difficulty, due, last_review, reps, lapses, suspended, created_at)
SELECT 1 + (n / 10) % :users, 'flashcard', n, 'front ' || n, 'back ' || n,
       CASE WHEN n % 10 < 2 THEN 1 ELSE 2 END, CASE WHEN n % 10 < 2 THEN 1 END,
       CASE WHEN n % 3 = 0 THEN NULL ELSE 5.0 END, CASE WHEN n % 3 = 0 THEN NULL ELSE 5.0 END,
       {STAMP}, ((n % 90) - 30) || ' days', (n % 1440) || ' minutes'),
       CASE WHEN n % 3 = 0 THEN NULL ELSE {STAMP}, '-40 days') END,
       CASE WHEN n % 3 = 0 THEN 0 ELSE 3 END, 0, 0, {STAMP}, '-100 days')
FROM numbers
"""
)
SEED_LOGS_SQLITE = (
    COUNT
    + f"""
INSERT INTO review_logs (card_id, user_id, rating, reviewed_at, interval_days, elapsed_days,
                         stability_after, difficulty_after, state_before, due_before,
                         last_review_before)
SELECT 1 + (n * 3 % :cards), 1 + ((n * 3) % :cards / 10) % :users, 1 + n % 4,
       {STAMP}, '-' || (n % 30) || ' days'), 3, 3, 5.0, 5.0, 2, {STAMP}),
       CASE WHEN n % 5 = 0 THEN NULL ELSE {STAMP}, '-3 days') END
FROM numbers
"""
)
DUE_QUERY = """
SELECT * FROM review_cards
WHERE user_id = :u AND suspended = false AND last_review IS NOT NULL AND state = 2
  AND due < :end ORDER BY due, card_id LIMIT 20
"""


async def seed(url: str, kind: str, cards: int, users: int, logs: int) -> None:
    engine = create_engine(url)
    started = time.perf_counter()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    async with engine.begin() as connection:
        if kind == "postgresql":
            await connection.execute(text(SEED_USERS_PG), {"users": users})
            await connection.execute(text(SEED_CARDS_PG), {"users": users, "cards": cards})
            await connection.execute(
                text(SEED_LOGS_PG), {"users": users, "cards": cards, "logs": logs}
            )
        else:
            await connection.execute(text(SEED_USERS_SQLITE), {"rows": users})
            await connection.execute(
                text(SEED_CARDS_SQLITE), {"rows": cards, "users": users, "now": now}
            )
            await connection.execute(
                text(SEED_LOGS_SQLITE),
                {"rows": logs, "users": users, "cards": cards, "now": now},
            )
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE" if kind == "postgresql" else "ANALYZE"))
    await engine.dispose()
    print(
        f"{kind}: seeded {cards} cards, {logs} logs, {users} learners in "
        f"{time.perf_counter() - started:.0f} s"
    )


async def time_queue(url: str, kind: str, users: int, samples: int) -> tuple[float, float]:
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    settings = ReviewSettings(
        desired_retention=0.9, new_per_day=20, maximum_interval_days=36500, timezone=ZoneInfo("UTC")
    )
    timings = []
    for _ in range(samples):
        user_id = random.randint(1, users)
        async with sessionmaker() as session:
            # A request runs the queue on the connection its token check already holds.
            await session.execute(text("SELECT 1"))
            start = time.perf_counter()
            result = await queue(
                session=session, user_id=user_id, settings=settings, limit=20, now=datetime.now(UTC)
            )
            timings.append(time.perf_counter() - start)
        assert result.cards, "every learner has cards to review"
    explain = "EXPLAIN" if kind == "postgresql" else "EXPLAIN QUERY PLAN"
    async with engine.connect() as connection:
        plan = [
            " | ".join(str(part) for part in row)
            for row in await connection.execute(
                text(f"{explain} {DUE_QUERY}"), {"u": 42, "end": datetime.now(UTC)}
            )
        ]
    await engine.dispose()
    timings.sort()
    median, p95 = statistics.median(timings) * 1000, timings[int(len(timings) * 0.95)] * 1000
    print(
        f"{kind}: queue of one learner, {samples} samples: median {median:.2f} ms, "
        f"p95 {p95:.2f} ms (target <= 10 ms each)"
    )
    print(f"{kind}: plan of the due-cards query:")
    for line in plan:
        print("   ", line)
    assert any("idx_review_cards_user_due" in line for line in plan), "index not used"
    return median, p95


async def hammer(
    url: str, requests: list[tuple[str, str, dict[str, str], str | None]], clients: int
) -> float:
    """Requests per second, `clients` at a time, each request sent once."""
    connector = aiohttp.TCPConnector(limit=0)
    pending = list(requests)
    done = 0

    async with aiohttp.ClientSession(connector=connector) as http:

        async def client() -> None:
            nonlocal done
            while pending:
                method, path, headers, body = pending.pop()
                async with http.request(method, url + path, headers=headers, data=body) as answer:
                    await answer.read()
                    assert answer.status == 200, (path, answer.status, await answer.text())
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return done / (time.perf_counter() - started)


def reviews_per_second(clients: int, sets: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, database("postgresql", Path(tmp)) as url:
        with fake_llm(0.0) as llm_url, langtutor_server(url, llm_url) as (server, _):
            headers = user_token(server, "reviewer", default_target_language="es")
            headers |= {"Content-Type": "application/json"}
            for number in range(sets):
                content = {"cards": [{"front": f"f{number}-{i}", "back": "b"} for i in range(50)]}
                body = {
                    "content_type": "flashcards",
                    "original_query": "q",
                    "content_data": content,
                }
                httpx.post(f"{server}/content/save", json=body, headers=headers, timeout=30)
            # One learner's new cards of the day: the allowance raised for the run.
            httpx.patch(f"{server}/users/me", json={"review_new_per_day": 9999}, headers=headers)
            page = httpx.get(
                f"{server}/review/queue", params={"limit": 200}, headers=headers, timeout=30
            ).json()
            card_ids = [card["card_id"] for card in page["cards"]]
            assert len(card_ids) == min(200, sets * 50), len(card_ids)
            ratings = [
                ("POST", f"/review/{card_id}", headers, json.dumps({"rating": 4, "reps": 0}))
                for card_id in card_ids
            ]
            health = [("GET", "/healthz", {}, None)] * len(ratings)
            baseline = asyncio.run(hammer(server, health, clients))
            rated = asyncio.run(hammer(server, ratings, clients))
            again = asyncio.run(hammer(server, health, clients))
    print(
        f"reviews through the API, one worker, {clients} clients, {len(ratings)} ratings: "
        f"{rated:.0f}/s; GET /healthz {baseline:.0f}/s then {again:.0f}/s"
    )
    print(f"ratio to /healthz: {rated / statistics.mean([baseline, again]):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--logs", type=int, default=300_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if pg_available() else ["sqlite"]
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
            asyncio.run(seed(url, kind, args.cards, args.users, args.logs))
            asyncio.run(time_queue(url, kind, args.users, args.samples))
    if pg_available():
        reviews_per_second(args.clients, sets=4)


if __name__ == "__main__":
    main()
