"""Placement through the real HTTP app and database (both), with the fake model for the gap
texts: the stages, the result and its acceptance, and every bad request refused whole."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.placement.ctest import FIRST_GAP_ID, make_gaps
from tests.factories import user_with_token
from tests.fakellm import PLACEMENT_TEXTS, FakeLLM


async def finish_vocabulary(
    client: httpx.AsyncClient, headers: dict[str, str], view: dict[str, Any], known: bool
) -> dict[str, Any]:
    """Every round answered the same way; the view after the stage."""
    while view["stage"] == "vocabulary":
        answers = [{"item_id": item["item_id"], "known": known} for item in view["items"]]
        answer = await client.post(
            f"/placement/{view['placement_id']}/answers", json={"answers": answers}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        view = answer.json()
    return view


async def log_events(db: AsyncEngine, user_id: int) -> list[tuple[str, Any]]:
    """The learner's activity-log entries (waiting for the batch logger a little)."""
    for _ in range(40):
        async with db.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT event, response_metadata FROM activity_log WHERE user_id = :u"),
                    {"u": user_id},
                )
            ).all()
        if rows:
            # SQLite gives the JSON column as text.
            return [(e, json.loads(m) if isinstance(m, str) else m) for e, m in rows]
        await asyncio.sleep(0.05)
    return []


async def test_a_learner_who_knows_no_word_is_a1_and_accepts_it(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    user, headers = await user_with_token(client, default_target_language="es")
    started = await client.post("/placement", headers=headers)
    assert started.status_code == 201, started.text
    view = started.json()
    assert view["language"] == "es"
    assert view["stage"] == "vocabulary"
    assert 20 <= len(view["items"]) <= 60
    assert set(view["items"][0]) == {"item_id", "word"}
    done = await finish_vocabulary(client, headers, view, known=False)
    assert done["stage"] == "done"
    assert done["items"] == []
    result = done["result"]
    assert result["level"] == "A1"
    assert result["vocabulary_size"] == 0
    assert result["summary"] == "About 0 words: A1. You may choose another level."
    again = await client.get(f"/placement/{view['placement_id']}", headers=headers)
    assert again.json() == done
    accepted = await client.post(f"/placement/{view['placement_id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["self_assessed_level"] == "A1"
    me = await client.get("/users/me", headers=headers)
    assert me.json()["self_assessed_level"] == "A1"
    ((event, metadata),) = await log_events(db, user["user_id"])
    assert event == "placement"
    assert metadata["level"] == "A1"


async def test_a_learner_who_says_yes_to_everything_is_not_placed(
    client: httpx.AsyncClient,
) -> None:
    _, headers = await user_with_token(client, default_target_language="de")
    view = (await client.post("/placement", headers=headers)).json()
    done = await finish_vocabulary(client, headers, view, known=True)
    assert done["result"]["level"] is None
    assert "could not place you" in done["result"]["summary"]
    path = f"/placement/{view['placement_id']}/accept"
    refused = await client.post(path, headers=headers)
    assert refused.status_code == 409
    assert "level" in refused.json()["detail"]
    chosen = await client.post(path, json={"level": "Intermediate"}, headers=headers)
    assert chosen.status_code == 200
    assert chosen.json()["self_assessed_level"] == "B1"


async def test_bad_answers_are_refused_and_nothing_is_stored(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    no_language = await client.post("/placement", headers=headers)
    assert no_language.status_code == 409
    view = (await client.post("/placement", json={"language": "fr"}, headers=headers)).json()
    path = f"/placement/{view['placement_id']}"
    ids = [item["item_id"] for item in view["items"]]
    every = [{"item_id": i, "known": True} for i in ids]
    refusals = {
        422: [[{"item_id": 0, "known": True}], [{"item_id": ids[0], "known": "yes"}]],
        # Well-formed, but not what this placement can take now.
        409: [
            [*every, {"item_id": 999, "known": True}],  # never shown
            every[:-1],  # one left out
            [*every, every[0]],  # one twice
            [{"item_id": i, "text": "x"} for i in ids],  # gap answers to the word stage
        ],
    }
    for status, bodies in refusals.items():
        for answers in bodies:
            answer = await client.post(
                f"{path}/answers", json={"answers": answers}, headers=headers
            )
            assert answer.status_code == status, (answers, answer.text)
            assert answer.json()["detail"]
    early = await client.post(f"{path}/accept", headers=headers)
    assert early.status_code == 409
    assert "not finished" in early.json()["detail"]
    assert (await client.get(path, headers=headers)).json() == view  # nothing stored
    _, other = await user_with_token(client, default_target_language="fr")
    for method, suffix, body in [
        ("GET", "", None),
        ("POST", "/answers", {"answers": every}),
        ("POST", "/accept", {}),
    ]:
        answer = await client.request(method, f"{path}{suffix}", json=body, headers=other)
        assert answer.status_code == 404, (suffix, answer.text)
    assert (await client.get("/placement/2147483647", headers=headers)).status_code == 404
    assert (await client.get(path, headers=headers)).json() == view


async def test_without_a_word_list_nor_a_model_the_learner_chooses(
    client: httpx.AsyncClient,
) -> None:
    _, headers = await user_with_token(client, default_target_language="sw")
    answer = await client.post("/placement", headers=headers)
    assert answer.status_code == 409
    assert "Choose your level yourself" in answer.json()["detail"]
    assert "Swahili" in answer.json()["detail"]


def solutions(language: str) -> dict[int, str]:
    """The words the fake model's texts lose to their gaps, by item id."""
    first, second = PLACEMENT_TEXTS[language]
    gaps = make_gaps(first, 0, FIRST_GAP_ID)
    gaps += make_gaps(second, 1, FIRST_GAP_ID + len(gaps))
    return {gap["id"]: gap["solution"][len(gap["stem"]) :] for gap in gaps}


@pytest.fixture
def with_model(app_factory: Any, fake_llm_settings: dict[str, object]) -> Any:
    return app_factory(**fake_llm_settings)


async def test_gap_texts_follow_and_refine_the_level(with_model: Any, fake_llm: FakeLLM) -> None:
    async with with_model as client:
        _, headers = await user_with_token(client, default_target_language="es")
        view = (await client.post("/placement", headers=headers)).json()
        gaps = await finish_vocabulary(client, headers, view, known=False)
        assert gaps["stage"] == "gaps"
        (asked,) = fake_llm.requests
        assert "CEFR level A1" in asked.system
        assert "CEFR level A2" in asked.system
        items = gaps["items"]
        assert {item["text"] for item in items} == {0, 1}
        assert set(items[0]) == {"item_id", "text", "before", "stem", "missing", "after"}
        assert items[0]["before"].startswith("Mi familia vive en una casa pequeña cerca del mar.")
        path = f"/placement/{view['placement_id']}/answers"
        vocabulary = [{"item_id": 1, "known": True}]
        wrong_stage = await client.post(path, json={"answers": vocabulary}, headers=headers)
        assert wrong_stage.status_code == 409
        assert "{item_id, text}" in wrong_stage.json()["detail"]
        solved = solutions("es")
        answers = [{"item_id": item["item_id"], "text": solved[item["item_id"]]} for item in items]
        done = await client.post(path, json={"answers": answers}, headers=headers)
        assert done.status_code == 200, done.text
        result = done.json()["result"]
        assert result["level"] == "A2"  # the upper text restored: one level up
        assert "Gap texts: A1 100%, A2 100% right. Your level: A2." in result["summary"]
        again = await client.post(path, json={"answers": answers}, headers=headers)
        assert again.status_code == 409


async def test_without_a_word_list_the_gap_texts_stand_alone(
    with_model: Any, fake_llm: FakeLLM
) -> None:
    async with with_model as client:
        _, headers = await user_with_token(client, default_target_language="sw")
        started = await client.post("/placement", headers=headers)
        assert started.status_code == 201, started.text
        view = started.json()
        assert view["stage"] == "gaps"
        solved = solutions("sw")
        answers = [{"item_id": item["item_id"], "text": "x"} for item in view["items"]]
        answers[0]["text"] = solved[answers[0]["item_id"]]
        done = await client.post(
            f"/placement/{view['placement_id']}/answers", json={"answers": answers}, headers=headers
        )
        result = done.json()["result"]
        assert result["vocabulary_size"] is None
        assert result["level"] == "A2"  # neither text passed: one below B1, the lower


async def test_when_the_model_fails_the_vocabulary_result_stands(
    with_model: Any, fake_llm: FakeLLM
) -> None:
    async with with_model as client:
        _, headers = await user_with_token(client, default_target_language="es")
        view = (await client.post("/placement", headers=headers)).json()
        fake_llm.then("http_500").then("http_500").then("http_500")
        done = await finish_vocabulary(client, headers, view, known=False)
        assert done["stage"] == "done"
        assert done["result"]["level"] == "A1"
