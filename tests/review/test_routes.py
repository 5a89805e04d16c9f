"""Review through the real HTTP app and database: cards from saved sets, FSRS scheduling that
survives the database exactly, undo, day rollover, concurrent ratings, statistics."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import Clock
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM, valid_content

# What a card holds of the item it was made from.
WHAT_A_CARD_SAYS = (
    "front",
    "back",
    "example",
    "example_translation",
    "source",
    "saved_content_id",
    "item_index",
    "target_language",
    "base_language",
)


async def card_count(db: AsyncEngine, where: str = "1=1") -> int:
    async with db.connect() as connection:
        return int(
            await connection.scalar(text(f"SELECT count(*) FROM review_cards WHERE {where}"))
        )


async def test_a_saved_set_gives_one_card_per_flashcard_once(
    client: httpx.AsyncClient, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    item = await saved_flashcards(client, headers, 5)
    assert await card_count(db) == 5
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert queue["new_count"] == 5
    assert [card["front"] for card in queue["cards"]] == [f"la palabra {i}" for i in range(1, 6)]
    assert {card["state"] for card in queue["cards"]} == {"new"}
    content = item["content_data"]["cards"][1]
    second = queue["cards"][1]
    assert {key: second[key] for key in WHAT_A_CARD_SAYS} == {
        "front": content["front"],
        "back": content["back"],
        "example": content["example"],
        "example_translation": content["example_translation"],
        "source": "flashcard",
        "saved_content_id": item["saved_content_id"],
        "item_index": 1,
        "target_language": "es",
        "base_language": "en",
    }

    # Saving the same generation again answers the item saved first: still 5 cards.
    again = await client.post(
        "/content/save",
        headers=headers,
        json={
            "content_type": "flashcards",
            "original_query": "tapas",
            "content_data": item["content_data"],
            "generation_id": item["generation_id"],
        },
    )
    assert again.status_code == 200
    assert again.json()["saved_content_id"] == item["saved_content_id"]
    added = await client.post(f"/content/{item['saved_content_id']}/review", headers=headers)
    assert added.json() == {"added": 0, "total": 5}
    assert await card_count(db) == 5
    assert (await client.get("/content", headers=headers)).json()["total"] == 1

    assert (
        await client.delete(f"/content/{item['saved_content_id']}", headers=headers)
    ).status_code == 204
    assert await card_count(db) == 0


async def test_vocabulary_becomes_cards_and_automatic_cards_can_be_turned_off(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client)
    patched = await client.patch("/users/me", headers=headers, json={"review_auto_cards": False})
    assert patched.json()["review_auto_cards"] is False

    async def save(kind: str, content: dict[str, Any]) -> int:
        answer = await client.post(
            "/content/save",
            headers=headers,
            json={"content_type": kind, "original_query": "bar", "content_data": content},
        )
        assert answer.status_code == 201
        return int(answer.json()["saved_content_id"])

    simulation = await save("simulation", valid_content("simulation", 0))
    assert await card_count(db) == 0
    added = await client.post(f"/content/{simulation}/review", headers=headers)
    vocabulary = valid_content("simulation", 0)["vocabulary"]
    assert added.json() == {"added": len(vocabulary), "total": len(vocabulary)}
    assert await card_count(db, "source = 'vocabulary'") == len(vocabulary)
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert [
        (card["front"], card["back"], card["item_index"], card["example"])
        for card in queue["cards"]
    ] == [(term["term"], term["translation"], n, None) for n, term in enumerate(vocabulary)]
    exercises = await save("exercises", valid_content("exercises", 2))
    refused = await client.post(f"/content/{exercises}/review", headers=headers)
    assert refused.status_code == 409


def stored(card: dict[str, Any]) -> tuple[Any, ...]:
    return (
        card["state"],
        card["stability"],
        card["difficulty"],
        datetime.fromisoformat(card["due"]),
        card["last_review"] and datetime.fromisoformat(card["last_review"]),
    )


def expected(card: Card) -> tuple[Any, ...]:
    name = {State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}
    return (name[card.state], card.stability, card.difficulty, card.due, card.last_review)


async def test_scheduling_matches_fsrs_exactly_through_the_database_and_undo_restores(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 1)
    card_id = (await client.get("/review/queue", headers=headers)).json()["cards"][0]["card_id"]
    start = clock.now
    sequence = [
        (Rating.Good, timedelta(0)),
        (Rating.Good, timedelta(minutes=11)),
        (Rating.Good, timedelta(days=2)),
        (Rating.Again, timedelta(days=9)),
        (Rating.Hard, timedelta(days=9, minutes=12)),
        (Rating.Easy, timedelta(days=15)),
        (Rating.Good, timedelta(days=60)),
        (Rating.Good, timedelta(days=61)),  # early: the card is not due yet
    ]
    scheduler = Scheduler(desired_retention=0.9, maximum_interval=36_500, enable_fuzzing=True)
    in_memory = Card(card_id=card_id, due=start)
    history = [await client.get(f"/review/cards/{card_id}", headers=headers)]
    for seed, (rating, offset) in enumerate(sequence):
        clock.now = start + offset
        random.seed(seed)  # the same fuzz for the API and for the model run in memory
        answer = await client.post(
            f"/review/{card_id}",
            headers=headers,
            json={"rating": rating.value, "duration_ms": 1500},
        )
        assert answer.status_code == 200, answer.text
        random.seed(seed)
        in_memory, _ = scheduler.review_card(in_memory, rating, clock.now, 1500)
        read_back = (await client.get(f"/review/cards/{card_id}", headers=headers)).json()
        assert stored(answer.json()) == stored(read_back) == expected(in_memory)
        history.append(answer)
    assert history[-1].json()["reps"] == len(sequence)
    assert history[-1].json()["lapses"] == 1
    async with db.connect() as connection:
        logs = (
            await connection.execute(
                text("SELECT rating, duration_ms, elapsed_days FROM review_logs ORDER BY review_id")
            )
        ).all()
    assert [row[0] for row in logs] == [rating.value for rating, _ in sequence]
    assert logs[0][1] == 1500
    assert [row[2] for row in logs][:4] == [0, 0, 1, 7]

    undone = await client.post("/review/undo", headers=headers)
    assert undone.status_code == 200
    before_last = (await client.get(f"/review/cards/{card_id}", headers=headers)).json()
    assert before_last == history[-2].json()  # exactly as it was, review count included
    async with db.connect() as connection:
        assert (
            await connection.scalar(text("SELECT count(*) FROM review_logs")) == len(sequence) - 1
        )


async def test_days_roll_over_at_4_am_local_time_with_half_hour_offsets(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    # India is UTC+5:30: 03:30 local on the 27th is 22:00 UTC on the 26th.
    await client.patch(
        "/users/me", headers=headers, json={"timezone": "Asia/Kolkata", "review_new_per_day": 1}
    )
    await saved_flashcards(client, headers, 3)
    clock.now = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert queue["new_count"] == 1
    first = queue["cards"][0]["card_id"]
    assert (
        await client.post(f"/review/{first}", headers=headers, json={"rating": 4})
    ).status_code == 200
    # Still the 26th for the learner: the day's one new card is spent.
    clock.now = datetime(2026, 11, 26, 22, 29, tzinfo=UTC)  # 03:59 local
    assert (await client.get("/review/queue", headers=headers)).json()["new_count"] == 0
    clock.now = datetime(2026, 11, 26, 22, 31, tzinfo=UTC)  # 04:01 local: a new day
    assert (await client.get("/review/queue", headers=headers)).json()["new_count"] == 1
    stats = (await client.get("/review/stats", headers=headers, params={"days": 3})).json()
    assert stats["reviews_per_day"] == [
        {"date": "2026-11-25", "count": 0},
        {"date": "2026-11-26", "count": 1},
        {"date": "2026-11-27", "count": 0},
    ]


async def test_concurrent_ratings_of_one_card_apply_once(
    client: httpx.AsyncClient, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 1)
    card = (await client.get("/review/queue", headers=headers)).json()["cards"][0]
    answers = await asyncio.gather(
        *(
            client.post(f"/review/{card['card_id']}", headers=headers, json={"rating": 3})
            for _ in range(20)
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * 19, [
        a.text for a in answers if a.status_code not in (200, 409)
    ]
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 1
    assert (await client.get(f"/review/cards/{card['card_id']}", headers=headers)).json()[
        "reps"
    ] == 1


async def test_a_card_deleted_while_it_is_edited_is_never_a_500(
    client: httpx.AsyncClient, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    """Found by Schemathesis (two workers on one card): the edit read the card, the delete
    removed it, the edit's UPDATE then changed no row. Such a write is a 409 (or the edit
    comes first, or finds nothing: 404), never a 500."""
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 8)
    cards = (await client.get("/review/queue", headers=headers, params={"limit": 50})).json()
    assert len(cards["cards"]) == 8
    answers = await asyncio.gather(
        *(
            request
            for card in cards["cards"]
            for request in (
                client.patch(
                    f"/review/cards/{card['card_id']}", headers=headers, json={"front": "ëQ"}
                ),
                client.delete(f"/review/cards/{card['card_id']}", headers=headers),
            )
        )
    )
    assert {answer.status_code for answer in answers} <= {200, 204, 404, 409}, [
        answer.text for answer in answers
    ]
    assert await card_count(db) == 0


async def test_queue_order_stats_suspend_and_errors(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 3)
    cards = [
        c["card_id"] for c in (await client.get("/review/queue", headers=headers)).json()["cards"]
    ]
    # One card to review (Easy: days away), one in learning (Again: a minute away).
    await client.post(f"/review/{cards[0]}", headers=headers, json={"rating": 4})
    await client.post(f"/review/{cards[1]}", headers=headers, json={"rating": 1})
    queue = (await client.get("/review/queue", headers=headers)).json()
    # The new card first; the learning step comes back within the learn-ahead window, last.
    assert [c["card_id"] for c in queue["cards"]] == [cards[2], cards[1]]
    assert queue["due_count"] == 1
    clock.now += timedelta(minutes=2)
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert [c["card_id"] for c in queue["cards"]] == [cards[1], cards[2]]  # due learning first

    suspended = await client.patch(
        f"/review/cards/{cards[2]}", headers=headers, json={"suspended": True}
    )
    assert suspended.json()["suspended"] is True
    assert (
        await client.post(f"/review/{cards[2]}", headers=headers, json={"rating": 3})
    ).status_code == 409
    assert cards[2] not in [
        c["card_id"] for c in (await client.get("/review/queue", headers=headers)).json()["cards"]
    ]
    edited = await client.patch(
        f"/review/cards/{cards[1]}", headers=headers, json={"back": "corrected"}
    )
    assert edited.json()["back"] == "corrected"
    null = await client.patch(f"/review/cards/{cards[1]}", headers=headers, json={"front": None})
    assert null.status_code == 422
    assert null.json()["detail"] == [
        {"loc": ["body"], "msg": "front, back and suspended cannot be null", "type": "value_error"}
    ]
    for body in ({"rating": 0}, {"rating": 5}, {"rating": "good"}, {}):
        assert (
            await client.post(f"/review/{cards[1]}", headers=headers, json=body)
        ).status_code == 422
    assert (
        await client.post("/review/999999", headers=headers, json={"rating": 3})
    ).status_code == 404

    stats = (await client.get("/review/stats", headers=headers)).json()
    assert stats["cards_by_state"] == {
        "new": 0,
        "learning": 1,
        "review": 1,
        "relearning": 0,
        "suspended": 1,
    }
    assert len(stats["forecast"]) == 30
    assert sum(day["count"] for day in stats["forecast"]) == 2
    assert stats["true_retention"] is None  # no review of a card in the review state yet
    clock.now += timedelta(days=30)
    await client.post(f"/review/{cards[0]}", headers=headers, json={"rating": 3})
    stats = (await client.get("/review/stats", headers=headers)).json()
    assert stats["true_retention"] == 1.0
    assert stats["retention_reviews"] == 1

    assert (await client.delete(f"/review/cards/{cards[0]}", headers=headers)).status_code == 204
    assert (await client.get(f"/review/cards/{cards[0]}", headers=headers)).status_code == 404
    bad_zone = await client.patch("/users/me", headers=headers, json={"timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422
    for retention in (0.5, 0.99):
        answer = await client.patch(
            "/users/me", headers=headers, json={"review_desired_retention": retention}
        )
        assert answer.status_code == 422
