"""Find my level as plain HTML forms (no page script): from onboarding, the word checklist,
the result kept with another level; a language the server cannot test, said plainly."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.db import utcnow
from tests.clock import controlled_clock
from tests.web.test_pages import page, sign_up


async def test_from_onboarding_to_the_level_kept(client: httpx.AsyncClient, db: object) -> None:
    csrf = await sign_up(client, "olga")
    welcome = await client.post(
        "/app/welcome",
        data={"csrf_token": csrf, "default_target_language": "de", "next": "placement"},
    )
    assert welcome.status_code == 303
    assert welcome.headers["location"] == "/app/placement"
    intro = await page(client, "/app/placement")
    assert intro.find("a", href="/app/profile#self_assessed_level")  # "I know my level"
    started = await client.post("/app/placement", data={"csrf_token": csrf})
    assert started.status_code == 303
    path = started.headers["location"]
    words = await page(client, path)
    boxes = words.find_all("input", name="known")
    assert 20 <= len(boxes) <= 60
    shown = [box.attrs["value"] for box in boxes]
    stale = await client.post(
        f"{path}/answers", data={"csrf_token": csrf, "shown": ["1", "2"], "known": ["1"]}
    )
    assert stale.status_code == 303  # not the items shown: nothing answered
    assert [
        b.attrs["value"] for b in (await page(client, path)).find_all("input", name="known")
    ] == shown
    while boxes:  # nothing ticked: every word unknown
        ids = [box.attrs["value"] for box in boxes]
        answered = await client.post(f"{path}/answers", data={"csrf_token": csrf, "shown": ids})
        assert answered.status_code == 303
        boxes = (await page(client, path)).find_all("input", name="known")
    result = (await client.get(path)).text
    assert "About 0 words: A1. You may choose another level." in result
    kept = await client.post(f"{path}/accept", data={"csrf_token": csrf, "level": "B1"})
    assert kept.headers["location"] == "/app/profile?saved=level"
    assert "Your level is now B1." in (await client.get(kept.headers["location"])).text
    finished = await client.post(f"{path}/answers", data={"csrf_token": csrf})
    assert finished.status_code == 400  # nothing more to answer: a page, not JSON
    assert finished.headers["content-type"].startswith("text/html")


async def test_a_language_without_a_test_is_said_plainly(
    client: httpx.AsyncClient, db: object
) -> None:
    csrf = await sign_up(client, "sefu")
    await client.post("/app/welcome", data={"csrf_token": csrf, "default_target_language": "sw"})
    refused = await client.post("/app/placement", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "Choose your level yourself" in refused.text
    assert "Swahili" in refused.text


async def retest_offered(client: httpx.AsyncClient) -> bool:
    """Whether Today offers the placement test again (a section linking to it)."""
    today = await page(client, "/app")
    offers = [e for e in today.find_all("section") if "data-retest" in e.attrs]
    return bool(offers) and bool(today.find_all("a", href="/app/placement"))


# Sessions that outlast the month the test's clock moves through; the profile read afresh.
LONG_SESSIONS = {
    "ACCESS_TOKEN_TTL_S": 90 * 86_400,
    "SESSION_MAX_AGE_S": 90 * 86_400,
    "TOKEN_CACHE_TTL_S": 0,
}


@pytest.mark.parametrize("settings_overrides", [LONG_SESSIONS])
async def test_today_offers_the_test_again_a_month_after_the_level_was_last_checked(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "rui")
    await client.post("/app/welcome", data={"csrf_token": csrf, "default_target_language": "es"})
    assert not await retest_offered(client)  # joined today
    async with db.begin() as connection:  # joined two months ago, never placed
        await connection.execute(
            text("UPDATE users SET created_at = :then WHERE username = 'rui'"),
            {"then": utcnow() - timedelta(days=60)},
        )
    assert await retest_offered(client)
    path = (await client.post("/app/placement", data={"csrf_token": csrf})).headers["location"]
    while boxes := (await page(client, path)).find_all("input", name="known"):
        shown = [box.attrs["value"] for box in boxes]
        await client.post(f"{path}/answers", data={"csrf_token": csrf, "shown": shown})
    await client.post(f"{path}/accept", data={"csrf_token": csrf})
    kept = utcnow()
    assert not await retest_offered(client)
    with controlled_clock(app, kept + timedelta(days=29, hours=23)) as clock:
        assert not await retest_offered(client)
        clock.now = kept + timedelta(days=30, minutes=1)
        assert await retest_offered(client)
