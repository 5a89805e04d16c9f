"""Generations leave query/output/error entries; `/activity`, `/progress` and `/metrics`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import AppFactory
from tests.factories import user_with_token
from tests.fakellm import FakeLLM


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings


async def generate(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str = "flashcards"
) -> httpx.Response:
    body: dict[str, Any] = {"query": "Ordering  Tapas"} | (
        {} if kind == "simulation" else {"count": 2}
    )
    return await client.post(f"/generate/{kind}", headers=headers, json=body)


async def test_generation_logs_query_and_output_with_one_generation_id(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(
        client, default_target_language="es", self_assessed_level="B1"
    )
    generation = (await generate(client, headers)).json()
    entries = (await client.get("/activity", headers=headers)).json()["items"]
    assert [e["event"] for e in entries] == ["output", "query"]
    assert {e["generation_id"] for e in entries} == {generation["generation_id"]}
    output, query = entries
    assert query["request_metadata"] == {
        "count": 2,
        "level": "B1",
        "sources": {"target_language": "profile", "base_language": "default", "level": "profile"},
        "history": {"weak_items": 0, "recent_items": 0},
        "prompt_version": query["request_metadata"]["prompt_version"],
    }
    assert len(query["request_metadata"]["prompt_version"]) == 10
    assert query["query_text"] == "Ordering  Tapas"
    assert (query["target_language"], query["base_language"]) == ("es", "en")
    meta = output["response_metadata"]
    assert meta["provider"] == "openai"
    assert meta["model"] == "fake-model"
    assert meta["item_count"] == 2
    assert meta["input_tokens"] == 120
    assert meta["output_tokens"] == 80
    assert meta["latency_ms"] >= 0


@pytest.mark.parametrize(
    ("behaviour", "kind"), [("http_500", "unavailable"), ("refusal", "refusal")]
)
async def test_failed_generation_logs_an_error_entry(
    client: httpx.AsyncClient, fake_llm: FakeLLM, behaviour: str, kind: str
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    fake_llm.then(behaviour)
    assert (await generate(client, headers)).status_code in (502, 503)
    entries = (await client.get("/activity", headers=headers)).json()["items"]
    assert [e["event"] for e in entries] == ["error", "query"]
    assert entries[0]["response_metadata"]["error"] == kind


async def test_no_provider_logs_an_error_and_rejected_input_logs_nothing(
    app_factory: AppFactory,
) -> None:
    async with app_factory(LLM_PROVIDER="none") as client:
        _, headers = await user_with_token(client)
        assert (await generate(client, headers)).status_code == 409  # no target language
        bad = await client.post("/generate/flashcards", headers=headers, json={"query": ""})
        assert bad.status_code == 422
        assert (await client.get("/activity", headers=headers)).json()["items"] == []
        await client.patch("/users/me", headers=headers, json={"default_target_language": "es"})
        assert (await generate(client, headers)).status_code == 503
        entries = (await client.get("/activity", headers=headers)).json()["items"]
    assert [e["event"] for e in entries] == ["error", "query"]
    assert entries[0]["response_metadata"]["error"] == "not_configured"


async def test_activity_paging_and_ownership(client: httpx.AsyncClient, fake_llm: FakeLLM) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    _, other = await user_with_token(client, default_target_language="fr")
    for _ in range(3):
        await generate(client, headers)
    await generate(client, other)
    first = (await client.get("/activity", headers=headers, params={"limit": 4})).json()
    assert len(first["items"]) == 4
    second = (
        await client.get(
            "/activity", headers=headers, params={"limit": 4, "before": first["next_before"]}
        )
    ).json()
    assert len(second["items"]) == 2
    assert second["next_before"] is None
    ids = [e["log_id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 6
    assert all(e["target_language"] == "es" for e in first["items"] + second["items"])
    assert (await client.get("/activity", headers=headers, params={"limit": 0})).status_code == 422
    # A time without its zone says no moment: a clear 422, not a guess (nor a 500).
    naive = await client.get("/activity", headers=headers, params={"before": "2026-11-26T10:00"})
    assert naive.status_code == 422
    assert "timezone" in naive.text
    assert (await client.get("/activity")).status_code == 401


async def insert_log(
    db: AsyncEngine,
    user_id: int,
    when: datetime,
    kind: str,
    query: str,
    event: str = "output",
    lang: str = "es",
) -> None:
    async with db.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO activity_log (user_id, timestamp, content_type, query_text, target_language, event)"
                " VALUES (:u, :t, :k, :q, :l, :e)"
            ),
            {
                "u": user_id,
                "t": when
                if db.dialect.name == "postgresql"
                else when.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "k": kind,
                "q": query,
                "l": lang,
                "e": event,
            },
        )


async def test_progress_matches_hand_computed_figures(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    me, headers = await user_with_token(client)
    other, _ = await user_with_token(client)
    # Noon UTC of the current UTC day (possibly a few hours ahead): "today" at any hour.
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    day = timedelta(days=1)
    fixture = [
        (now, "flashcards", "Ordering tapas", "es"),
        (now, "flashcards", "ordering  tapas.", "es"),
        (now, "exercises", "Past tense", "es"),
        (now - day, "simulation", "At the hotel", "fr"),
        (now - 2 * day, "flashcards", "Ordering tapas", "es"),
        # a gap at 3 days ago ends the streak
        (now - 4 * day, "exercises", "Numbers", "es"),
        (now - 40 * day, "flashcards", "Old topic", "de"),  # outside a 30-day window
    ]
    for when, kind, query, lang in fixture:
        await insert_log(db, me["user_id"], when, kind, query, lang=lang)
        await insert_log(db, me["user_id"], when, kind, query, event="query", lang=lang)
    await insert_log(db, me["user_id"], now, "simulation", "Failed one", event="error")
    for n in range(5):
        await insert_log(
            db, other["user_id"], now - n * day, "simulation", "Someone else", lang="it"
        )
    async with db.begin() as connection:
        saved = (
            await connection.execute(
                text(
                    "INSERT INTO saved_content (user_id, content_type, original_query, content_data)"
                    " VALUES (:u, 'flashcards', 'q', '{}') RETURNING saved_content_id"
                ),
                {"u": me["user_id"]},
            )
        ).scalar_one()
        for rating in (4, 5, None):
            await connection.execute(
                text(
                    "INSERT INTO feedback (user_id, related_saved_content_id, rating, feedback_text) VALUES (:u, :s, :r, 'ok')"
                ),
                {"u": me["user_id"], "s": saved, "r": rating},
            )
        await connection.execute(
            text("INSERT INTO feedback (user_id, rating) VALUES (:u, 1)"), {"u": other["user_id"]}
        )

    progress = (await client.get("/progress", headers=headers, params={"days": 30})).json()
    assert progress["totals"] == {"flashcards": 3, "exercises": 2, "simulation": 1}
    assert progress["all_time_totals"] == {"flashcards": 4, "exercises": 2, "simulation": 1}
    assert progress["streak_days"] == 3
    assert progress["top_topics"][0] == {"topic": "ordering tapas", "count": 3}
    assert {t["topic"] for t in progress["top_topics"]} == {
        "ordering tapas",
        "past tense",
        "at the hotel",
        "numbers",
    }
    assert progress["languages"] == [{"language": "es", "count": 5}, {"language": "fr", "count": 1}]
    assert progress["saved_count"] == 1
    assert progress["feedback_count"] == 3
    assert progress["mean_rating"] == 4.5
    per_day = {d["date"]: d for d in progress["per_day"]}
    assert len(per_day) == 30
    today = now.date().isoformat()
    assert per_day[today] == {
        "date": today,
        "flashcards": 2,
        "exercises": 1,
        "simulation": 0,
        "answers": 0,
        "accuracy": None,
        "reviews": 0,
        "studied": 0,
    }
    assert per_day[(now - day).date().isoformat()]["simulation"] == 1
    assert sum(d["flashcards"] + d["exercises"] + d["simulation"] for d in per_day.values()) == 6

    week = (await client.get("/progress", headers=headers, params={"days": 2})).json()
    assert week["totals"] == {"flashcards": 2, "exercises": 1, "simulation": 1}
    # Days in another time zone: 12:00 UTC is still the same day in Tokyo (21:00).
    tokyo = (
        await client.get("/progress", headers=headers, params={"days": 30, "tz": "Asia/Tokyo"})
    ).json()
    assert tokyo["timezone"] == "Asia/Tokyo"
    assert (
        await client.get("/progress", headers=headers, params={"tz": "Mars/Base"})
    ).status_code == 422
    assert (await client.get("/progress", headers=headers, params={"days": 0})).status_code == 422


async def test_metrics_endpoint(client: httpx.AsyncClient, fake_llm: FakeLLM) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    await generate(client, headers)
    exposed = (await client.get("/metrics")).text
    for name in (
        "langtutor_log_buffer_entries",
        "langtutor_log_entries_written_total",
        "langtutor_log_batches_written_total",
        "langtutor_log_write_failures_total",
        "langtutor_log_entries_dropped_total",
        'langtutor_generations_total{content_type="flashcards",outcome="ok"}',
        "langtutor_generation_seconds_bucket",
        'langtutor_llm_call_seconds_count{provider="openai"}',
    ):
        assert name in exposed, name
