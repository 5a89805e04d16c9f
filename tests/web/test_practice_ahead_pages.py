"""The practice page over HTTP, read with an HTML parser: "Practice this set" from a saved
set's page, "Practice your hardest cards" from Review's "All done" and from Progress, the
cards one by one with and without the page script, grades that change no schedule, another
learner's set, the empty states."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.web.html import parse
from tests.web.test_pages import saved_item, second_client, sign_up

FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"GENERATION_RATE_PER_MINUTE": 100_000}


@pytest.fixture
async def bob(app: FastAPI, db: AsyncEngine) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with second_client(app) as other:
        yield other, await sign_up(other, "bob", default_target_language="fr")


async def card_rows(db: AsyncEngine) -> list[tuple[object, ...]]:
    async with db.connect() as connection:
        rows = await connection.execute(
            text("SELECT card_id, state, due, reps, lapses, last_review FROM review_cards")
        )
        return [tuple(row) for row in rows.all()]


async def test_practice_this_set_card_by_card(
    client: httpx.AsyncClient, db: AsyncEngine, bob: tuple[httpx.AsyncClient, str]
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    item_id = await saved_item(client, csrf)
    item = parse((await client.get(f"/app/library/{item_id}")).text)
    link = item.find("a", **{"data-practice-set": ""})
    assert link.attrs["href"] == f"/app/review/practice?saved_content_id={item_id}"
    assert link.text == "Practice this set"
    before = await card_rows(db)

    shown = parse((await client.get(link.attrs["href"])).text)
    assert shown.find("p", **{"data-position": ""}).text == "Card 1 of 2"
    assert "Colours" in shown.find("p", **{"data-practice-note": ""}).text
    assert "hidden" in shown.find("div", **{"data-answer": ""}).attrs
    form = shown.find("form", **{"data-grades": ""})
    assert form.attrs["action"] == "/app/review/practice"
    assert [b.attrs["value"] for b in shown.find_all("button", name="rating")] == [
        "1",
        "2",
        "3",
        "4",
    ]
    card_id = shown.find("input", name="card_id").attrs["value"]
    revealed = parse((await client.get(f"{link.attrs['href']}&n=0&show=true")).text)
    assert "hidden" not in revealed.find("div", **{"data-answer": ""}).attrs

    # Without the page script: a grade, then the next card's address.
    where = {"csrf_token": csrf, "saved_content_id": str(item_id)}
    graded = await client.post(
        "/app/review/practice", data=where | {"card_id": card_id, "rating": "1", "n": "0"}
    )
    assert graded.status_code == 303
    assert graded.headers["location"] == f"/app/review/practice?saved_content_id={item_id}&n=1"
    second = parse((await client.get(graded.headers["location"])).text)
    assert second.find("p", **{"data-position": ""}).text == "Card 2 of 2"
    # With it: the next screen as a fragment, here "Practice done".
    last = second.find("input", name="card_id").attrs["value"]
    done = await client.post(
        "/app/review/practice",
        data=where | {"card_id": last, "rating": "4", "n": "1", "duration_ms": "1800"},
        headers=FETCH,
    )
    assert done.status_code == 200
    fragment = parse(done.text)
    assert "You practiced 2 cards." in fragment.find("section", **{"data-practice-done": ""}).text
    assert fragment.find("a", **{"data-again": ""}).attrs["href"] == (
        f"/app/review/practice?saved_content_id={item_id}"
    )
    # No card's schedule moved; the review log is empty; the grades were counted as study.
    assert await card_rows(db) == before
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 0
    progress = (await client.get("/progress")).json()
    assert progress["per_day"][-1]["studied"] == 2
    assert progress["per_day"][-1]["reviews"] == 0
    today = parse((await client.get("/app")).text)
    assert today.find("p", **{"data-goal": ""}).text.startswith("2")  # the daily goal: 2 done

    # A grade the form cannot have sent: the same card again, its answer shown.
    refused = await client.post(
        "/app/review/practice", data=where | {"card_id": card_id, "rating": "9", "n": "0"}
    )
    assert refused.status_code == 422
    again = parse(refused.text)
    assert again.find("input", name="card_id").attrs["value"] == card_id
    assert "hidden" not in again.find("div", **{"data-answer": ""}).attrs

    # Another learner's set and cards are not found.
    other, other_csrf = bob
    assert (await other.get(link.attrs["href"])).status_code == 404
    stolen = await other.post(
        "/app/review/practice",
        data={"csrf_token": other_csrf, "card_id": card_id, "rating": "3", "n": "0"},
    )
    assert stolen.status_code == 404
    assert await card_rows(db) == before


async def test_the_hardest_cards_from_review_and_progress_and_the_empty_states(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    # Nothing reviewed yet: a friendly empty state, and no link to it.
    empty = parse((await client.get("/app/review/practice")).text)
    section = empty.find("section", **{"data-practice-empty": ""})
    assert "Review some cards first" in section.text
    assert not parse((await client.get("/app/progress")).text).find_all(
        "a", **{"data-practice-hardest": ""}
    )
    item_id = await saved_item(client, csrf)
    for _ in range(2):  # both cards learnt (Easy): the review is done for today
        review = parse((await client.get("/app/review")).text)
        action = review.find("form", **{"data-grades": ""}).attrs["action"]
        answer = await client.post(action, data={"csrf_token": csrf, "rating": "4"})
        assert answer.status_code == 303, answer.text
    done = parse((await client.get("/app/review")).text)
    link = done.find("a", **{"data-practice-hardest": ""})
    assert link.attrs["href"] == "/app/review/practice?hardest=20"
    assert link.text == "Practice your hardest cards"
    progress = parse((await client.get("/app/progress")).text)
    assert progress.find("a", **{"data-practice-hardest": ""}).attrs["href"] == link.attrs["href"]
    hardest = parse((await client.get(link.attrs["href"])).text)
    assert hardest.find("p", **{"data-position": ""}).text == "Card 1 of 2"
    assert "Your hardest cards" in hardest.find("p", **{"data-practice-note": ""}).text
    assert hardest.find("input", name="hardest").attrs["value"] == "20"

    # A set whose cards were all deleted: nothing to practise, and the way back to the set.
    async with db.begin() as connection:
        await connection.execute(text("DELETE FROM review_cards"))
    assert not parse((await client.get(f"/app/library/{item_id}")).text).find_all(
        "a", **{"data-practice-set": ""}
    )
    emptied = parse((await client.get(f"/app/review/practice?saved_content_id={item_id}")).text)
    assert (
        "This set has no cards in your review"
        in emptied.find("section", **{"data-practice-empty": ""}).text
    )
