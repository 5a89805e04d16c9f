"""Reviews given offline come back cheaply.

1. Through `langtutor serve` (one worker) on PostgreSQL and on SQLite: 1,000 reviews of 200
   cards (five each, a second apart at most) sent in one `POST /review/sync`, timed from the
   client on this machine (an upper bound of the server's time; target <= 1 s), against the
   same 1,000 reviews posted one at a time (`POST /review/{card_id}`) in the same run: the
   ratio says what one request saves.
2. In the process, on each database: the replay of a card's 100 reviews (one review older
   than the 99 the card has, so all 100 are applied again in time order; target <= 20 ms),
   against applying one review after the 99 (nothing to replay) on the same card.
Median of 3 runs each.

    .venv/bin/python -m benchmarks.review_sync [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from benchmarks._harness import database, fake_llm, langtutor_server, pg_available, user_token
from langtutor.db import Database, create_engine
from langtutor.review import repository
from langtutor.review.settings import ReviewSettings
from langtutor.review.sync import Step, replay

CARDS, PER_CARD = 200, 5
SETTINGS = ReviewSettings(
    desired_retention=0.9, new_per_day=20, maximum_interval_days=36500, timezone=ZoneInfo("UTC")
)


def new_cards(server: str, headers: dict[str, str], count: int) -> list[int]:
    """`count` new cards of the learner, through the API, made as saved sets of 50 make them."""
    for first in range(0, count, 50):
        cards = [{"front": f"f{n}", "back": f"b{n}"} for n in range(first, min(count, first + 50))]
        body = {
            "content_type": "flashcards",
            "original_query": "q",
            "content_data": {"cards": cards},
        }
        answer = httpx.post(f"{server}/content/save", json=body, headers=headers, timeout=60)
        answer.raise_for_status()
    httpx.patch(f"{server}/users/me", json={"review_new_per_day": 9999}, headers=headers)
    queue = httpx.get(
        f"{server}/review/queue", params={"limit": 200}, headers=headers, timeout=60
    ).json()
    return [card["card_id"] for card in queue["cards"]]


def offline_reviews(card_ids: list[int]) -> list[dict[str, object]]:
    """Five reviews a card, the card's in time order, over the second after its making (the
    server refuses a review dated before its card or in the future)."""
    start = datetime.now(UTC)
    time.sleep(1.1)
    return [
        {
            "client_review_id": str(uuid.uuid4()),
            "card_id": card_id,
            "rating": 1 + (index + turn) % 4,
            "reviewed_at": (start + timedelta(milliseconds=200 * turn + index)).isoformat(),
            "duration_ms": 2000,
        }
        for turn in range(PER_CARD)
        for index, card_id in enumerate(card_ids)
    ]


def through_the_api(kind: str, runs: int) -> tuple[float, float]:
    """Seconds for one sync of 1,000 reviews, and for the same posted one by one (medians)."""
    synced, one_by_one = [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(kind, Path(tmp)) as url,
        fake_llm(0.0) as llm_url,
        langtutor_server(url, llm_url) as (server, _),
        httpx.Client(base_url=server, timeout=120) as client,
    ):
        for run in range(runs):
            headers = user_token(server, f"syncer{run}", default_target_language="es") | {
                "Content-Type": "application/json"
            }
            reviews = offline_reviews(new_cards(server, headers, CARDS))
            started = time.perf_counter()
            answer = client.post("/review/sync", json={"reviews": reviews}, headers=headers)
            synced.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text[:300]
            assert {result["status"] for result in answer.json()["results"]} == {"applied"}

            headers = user_token(server, f"online{run}", default_target_language="es") | {
                "Content-Type": "application/json"
            }
            card_ids = new_cards(server, headers, CARDS)
            started = time.perf_counter()
            for turn in range(PER_CARD):
                for card_id in card_ids:
                    rated = client.post(
                        f"/review/{card_id}", json={"rating": 3, "reps": turn}, headers=headers
                    )
                    assert rated.status_code == 200, rated.text
            one_by_one.append(time.perf_counter() - started)
    return statistics.median(synced), statistics.median(one_by_one)


async def time_replay(url: str, runs: int) -> tuple[float, float]:
    """Seconds to replay a card's 100 reviews, and to apply one after its 99 (medians)."""
    engine = create_engine(url)
    db = Database(engine)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO users (username, password_hash) VALUES ('replayer', 'x')")
        )
        user_id = await connection.scalar(text("SELECT max(user_id) FROM users"))
    replays, appends = [], []
    for _ in range(runs * 5):
        async with engine.begin() as connection:
            card_id = await connection.scalar(
                text(
                    "INSERT INTO review_cards (user_id, source, front, back, state, step, due,"
                    " reps, lapses, suspended, created_at) VALUES (:u, 'flashcard', 'f', 'b',"
                    " 1, 0, :c, 0, 0, false, :c) RETURNING card_id"
                ),
                {"u": user_id, "c": now - timedelta(days=400)},
            )
        steps = [
            Step(now - timedelta(days=300 - 3 * n), 1 + n % 4, 1000, uuid.uuid4())
            for n in range(100)
        ]
        async with db.transaction() as session:
            card = (await repository.cards_by_id(session, user_id=user_id, card_ids={card_id}))[
                card_id
            ]
            await replay(session, card, steps[1:], SETTINGS)
        for target, step in ((replays, steps[0]), (appends, Step(now, 3, 1000, uuid.uuid4()))):
            async with db.transaction() as session:
                cards = await repository.cards_by_id(session, user_id=user_id, card_ids={card_id})
                started = time.perf_counter()
                await replay(session, cards[card_id], [step], SETTINGS)
                await session.flush()
                target.append(time.perf_counter() - started)
                await session.rollback()
    await engine.dispose()
    return statistics.median(replays), statistics.median(appends)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if pg_available() else ["sqlite"]
    for kind in kinds:
        synced, one_by_one = through_the_api(kind, args.runs)
        print(
            f"{kind}: {CARDS * PER_CARD} reviews of {CARDS} cards in one sync: "
            f"{synced * 1000:.0f} ms (target <= 1000); posted one by one: "
            f"{one_by_one * 1000:.0f} ms; ratio {synced / one_by_one:.3f}"
        )
        with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
            replayed, appended = asyncio.run(time_replay(url, args.runs))
        print(
            f"{kind}: replay of a card's 100 reviews: {replayed * 1000:.1f} ms (target <= 20); "
            f"one review after 99: {appended * 1000:.1f} ms; ratio {replayed / appended:.1f}"
        )


if __name__ == "__main__":
    main()
