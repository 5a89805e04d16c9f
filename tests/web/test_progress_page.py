"""Progress leads with the learner's learning, and its numbers are Review's: the cards left
today, named "new" and "due" alike on Today, Review and Progress; a grade moves them."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.web.rendering import AXIS_FONT, PHONE_FONTS, bar_chart, label_width
from tests.web.html import Page
from tests.web.test_pages import page, sign_up

CARDS = {
    "cards": [
        {"front": "la manzana", "back": "the apple"},
        {"front": "la pera", "back": "the pear"},
        {"front": "la uva", "back": "the grape"},
    ]
}


def counts(shown: Page) -> dict[str, str]:
    """The numbers of what is left today (and done), as the page names them."""
    return {
        span.attrs["data-count"]: span.text.split()[0]
        for span in shown.find_all("span")
        if "data-count" in span.attrs
    }


async def three_cards(client: httpx.AsyncClient, csrf: str) -> None:
    saved = await client.post(
        "/content/save",
        headers={"X-CSRF-Token": csrf},
        json={"content_type": "flashcards", "original_query": "fruit", "content_data": CARDS},
    )
    assert saved.status_code == 201


async def test_today_review_and_progress_name_the_same_numbers(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    await three_cards(client, csrf)
    review = await page(client, "/app/review")
    assert counts(review) == {"new": "3", "due": "0", "done": "0"}
    # Good on a new card: it comes back in ten minutes, so it is due today; one done.
    grade = review.find("form", **{"data-grades": ""}).attrs["action"]
    answer = await client.post(grade, data={"csrf_token": csrf, "rating": "3"})
    assert answer.status_code == 303
    review = await page(client, "/app/review")
    assert counts(review) == {"new": "2", "due": "1", "done": "1"}
    queue = (await client.get("/review/queue")).json()
    assert (queue["new_count"], queue["due_count"]) == (2, 1)
    today = await page(client, "/app")
    assert counts(today) == {"new": "2", "due": "1", "done": "1"}
    assert today.find("h2", id="due-heading").text == "To review today (3)"
    progress = await page(client, "/app/progress")
    assert counts(progress) == {"new": "2", "due": "1"}


async def test_every_grade_moves_the_review_counter(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es")
    await three_cards(client, csrf)
    seen = []
    for rating in ("1", "3", "4", "4"):  # Again keeps a card in learning: still one more done
        review = await page(client, "/app/review")
        seen.append(counts(review))
        grade = review.find("form", **{"data-grades": ""}).attrs["action"]
        await client.post(grade, data={"csrf_token": csrf, "rating": rating})
    assert [int(shown["done"]) for shown in seen] == [0, 1, 2, 3]
    assert all(before != after for before, after in zip(seen, seen[1:], strict=False))


async def test_progress_leads_with_the_learning_and_the_making_comes_after(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    await sign_up(client, "ana", default_target_language="es")
    progress = await page(client, "/app/progress")
    order = [e.attrs["data-stat"] for e in progress.elements if "data-stat" in e.attrs]
    assert order[:4] == ["streak", "reviews", "retention", "accuracy"]
    assert order.index("left-today") < order.index("flashcards")
    assert order.index("answers") < order.index("flashcards")
    headings = [h.text for h in progress.find_all("h2")]
    assert headings.index("What you made") == len(headings) - 1


@pytest.mark.parametrize("days", [7, 30, 90, 365])
@pytest.mark.parametrize("width", [640, 360])
def test_date_labels_never_overlap_on_a_wide_screen_or_a_phone(days: int, width: int) -> None:
    first = date(2026, 11, 1)
    dates = [first + timedelta(days=n) for n in range(days)]
    chart = bar_chart(dates, {"reviews": [1] * days}, "reviews", width=width)
    for font, phone in ((AXIS_FONT, False), (PHONE_FONTS[width], True)):
        shown = [x for x, _, minor in chart.labels if not (phone and minor)]
        assert shown, (days, width, phone)
        wide = label_width(font)  # "03 Dec" in a sans-serif font
        gaps = [b - a for a, b in zip(shown, shown[1:], strict=False)]
        assert all(gap >= wide for gap in gaps), (days, width, phone, gaps)
        assert shown[0] - wide / 2 >= 0, (days, width, phone, shown[0])
        assert shown[-1] + wide / 2 <= width, (days, width, phone, shown[-1])
