"""Review offline, then sync, through the real HTTP app and database: the device's copy, each
review kept once, a card reviewed on two devices as the replay of both reviews in time order,
and every kind of bad input answered per review or per request without losing the good ones."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import Clock
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM


def review(card_id: int, rating: int, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "client_review_id": str(uuid.uuid4()),
        "card_id": card_id,
        "rating": rating,
        "reviewed_at": at.isoformat(),
        "duration_ms": 1500,
    } | fields


async def learner_with_cards(
    client: httpx.AsyncClient, clock: Clock, count: int = 5
) -> tuple[dict[str, str], list[int]]:
    """A learner with `count` new cards, the clock a minute after they were made."""
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, count)
    clock.now = datetime.now(UTC) + timedelta(minutes=1)
    queue = (await client.get("/review/queue", headers=headers)).json()
    return headers, [card["card_id"] for card in queue["cards"]]


async def log_rows(db: AsyncEngine, card_id: int) -> list[Any]:
    async with db.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT rating, reviewed_at, client_review_id FROM review_logs "
                "WHERE card_id = :card_id ORDER BY reviewed_at"
            ),
            {"card_id": card_id},
        )
        return list(rows)


async def test_the_copy_holds_the_days_cards_with_their_intervals(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    headers, card_ids = await learner_with_cards(client, clock, 3)
    other, _ = await learner_with_cards(client, clock, 2)
    copy = (await client.get("/review/offline", headers=headers)).json()
    assert [card["card_id"] for card in copy["cards"]] == card_ids
    first = copy["cards"][0]
    assert set(first["intervals"]) == {"1", "2", "3", "4"}
    assert 0 < first["intervals"]["1"] < first["intervals"]["3"] < first["intervals"]["4"]
    assert first["front"] == "la palabra 1"
    # Reviewed today and due in two days: in a 3-day copy, not in a 1-day one.
    await client.post(f"/review/{card_ids[0]}", headers=headers, json={"rating": 4})
    due = datetime.fromisoformat(
        (await client.get(f"/review/cards/{card_ids[0]}", headers=headers)).json()["due"]
    )
    days = (due - clock.now).days + 1
    ahead = (await client.get(f"/review/offline?days={days}", headers=headers)).json()
    assert card_ids[0] in [card["card_id"] for card in ahead["cards"]]
    today = (await client.get("/review/offline?days=1", headers=headers)).json()
    assert (card_ids[0] in [card["card_id"] for card in today["cards"]]) == (days <= 1)
    # Limits are named; another learner's copy holds their cards only.
    assert (await client.get("/review/offline?limit=501", headers=headers)).status_code == 422
    assert (await client.get("/review/offline?days=0", headers=headers)).status_code == 422
    theirs = (await client.get("/review/offline", headers=other)).json()
    assert not set(card_ids) & {card["card_id"] for card in theirs["cards"]}


async def test_reviews_are_kept_once_and_a_second_sync_changes_nothing(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine
) -> None:
    headers, card_ids = await learner_with_cards(client, clock, 5)
    start = clock.now
    reviews = [
        review(card_ids[n % 5], 1 if n == 2 else 3, start + timedelta(minutes=n)) for n in range(10)
    ]
    clock.now = start + timedelta(minutes=30)
    first = await client.post("/review/sync", headers=headers, json={"reviews": reviews})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [result["status"] for result in body["results"]] == ["applied"] * 10
    assert [result["client_review_id"] for result in body["results"]] == [
        r["client_review_id"] for r in reviews
    ]
    assert {card["card_id"] for card in body["cards"]} == set(card_ids)
    assert {card["card_id"]: card["reps"] for card in body["cards"]} == dict.fromkeys(card_ids, 2)
    before = [await log_rows(db, card_id) for card_id in card_ids]
    assert sum(len(rows) for rows in before) == 10

    again = (await client.post("/review/sync", headers=headers, json={"reviews": reviews})).json()
    assert [result["status"] for result in again["results"]] == ["duplicate"] * 10
    assert again["cards"] == []
    assert [await log_rows(db, card_id) for card_id in card_ids] == before
    # The same review twice in one send is kept once too.
    twice = review(card_ids[0], 3, start + timedelta(minutes=20))
    body = (
        await client.post("/review/sync", headers=headers, json={"reviews": [twice, twice]})
    ).json()
    assert [result["status"] for result in body["results"]] == ["applied", "duplicate"]
    assert len(await log_rows(db, card_ids[0])) == 3


async def test_two_devices_both_reviews_kept_the_card_as_their_replay(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine
) -> None:
    """One device graded the card Good at 10:00 and sent it; the other graded it Again at
    9:00, offline, and sends it after: the card is Again then Good, as FSRS replays them."""
    headers, card_ids = await learner_with_cards(client, clock, 1)
    card_id = card_ids[0]
    start = clock.now
    early, late = start + timedelta(hours=1), start + timedelta(hours=2)
    clock.now = start + timedelta(hours=3)
    later = review(card_id, 3, late)
    assert (
        await client.post("/review/sync", headers=headers, json={"reviews": [later]})
    ).status_code == 200
    earlier = review(card_id, 1, early)
    body = (await client.post("/review/sync", headers=headers, json={"reviews": [earlier]})).json()
    assert body["results"][0]["status"] == "applied"
    card = body["cards"][0]

    scheduler = Scheduler(enable_fuzzing=False)
    expected = Card(card_id=card_id, due=start)
    expected, _ = scheduler.review_card(expected, Rating.Again, early, 1500)
    expected, _ = scheduler.review_card(expected, Rating.Good, late, 1500)
    assert card["reps"] == 2
    assert datetime.fromisoformat(card["last_review"]) == late
    assert card["stability"] == expected.stability
    assert card["difficulty"] == expected.difficulty
    assert (
        card["state"]
        == {State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}[
            expected.state
        ]
    )
    assert datetime.fromisoformat(card["due"]) == expected.due  # intervals this short have no fuzz
    assert [row.rating for row in await log_rows(db, card_id)] == [1, 3]  # in time order
    # Undo takes back the latest answer (9:00's Again stays), as the replay has it.
    undone = (await client.post("/review/undo", headers=headers)).json()
    assert undone["reps"] == 1
    assert datetime.fromisoformat(undone["last_review"]) == early


async def test_bad_reviews_are_rejected_with_their_reason_and_the_good_ones_kept(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine
) -> None:
    headers, card_ids = await learner_with_cards(client, clock, 3)
    other, their_cards = await learner_with_cards(client, clock, 1)
    deleted = card_ids[2]
    assert (await client.delete(f"/review/cards/{deleted}", headers=headers)).status_code == 204
    now = clock.now
    sent = {
        "good": review(card_ids[0], 3, now - timedelta(seconds=30)),
        "rating 0": review(card_ids[1], 0, now),
        "rating 5": review(card_ids[1], 5, now),
        "future": review(card_ids[1], 3, now + timedelta(hours=1)),
        "before the card": review(card_ids[1], 3, now - timedelta(days=30)),
        "deleted": review(deleted, 3, now),
        "not yours": review(their_cards[0], 3, now),
        "no such card": review(2_147_483_647, 3, now),
        "too big an id": review(2**40, 3, now),
        "no offset": review(card_ids[1], 3, now.replace(tzinfo=None)),
        "a week long": review(card_ids[1], 3, now, duration_ms=7 * 86_400_000),
        "also good": review(card_ids[1], 4, now - timedelta(seconds=10)),
    }
    answer = await client.post(
        "/review/sync", headers=headers, json={"reviews": list(sent.values())}
    )
    assert answer.status_code == 200, answer.text
    results = dict(zip(sent, answer.json()["results"], strict=True))
    assert {name for name, result in results.items() if result["status"] == "applied"} == {
        "good",
        "also good",
    }
    reasons = {name: result["reason"] for name, result in results.items() if result["reason"]}
    assert "rating must be 1 (Again)" in reasons["rating 0"]
    assert "rating must be 1 (Again)" in reasons["rating 5"]
    assert reasons["future"] == "reviewed_at is in the future"
    assert "before review card" in reasons["before the card"]
    for name in ("deleted", "not yours", "no such card", "too big an id"):
        assert "of yours" in reasons[name], name
    assert reasons["no offset"] == "reviewed_at has no time zone offset"
    assert "duration_ms must be 0 to" in reasons["a week long"]
    assert len(await log_rows(db, their_cards[0])) == 0

    # Per request: more than 10,000 reviews, a malformed id, a body over 4 MiB.
    many = [review(card_ids[0], 3, now) for _ in range(10_001)]
    too_many = await client.post("/review/sync", headers=headers, json={"reviews": many})
    assert too_many.status_code == 422
    assert "10000" in too_many.text
    malformed = await client.post(
        "/review/sync",
        headers=headers,
        json={"reviews": [review(card_ids[0], 3, now, client_review_id="nope")]},
    )
    assert malformed.status_code == 422
    assert "client_review_id" in malformed.text
    # A number is no time (pydantic alone would read 0 as 1 January 1970).
    epoch = await client.post(
        "/review/sync",
        headers=headers,
        json={"reviews": [review(card_ids[0], 3, now) | {"reviewed_at": 0}]},
    )
    assert epoch.status_code == 422
    assert "reviewed_at: must be string" in epoch.text
    huge = await client.post(
        "/review/sync",
        headers=headers | {"Content-Type": "application/json"},
        content=b'{"reviews": [' + b" " * (5 * 1024 * 1024) + b"]}",
    )
    assert huge.status_code == 413
    assert huge.json()["detail"] == "the request body is larger than 4 MiB"
    assert len(await log_rows(db, card_ids[0])) == 1


async def test_two_sends_at_once_keep_each_review_once(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine
) -> None:
    headers, card_ids = await learner_with_cards(client, clock, 4)
    start = clock.now
    reviews = [
        review(card_id, 3, start + timedelta(seconds=n)) for n, card_id in enumerate(card_ids)
    ]
    clock.now = start + timedelta(minutes=5)
    answers = await asyncio.gather(
        *(client.post("/review/sync", headers=headers, json={"reviews": reviews}) for _ in range(3))
    )
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    statuses = sorted(
        tuple(result["status"] for result in answer.json()["results"]) for answer in answers
    )
    assert statuses == [("applied",) * 4, ("duplicate",) * 4, ("duplicate",) * 4]
    for card_id in card_ids:
        assert len(await log_rows(db, card_id)) == 1


async def test_the_review_page_copy_writes_the_intervals_in_the_learners_language(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    headers, card_ids = await learner_with_cards(client, clock, 2)
    await client.patch("/users/me", headers=headers, json={"interface_language": "de"})
    token = headers["Authorization"].removeprefix("Bearer ")
    client.cookies.set("langtutor_token", token)
    page = await client.get("/app/review/offline")
    assert page.status_code == 200, page.text
    cards = page.json()["cards"]
    assert [card["card_id"] for card in cards] == card_ids
    assert cards[0]["interval_labels"]["1"].endswith("Min.")
