"""Where the home page's Continue goes: opening a set moves it there, but a GET never writes
(a link a browser prefetches, or one sent by someone else, must not change it). The page
script posts it; the browser test of the learner's journey follows it end to end."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import saved_flashcards, user_with_token
from tests.web.html import parse
from tests.web.test_pages import page, sign_up


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings


async def continue_point(db: AsyncEngine, username: str) -> dict[str, Any]:
    async with db.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT continue_saved_content_id, continue_generation_id, continue_position"
                    " FROM users WHERE username = :name"
                ),
                {"name": username},
            )
        ).one()
    generation = row[1] and str(uuid.UUID(str(row[1])))  # SQLite keeps it without dashes
    return {"saved": row[0], "generation": generation, "position": row[2]}


async def studied(client: httpx.AsyncClient, csrf: str, **fields: str) -> httpx.Response:
    return await client.post(
        "/app/studied",
        data={"csrf_token": csrf, **fields},
        headers={"X-Requested-With": "fetch"},
    )


async def test_opening_a_set_moves_continue_by_a_post_never_by_a_get(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    saved = await saved_flashcards(client, {"X-CSRF-Token": csrf}, 3)
    item, generation_id = saved["saved_content_id"], saved["generation_id"]
    nowhere = {"saved": None, "generation": None, "position": 0}
    assert await continue_point(db, "ana") == nowhere

    # Opened at a card: the pages show it from there, and change nothing.
    for path in (f"/app/library/{item}?card=2", f"/app/generations/{generation_id}?card=1"):
        shown = await page(client, path)
        assert shown.find("div", **{"data-deck": ""}).attrs["data-start"] == path[-1]
        assert await continue_point(db, "ana") == nowhere
    # What the page script posts on opening: Continue goes there; opening is not studying.
    opened = (await page(client, f"/app/library/{item}?card=2")).find(
        "section", **{"data-opened": ""}
    )
    assert opened.attrs["data-saved-content-id"] == str(item)
    assert opened.attrs["data-position"] == "2"
    answer = await studied(client, csrf, saved_content_id=str(item), position="2", opened="true")
    assert answer.status_code == 204
    assert await continue_point(db, "ana") == {"saved": item, "generation": None, "position": 2}
    assert (await client.get(f"/content/{item}")).json()["last_studied_at"] is None
    today = parse((await client.get("/app")).text)
    assert today.find("a", href=f"/app/library/{item}?card=2#study")

    opened = (await page(client, f"/app/generations/{generation_id}?card=1")).find(
        "div", **{"data-opened": ""}
    )
    assert opened.attrs["data-generation-id"] == generation_id
    answer = await studied(client, csrf, generation_id=generation_id, position="1", opened="true")
    assert answer.status_code == 204
    assert await continue_point(db, "ana") == {
        "saved": None,
        "generation": generation_id,
        "position": 1,
    }


async def test_another_learners_set_cannot_become_your_continue(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, owner = await user_with_token(client, default_target_language="es")
    saved = await saved_flashcards(client, owner, 2)
    csrf = await sign_up(client, "eve")
    for fields in (
        {"saved_content_id": str(saved["saved_content_id"])},
        {"generation_id": saved["generation_id"]},
    ):
        answer = await studied(client, csrf, position="1", opened="true", **fields)
        assert answer.status_code == 404
    assert await continue_point(db, "eve") == {"saved": None, "generation": None, "position": 0}
