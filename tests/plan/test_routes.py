"""`/plan` through the real HTTP app, database and fake model, on both databases: a plan made
from the learner's level and replaced, clear 4xx answers, steps started into saved sets whose
cards go to review, a unit done when its cards are learned and its exercises answered at
80 % or better, the weak cards of a unit back in the next unit's reviews."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.db import utcnow
from tests.clock import Clock, controlled_clock
from tests.conftest import AppFactory
from tests.factories import user_with_token


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"ACCESS_TOKEN_TTL_S": 365 * 86_400}


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    with controlled_clock(app, utcnow()) as fixed:
        yield fixed


async def learner(client: httpx.AsyncClient, level: str | None = "A1") -> dict[str, str]:
    _, headers = await user_with_token(
        client, default_target_language="es", self_assessed_level=level
    )
    return headers


async def plan_of(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = await client.get("/plan", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def week_steps(plan: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """This week's steps by (unit_id, kind)."""
    return {(u["unit_id"], s["kind"]): s for u in plan["week"] for s in u["steps"]}


async def start(client: httpx.AsyncClient, headers: dict[str, str], step_id: int) -> httpx.Response:
    return await client.post(f"/plan/steps/{step_id}/start", headers=headers)


async def learn_all_cards(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Every card in today's queue rated Easy: learned (FSRS state Review) at once."""
    while cards := (await client.get("/review/queue", headers=headers)).json()["cards"]:
        for card in cards:
            rated = await client.post(
                f"/review/{card['card_id']}", headers=headers, json={"rating": 4}
            )
            assert rated.status_code == 200, rated.text


async def test_no_plan_yet_is_a_404_that_says_how_to_make_one(client: httpx.AsyncClient) -> None:
    headers = await learner(client)
    answer = await client.get("/plan", headers=headers)
    assert answer.status_code == 404
    assert "POST /plan" in answer.json()["detail"]
    assert (await client.get("/plan")).status_code == 401


async def test_a_plan_spreads_the_levels_units_over_the_weeks(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    headers = await learner(client, level="B1")
    made = await client.post("/plan", headers=headers, json={})
    assert made.status_code == 201, made.text
    plan = made.json()
    assert set(plan) == {"level", "unit", "today", "week"}
    assert plan["level"] == "B1"
    assert plan["unit"]["unit_id"] == "b1-01"
    assert plan["unit"]["progress"] == 0
    assert plan["unit"]["can_do"]
    assert [item["kind"] for item in plan["today"]] == [
        "review",
        "deck",
        "exercises",
        "conversation",
    ]
    for item in plan["today"]:
        assert set(item) == {"kind", "title", "done", "href"}
    assert plan["today"][0] == {
        "kind": "review",
        "title": "Reviews done",
        "done": True,
        "href": "/app/review",
    }
    # Twelve units over the default eight weeks: two in the first.
    assert [unit["unit_id"] for unit in plan["week"]] == ["b1-01", "b1-02"]
    assert all(not s["started"] and s["needs_model"] for s in week_steps(plan).values())
    # Three weeks on, the third week's unit.
    clock.now += timedelta(days=15)
    later = await plan_of(client, headers)
    assert [unit["week"] for unit in later["week"]] == [3, 3]


async def test_a_new_plan_replaces_the_old_one_and_its_steps(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    headers = await learner(client)
    first = (await client.post("/plan", headers=headers, json={"weeks": 12})).json()
    deck = (await start(client, headers, week_steps(first)[("a1-01", "deck")]["step_id"])).json()
    second = await client.post("/plan", headers=headers, json={"weeks": 4, "minutes_per_day": 30})
    assert second.status_code == 201
    assert [unit["unit_id"] for unit in second.json()["week"]] == ["a1-01", "a1-02", "a1-03"]
    assert not any(step["started"] for step in week_steps(second.json()).values())
    async with db.connect() as connection:
        plans = await connection.scalar(text("SELECT count(*) FROM plans"))
        steps = await connection.scalar(text("SELECT count(*) FROM plan_steps"))
    assert (plans, steps) == (1, 12 * 3)
    # The sets the old plan made stay in the library.
    kept = await client.get(f"/content/{deck['saved_content_id']}", headers=headers)
    assert kept.status_code == 200
    # No body at all is the defaults.
    assert (await client.post("/plan", headers=headers)).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"weeks": 0},
        {"weeks": 53},
        {"weeks": "8"},
        {"weeks": 8.5},
        {"minutes_per_day": 2},
        {"days": 3},
    ],
)
async def test_bad_weeks_or_minutes_are_a_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    headers = await learner(client)
    answer = await client.post("/plan", headers=headers, json=body)
    assert answer.status_code == 422, answer.text
    assert (await client.get("/plan", headers=headers)).status_code == 404  # nothing stored


async def test_a_profile_without_a_level_is_told_where_to_find_one(
    client: httpx.AsyncClient,
) -> None:
    headers = await learner(client, level=None)
    answer = await client.post("/plan", headers=headers, json={})
    assert answer.status_code == 409
    assert "/placement" in answer.json()["detail"]


async def test_steps_are_the_learners_own(client: httpx.AsyncClient) -> None:
    ana, bob = await learner(client), await learner(client)
    plan = (await client.post("/plan", headers=ana, json={})).json()
    step_id = week_steps(plan)[("a1-01", "deck")]["step_id"]
    assert (await start(client, bob, step_id)).status_code == 404
    await client.post("/plan", headers=bob, json={})
    assert (await start(client, bob, step_id)).status_code == 404
    assert (await start(client, ana, 2_000_000_000)).status_code == 404
    assert (await start(client, ana, 0)).status_code == 422


async def test_without_a_model_a_step_says_so_and_reviews_still_work(
    app_factory: AppFactory,
) -> None:
    async with app_factory(LLM_PROVIDER="none") as client:
        headers = await learner(client)
        plan = (await client.post("/plan", headers=headers, json={})).json()
        step_id = week_steps(plan)[("a1-01", "exercises")]["step_id"]
        answer = await start(client, headers, step_id)
        assert answer.status_code == 503
        assert "language model" in answer.json()["detail"]
        assert "reviews need none" in answer.json()["detail"]
        plan = await plan_of(client, headers)
        assert plan["today"][0]["done"] is True
        assert not week_steps(plan)[("a1-01", "exercises")]["started"]


async def test_a_unit_is_done_when_its_cards_are_learned_and_its_exercises_pass(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    headers = await learner(client)
    plan = (await client.post("/plan", headers=headers, json={"minutes_per_day": 20})).json()
    steps = week_steps(plan)

    deck = (await start(client, headers, steps[("a1-01", "deck")]["step_id"])).json()
    assert deck["started"]
    assert not deck["done"]
    assert deck["href"] == f"/app/library/{deck['saved_content_id']}#study"
    item = (await client.get(f"/content/{deck['saved_content_id']}", headers=headers)).json()
    assert item["content_type"] == "flashcards"
    assert len(item["content_data"]["cards"]) == 10  # twenty minutes a day
    assert "Greetings and introductions" in item["original_query"]
    again = await start(client, headers, deck["step_id"])  # started once only
    assert again.json()["saved_content_id"] == deck["saved_content_id"]
    plan = await plan_of(client, headers)
    assert plan["today"][0]["done"] is False  # its new cards are today's reviews
    clock.now += timedelta(seconds=5)
    await learn_all_cards(client, headers)
    plan = await plan_of(client, headers)
    assert week_steps(plan)[("a1-01", "deck")]["done"]
    assert plan["unit"]["progress"] == pytest.approx(0.33)

    exercises = (await start(client, headers, steps[("a1-01", "exercises")]["step_id"])).json()
    content = (
        await client.get(f"/content/{exercises['saved_content_id']}", headers=headers)
    ).json()
    count = len(content["content_data"]["exercises"])
    for index in range(count):
        answer = "sí" if index else "no"  # one wrong of six: 83 %
        checked = await client.post(
            "/exercises/check",
            headers=headers,
            json={
                "saved_content_id": exercises["saved_content_id"],
                "item_index": index,
                "answer": answer,
            },
        )
        assert checked.status_code == 200, checked.text
    plan = await plan_of(client, headers)
    assert count == 6
    assert week_steps(plan)[("a1-01", "exercises")]["done"]

    role_play = (await start(client, headers, steps[("a1-01", "conversation")]["step_id"])).json()
    clock.now += timedelta(seconds=5)
    await learn_all_cards(client, headers)  # its vocabulary, and the mistake's card
    plan = await plan_of(client, headers)
    assert week_steps(plan)[("a1-01", "conversation")]["done"], role_play
    assert plan["unit"]["unit_id"] == "a1-02"
    assert plan["unit"]["progress"] == 0


async def test_below_the_pass_mark_the_exercises_are_not_done(client: httpx.AsyncClient) -> None:
    headers = await learner(client)
    plan = (await client.post("/plan", headers=headers, json={"minutes_per_day": 15})).json()
    step = (
        await start(client, headers, week_steps(plan)[("a1-01", "exercises")]["step_id"])
    ).json()
    for index in range(5):
        await client.post(
            "/exercises/check",
            headers=headers,
            json={
                "saved_content_id": step["saved_content_id"],
                "item_index": index,
                "answer": "sí" if index > 1 else "no",
            },
        )
    exercises = week_steps(await plan_of(client, headers))[("a1-01", "exercises")]
    assert not exercises["done"]
    assert exercises["progress"] == pytest.approx(0.75)  # 3 of 5 is 60 %, of the 80 % asked


async def test_weak_cards_come_back_when_the_next_unit_starts(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    headers = await learner(client)
    plan = (await client.post("/plan", headers=headers, json={"weeks": 6})).json()
    steps = week_steps(plan)
    deck = (await start(client, headers, steps[("a1-01", "deck")]["step_id"])).json()
    await learn_all_cards(client, headers)
    # A week on, one card is forgotten (a lapse), then relearned: due again days later.
    clock.now += timedelta(days=7)
    queue = (await client.get("/review/queue", headers=headers)).json()["cards"]
    forgotten = queue[0]["card_id"]
    await client.post(f"/review/{forgotten}", headers=headers, json={"rating": 1})
    clock.now += timedelta(minutes=15)
    await learn_all_cards(client, headers)
    card = (await client.get(f"/review/cards/{forgotten}", headers=headers)).json()
    assert card["lapses"] == 1
    assert card["due"] > clock.now.isoformat()
    assert deck["saved_content_id"]
    next_deck = steps[("a1-02", "deck")]["step_id"]
    assert (await start(client, headers, next_deck)).status_code == 200
    queue = (await client.get("/review/queue?limit=200", headers=headers)).json()["cards"]
    assert forgotten in [card["card_id"] for card in queue]
