"""A class's teacher's view stays fast for a big class: seeds, on PostgreSQL, a class of 300
learners with a year of activity each (activity-log entries and reviews every day, 10 sets
assigned with copies, most of them gone through), then asks `langtutor serve` (one worker) as
the teacher for `GET /classes/{id}/progress` and the class's page `/app/classes/{id}`: the
first (cold) time, then the median and p95 of `--samples` requests each (target p95 <= 150
ms), and each p95's ratio to `GET /healthz`'s in the same run.

    .venv/bin/python -m benchmarks.classes [--members 300 --days 365 --samples 100]
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

MEMBERS = "SELECT user_id FROM users WHERE username LIKE 'member%'"
SEED = [
    """INSERT INTO users (username, password_hash)
       SELECT 'member' || n, 'x' FROM generate_series(1, :members) AS n""",
    """INSERT INTO classes (teacher_id, name, join_code, created_at)
       SELECT user_id, 'Benchmark class', 'BENCHMARK2', now() FROM users
       WHERE username = 'teacher'""",
    f"""INSERT INTO class_members (class_id, user_id, review_cards, joined_at)
        SELECT (SELECT max(class_id) FROM classes), user_id, true, now() - interval '400 days'
        FROM ({MEMBERS}) AS m""",
    """INSERT INTO saved_content (user_id, content_type, original_query, content_data,
                                  saved_at, user_label)
       SELECT user_id, 'flashcards', 'market', '{"cards": []}', now(), 'Market'
       FROM users WHERE username = 'teacher'""",
    """INSERT INTO class_assignments (class_id, saved_content_id, title, content_type,
                                      due_date, assigned_at)
       SELECT (SELECT max(class_id) FROM classes),
              (SELECT max(saved_content_id) FROM saved_content), 'Set ' || a, 'flashcards',
              current_date - a * 7, now() - a * interval '10 days'
       FROM generate_series(1, :assignments) AS a""",
    f"""INSERT INTO saved_content (user_id, content_type, original_query, content_data,
                                   saved_at, user_label, shared_by, finished_at)
        SELECT m.user_id, 'flashcards', 'market', '{{"cards": []}}', now(),
               'Set ' || a.assignment_id, 'teacher',
               CASE WHEN random() < 0.7 THEN now() - random() * interval '60 days' END
        FROM ({MEMBERS}) AS m CROSS JOIN class_assignments AS a""",
    """INSERT INTO assignment_copies (assignment_id, user_id, saved_content_id)
       SELECT a.assignment_id, s.user_id, s.saved_content_id
       FROM saved_content AS s JOIN class_assignments AS a
         ON s.user_label = 'Set ' || a.assignment_id
       WHERE s.shared_by = 'teacher'""",
    f"""INSERT INTO activity_log (user_id, timestamp, content_type, query_text,
                                  target_language, base_language, event, generation_id, score)
        SELECT m.user_id,
               now() - d * interval '1 day' - k * interval '37 minutes',
               'flashcards', 'topic ' || k, 'es', 'en',
               (ARRAY['query', 'output', 'answer', 'study'])[1 + k % 4],
               gen_random_uuid(), CASE WHEN k % 4 = 2 THEN 0.5 END
        FROM ({MEMBERS}) AS m, generate_series(0, :days - 1) AS d,
             generate_series(0, :entries - 1) AS k
        WHERE random() < 0.8""",
    f"""INSERT INTO review_cards (user_id, source, front, back, state, step, due, reps,
                                  lapses, suspended, created_at)
        SELECT user_id, 'flashcard', 'la tapa', 'the snack', 2, 0, now(), 1, 0, false, now()
        FROM ({MEMBERS}) AS m""",
    """INSERT INTO review_logs (card_id, user_id, rating, reviewed_at, interval_days,
                                elapsed_days, stability_after, difficulty_after, state_before,
                                due_before)
       SELECT c.card_id, c.user_id, 1 + (r % 4), now() - d * interval '1 day'
              - r * interval '11 minutes', 3, 1, 3.0, 5.0, 2, now()
       FROM review_cards AS c, generate_series(0, :days - 1) AS d,
            generate_series(0, :reviews - 1) AS r""",
]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def seed(url: str, values: dict[str, int]) -> int:
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        async with engine.begin() as connection:
            for statement in SEED:
                await connection.execute(text(statement), values)
            class_id = int(await connection.scalar(text("SELECT max(class_id) FROM classes")))
            entries = await connection.scalar(text("SELECT count(*) FROM activity_log"))
            reviews = await connection.scalar(text("SELECT count(*) FROM review_logs"))
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    print(
        f"seeded a class of {values['members']:,} learners over {values['days']} days: "
        f"{entries:,} activity-log entries, {reviews:,} reviews, {values['assignments']} "
        f"assignments copied to each, in {time.perf_counter() - started:.0f} s"
    )
    return class_id


def teacher_browser(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120, headers={"Origin": url})
    token = CSRF.search(client.get("/app/login").text)
    assert token, "no CSRF token on the login page"
    form = {"username": "teacher", "password": "benchmark password", "csrf_token": token[1]}
    assert client.post("/app/login", data=form).status_code == 303, "login refused"
    return client


def timed(client: httpx.Client, path: str, headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    answer = client.get(path, headers=headers)
    return (time.perf_counter() - started) * 1000, answer.status_code


def measure(url: str, bearer: dict[str, str], class_id: int, samples: int) -> None:
    client = teacher_browser(url)
    health = [timed(client, "/healthz", {})[0] for _ in range(samples)]
    baseline = statistics.quantiles(health, n=20)[-1]
    print(f"  GET /healthz: median {statistics.median(health):.2f} ms, p95 {baseline:.2f} ms")
    for name, path, headers in (
        ("GET /classes/{id}/progress", f"/classes/{class_id}/progress", bearer),
        ("page /app/classes/{id}", f"/app/classes/{class_id}", {}),
    ):
        cold, status = timed(client, path, headers)
        assert status == 200, (name, status)
        times = [timed(client, path, headers)[0] for _ in range(samples)]
        p95 = statistics.quantiles(times, n=20)[-1]
        verdict = "ok" if p95 <= 150 else "OVER"
        print(
            f"  {name}: first {cold:.0f} ms; median {statistics.median(times):.1f} ms, "
            f"p95 {p95:.1f} ms (target <= 150 ms: {verdict}); {p95 / baseline:.1f}x /healthz"
        )
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--entries", type=int, default=6, help="activity entries a day")
    parser.add_argument("--reviews", type=int, default=10, help="reviews a day")
    parser.add_argument("--assignments", type=int, default=10)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    values = {
        "members": args.members,
        "days": args.days,
        "entries": args.entries,
        "reviews": args.reviews,
        "assignments": args.assignments,
    }
    with (
        tempfile.TemporaryDirectory() as workdir,
        database("postgresql", Path(workdir)) as database_url,
        fake_llm(0.0) as llm_url,
    ):
        with langtutor_server(database_url, llm_url) as (url, _process):
            user_token(url, "teacher")
        class_id = asyncio.run(seed(database_url, values))
        print(f"PostgreSQL, one worker; {args.samples} requests each after the first")
        with langtutor_server(database_url, llm_url) as (url, _process):
            answer = httpx.post(
                f"{url}/auth/token",
                data={"username": "teacher", "password": "benchmark password"},
                timeout=30,
            )
            answer.raise_for_status()
            bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            measure(url, bearer, class_id, args.samples)


if __name__ == "__main__":
    main()
