"""The learner's day, in the learner's time zone, on every page and route: the profile's zone,
else (on pages) the browser's as the page script stores it in its cookie, else UTC. A review
half an hour before and one half an hour after the learner's midnight are two days of a
streak there, though the same day in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.db import utcnow
from langtutor.zones import learner_zone
from tests.clock import controlled_clock
from tests.web.html import parse
from tests.web.test_pages import page, sign_up

ZONES = ["Europe/Madrid", "America/Argentina/Buenos_Aires", "Asia/Kolkata"]
CARDS = {
    "cards": [
        {"front": "la manzana", "back": "the apple"},
        {"front": "la pera", "back": "the pear"},
        {"front": "la uva", "back": "the grape"},
    ]
}


def as_the_browser_stores_it(zone: str) -> str:
    """What `encodeURIComponent` makes of the zone's name, as the page script sets it."""
    return quote(zone, safe="")


def around_midnight(zone: str) -> tuple[datetime, datetime]:
    """Half an hour before and after a midnight in `zone` a few days ago (while the session is live), which fall on
    one day in UTC (the zones here are an hour or more from it)."""
    day = utcnow().date() - timedelta(days=3)
    midnight = datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)
    before, after = midnight - timedelta(minutes=30), midnight + timedelta(minutes=30)
    assert before.date() == after.date()
    return before, after


async def review_around_midnight(
    app: FastAPI, client: httpx.AsyncClient, csrf: str, zone: str
) -> datetime:
    """One card reviewed on each side of the learner's midnight; the moment just after."""
    saved = await client.post(
        "/content/save",
        headers={"X-CSRF-Token": csrf},
        json={"content_type": "flashcards", "original_query": "fruit", "content_data": CARDS},
    )
    assert saved.status_code == 201, saved.text
    before, after = around_midnight(zone)
    for moment in (before, after):
        with controlled_clock(app, moment):
            queue = await client.get("/review/queue")
            assert queue.status_code == 200, queue.text
            card = queue.json()["cards"][0]
            graded = await client.post(
                f"/app/review/{card['card_id']}", data={"csrf_token": csrf, "rating": "4"}
            )
            assert graded.status_code == 303, graded.text
    return after + timedelta(minutes=5)


async def streak_and_goal(client: httpx.AsyncClient) -> tuple[str, str]:
    today = await page(client, "/app")
    streak = today.find("div", **{"data-streak": ""}).text.split()[0]
    done = today.find("p", **{"data-goal": ""}).text.split("/")[0].strip()
    return streak, done


@pytest.mark.parametrize("zone", ZONES)
async def test_pages_count_days_in_the_browsers_zone_from_its_cookie(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine, zone: str
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    client.cookies.set("langtutor_tz", as_the_browser_stores_it(zone))
    now = await review_around_midnight(app, client, csrf, zone)
    with controlled_clock(app, now):
        # Two days in a row there; and of today's goal, only the review after midnight.
        assert await streak_and_goal(client) == ("2", "1")
        progress = await page(client, "/app/progress")
        assert progress.find("dd", **{"data-stat": "streak"}).text == "2"
        assert f"Days are counted in the time zone {zone}." in progress.find("main").text


async def test_the_profiles_zone_wins_over_the_browsers_and_the_api_uses_it(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    client.cookies.set("langtutor_tz", as_the_browser_stores_it("America/Los_Angeles"))
    answer = await client.post(
        "/app/profile/review",
        data={"csrf_token": csrf, "timezone": "Asia/Kolkata", "review_auto_cards": "on"},
    )
    assert answer.status_code == 303
    now = await review_around_midnight(app, client, csrf, "Asia/Kolkata")
    with controlled_clock(app, now):
        assert await streak_and_goal(client) == ("2", "1")
        progress = await page(client, "/app/progress")
        assert "time zone Asia/Kolkata." in progress.find("main").text
        # The API, with no zone asked for, counts in the profile's; one asked for wins.
        assert (await client.get("/progress")).json()["streak_days"] == 2
        assert (await client.get("/progress")).json()["timezone"] == "Asia/Kolkata"
        assert (await client.get("/progress", params={"tz": "UTC"})).json()["streak_days"] == 1


@pytest.mark.parametrize("zone", ZONES)
async def test_the_review_day_starts_at_4_am_in_the_browsers_zone(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine, zone: str
) -> None:
    """One new card a day: the one studied before 4 a.m. there was yesterday's, so after
    4 a.m. a new card is waiting (in UTC both moments are one review day)."""
    csrf = await sign_up(client, "ana", default_target_language="es")
    client.cookies.set("langtutor_tz", as_the_browser_stores_it(zone))
    answer = await client.post(
        "/app/profile/review",
        data={"csrf_token": csrf, "review_new_per_day": "1", "review_auto_cards": "on"},
    )
    assert answer.status_code == 303
    saved = await client.post(
        "/content/save",
        headers={"X-CSRF-Token": csrf},
        json={"content_type": "flashcards", "original_query": "fruit", "content_data": CARDS},
    )
    assert saved.status_code == 201
    day = utcnow().date() - timedelta(days=3)
    four = datetime.combine(day, time(4), ZoneInfo(zone)).astimezone(UTC)
    with controlled_clock(app, four - timedelta(minutes=30)):
        card = parse((await client.get("/app/review")).text).find("form", **{"data-grades": ""})
        graded = await client.post(card.attrs["action"], data={"csrf_token": csrf, "rating": "4"})
        assert graded.status_code == 303
        left = parse((await client.get("/app/review")).text)
        assert not left.find_all("section", **{"data-review": ""})  # today's new card is done
    with controlled_clock(app, four + timedelta(minutes=30)):
        review = parse((await client.get("/app/review")).text)
        assert review.find_all("section", **{"data-review": ""}), "a new day, a new card"


@pytest.mark.parametrize(
    ("profile", "browser", "expected"),
    [
        ("Asia/Kolkata", "Europe/Madrid", "Asia/Kolkata"),
        (None, "Europe/Madrid", "Europe/Madrid"),
        (None, "America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        (None, "Etc/GMT+5", "Etc/GMT+5"),
        (None, None, "UTC"),
        (None, "", "UTC"),
        (None, "Mars/Olympus", "UTC"),
        (None, "../../etc/passwd", "UTC"),
        (None, "Europe/Madrid\x00", "UTC"),
        ("Not/AZone", "Asia/Kolkata", "Asia/Kolkata"),
    ],
)
def test_the_learners_zone(profile: str | None, browser: str | None, expected: str) -> None:
    assert learner_zone(profile, browser) == ZoneInfo(expected)
