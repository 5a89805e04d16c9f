"""Practice outside the schedule through the real HTTP app and database: a saved set's cards,
the hardest cards in order, a practice grade that leaves every card's schedule and the review
log as they were while it counts as study, another learner's set and cards, empty states and
bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import Clock
from tests.factories import saved, saved_flashcards, user_with_token
from tests.fakellm import FakeLLM


async def rate(
    client: httpx.AsyncClient, headers: dict[str, str], card: dict[str, Any], rating: int
) -> dict[str, Any]:
    answer = await client.post(
        f"/review/{card['card_id']}", headers=headers, json={"rating": rating, "reps": card["reps"]}
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def practice(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    saved_content_id: int | None = None,
    hardest: int | None = None,
) -> Any:
    """A saved set's cards to practise, or the `hardest` hardest ones."""
    if saved_content_id is not None:
        answer = await client.get(f"/review/practice/sets/{saved_content_id}", headers=headers)
    else:
        answer = await client.get(
            "/review/practice/hardest", headers=headers, params={"limit": hardest}
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def review_logs(db: AsyncEngine) -> list[Any]:
    async with db.connect() as connection:
        rows = await connection.execute(text("SELECT * FROM review_logs ORDER BY review_id"))
        return list(rows.all())


async def test_a_saved_sets_cards_in_order_and_an_empty_set(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    item = await saved_flashcards(client, headers, 4, label="Tapas")
    found = await practice(client, headers, saved_content_id=item["saved_content_id"])
    assert [card["front"] for card in found["cards"]] == [f"la palabra {i}" for i in range(1, 5)]
    assert [card["item_index"] for card in found["cards"]] == [0, 1, 2, 3]
    assert found["saved_content_id"] == item["saved_content_id"]
    assert found["title"] == "Tapas"
    assert found["hardest"] is None
    # A suspended card is left out, as in review.
    suspended = found["cards"][1]["card_id"]
    await client.patch(f"/review/cards/{suspended}", headers=headers, json={"suspended": True})
    found = await practice(client, headers, saved_content_id=item["saved_content_id"])
    assert suspended not in [card["card_id"] for card in found["cards"]]
    assert len(found["cards"]) == 3

    # An exercise set has no review cards: an empty list, not an error.
    generation = (
        await client.post(
            "/generate/exercises", headers=headers, json={"query": "market", "count": 3}
        )
    ).json()
    exercises = await saved(client, headers, generation, user_label="Market")
    found = await practice(client, headers, saved_content_id=exercises["saved_content_id"])
    assert found == {
        "cards": [],
        "saved_content_id": exercises["saved_content_id"],
        "title": "Market",
        "hardest": None,
    }


async def test_the_hardest_cards_most_forgotten_then_least_stable(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    assert (await practice(client, headers, hardest=20))["cards"] == []  # nothing reviewed yet
    await saved_flashcards(client, headers, 5)
    assert (await practice(client, headers, hardest=20))["cards"] == []  # all new
    cards = (await client.get("/review/queue", headers=headers)).json()["cards"]
    twice, once, easy, hard, _new = cards
    # Forgotten twice: learnt (Easy), forgotten, relearnt, forgotten again.
    for rating in (4, 1, 3, 1):
        clock.now += timedelta(days=3)
        twice = await rate(client, headers, twice, rating)
    for rating in (4, 1):
        clock.now += timedelta(days=3)
        once = await rate(client, headers, once, rating)
    easy = await rate(client, headers, easy, 4)
    hard = await rate(client, headers, hard, 2)
    assert (twice["lapses"], once["lapses"], easy["lapses"], hard["lapses"]) == (2, 1, 0, 0)
    assert hard["stability"] < easy["stability"]

    found = await practice(client, headers, hardest=20)
    assert [card["card_id"] for card in found["cards"]] == [
        twice["card_id"],
        once["card_id"],
        hard["card_id"],
        easy["card_id"],
    ]
    assert found["hardest"] == 20
    assert found["saved_content_id"] is None
    assert found["title"] is None
    two = await practice(client, headers, hardest=2)
    assert [card["card_id"] for card in two["cards"]] == [twice["card_id"], once["card_id"]]
    # Suspended cards are not practised.
    await client.patch(
        f"/review/cards/{once['card_id']}", headers=headers, json={"suspended": True}
    )
    found = await practice(client, headers, hardest=20)
    assert [card["card_id"] for card in found["cards"]] == [
        twice["card_id"],
        hard["card_id"],
        easy["card_id"],
    ]


async def test_a_practice_grade_changes_no_schedule_and_counts_as_study(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    item = await saved_flashcards(client, headers, 2)
    first, second = (await client.get("/review/queue", headers=headers)).json()["cards"]
    first = await rate(client, headers, first, 3)
    logs_before = await review_logs(db)
    stats_before = (await client.get("/review/stats", headers=headers)).json()
    progress_before = (await client.get("/progress", headers=headers)).json()["per_day"][-1]
    assert progress_before["reviews"] == 1

    for card, rating in ((first, 1), (second, 4), (first, 3)):
        clock.now += timedelta(seconds=30)
        answer = await client.post(
            "/review/practice",
            headers=headers,
            json={"card_id": card["card_id"], "rating": rating, "duration_ms": 2500},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"card": card, "rating": rating, "duration_ms": 2500}
    # Each card exactly as it was: state, due date, stability, reps, lapses.
    for card in (first, second):
        now = (await client.get(f"/review/cards/{card['card_id']}", headers=headers)).json()
        assert now == card
    assert await review_logs(db) == logs_before
    assert (await client.get("/review/stats", headers=headers)).json() == stats_before
    queue = (await client.get("/review/queue", headers=headers)).json()
    assert [card["card_id"] for card in queue["cards"]] == [second["card_id"], first["card_id"]]

    # Counted as study: the daily goal's cards studied, not the day's reviews.
    today = (await client.get("/progress", headers=headers)).json()["per_day"][-1]
    assert today["reviews"] == 1
    assert today["studied"] == progress_before["studied"] + 3
    entries = (await client.get("/activity", headers=headers)).json()["items"]
    practised = [entry for entry in entries if (entry["request_metadata"] or {}).get("practice")]
    assert len(practised) == 3
    assert {entry["event"] for entry in practised} == {"study"}
    newest = practised[0]
    assert newest["request_metadata"] == {
        "items": 1,
        "practice": True,
        "card_id": first["card_id"],
        "saved_content_id": item["saved_content_id"],
        "rating": 3,
        "duration_ms": 2500,
    }
    assert newest["query_text"] == first["front"]


async def test_another_learners_set_and_cards_are_404(
    client: httpx.AsyncClient, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    _, owner = await user_with_token(client, default_target_language="es")
    _, intruder = await user_with_token(client, default_target_language="fr")
    item = await saved_flashcards(client, owner, 2)
    card = (await client.get("/review/queue", headers=owner)).json()["cards"][0]
    answer = await client.get(f"/review/practice/sets/{item['saved_content_id']}", headers=intruder)
    assert answer.status_code == 404
    answer = await client.get("/review/practice/sets/999", headers=owner)
    assert answer.status_code == 404
    answer = await client.post(
        "/review/practice", headers=intruder, json={"card_id": card["card_id"], "rating": 3}
    )
    assert answer.status_code == 404
    assert (await practice(client, intruder, hardest=20))["cards"] == []
    async with db.connect() as connection:
        studied = await connection.scalar(
            text("SELECT count(*) FROM activity_log WHERE event = 'study'")
        )
    assert studied == 0


async def test_bad_input_is_a_clear_422(client: httpx.AsyncClient, fake_llm: FakeLLM) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 1)
    card = (await client.get("/review/queue", headers=headers)).json()["cards"][0]
    for path in (
        "/review/practice/hardest?limit=0",
        "/review/practice/hardest?limit=101",
        "/review/practice/hardest?limit=x",
        "/review/practice/sets/0",
        "/review/practice/sets/2147483648",
    ):
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 422, (path, answer.text)
    # Without a limit: the 20 hardest.
    assert (await client.get("/review/practice/hardest", headers=headers)).json()["hardest"] == 20
    for body in (
        {"card_id": card["card_id"]},
        {"card_id": card["card_id"], "rating": 5},
        {"card_id": card["card_id"], "rating": "3"},
        {"card_id": card["card_id"], "rating": 3, "duration_ms": -1},
        {"card_id": card["card_id"], "rating": 3, "reps": 0},
        {"rating": 3},
        {"card_id": 0, "rating": 3},
    ):
        answer = await client.post("/review/practice", headers=headers, json=body)
        assert answer.status_code == 422, (body, answer.text)
