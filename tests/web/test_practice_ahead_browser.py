"""Practice outside the schedule in the browser, on a 1280 px desktop and a 390 px phone, light
and dark: "Practice this set" from a saved set's page, the cards with Review's keys (Space
shows the answer, 1–4 grade), "Practice done" at the end, and no card's schedule moved.
Screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fakellm import FakeLLM
from tests.web.screens import PHONE, SCREENS
from tests.web.test_browser import check_page, sign_up

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
CARDS = 8  # the first deck's


async def saved_first_deck(tab: Any) -> str:
    """The first deck gone through and saved: its page's path."""
    page = tab.page
    for _ in range(CARDS):
        await page.keyboard.press("ArrowRight")
    end = page.locator("[data-deck-end]")
    await end.get_by_role("link", name="Save to your library").click()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text("Saved as")).to_be_visible()
    await tab.goto("/app/library")
    href = await page.locator("a[href^='/app/library/']").first.get_attribute("href")
    assert href is not None
    assert re.fullmatch(r"/app/library/\d+", href), href
    return href


async def test_practice_this_set_on_every_screen(
    serve: Any,
    journey: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
    db: AsyncEngine,
) -> None:
    server = serve(**fake_llm_settings)
    for scheme, width, options in SCREENS:
        phone = options is PHONE
        tab = await journey(server.url, name=f"{scheme}-{width}", color_scheme=scheme, **options)
        page = tab.page
        await sign_up(tab, f"pablo_{scheme}_{width}", first_deck=True)
        item = await saved_first_deck(tab)
        await check_page(tab, item, phone)
        await page.get_by_role("link", name="Practice this set").click()
        await expect(page).to_have_url(re.compile(r"/app/review/practice\?saved_content_id=\d+$"))
        position = page.locator("[data-position]")
        await expect(position).to_have_text(f"Card 1 of {CARDS}")
        await expect(page.locator("[data-answer]")).to_be_hidden()
        await tab.shot("practice-front", full_page=False)
        await page.keyboard.press("Space")
        await expect(page.locator("[data-answer]")).to_be_visible()
        await expect(page.get_by_role("button", name=re.compile(r"^Good"))).to_be_visible()
        await tab.shot("practice-answer", full_page=False)
        await page.keyboard.press("3")
        await expect(position).to_have_text(f"Card 2 of {CARDS}")
        await expect(page.locator("[data-answer]")).to_be_hidden()
        # The buttons work as the keys do.
        await page.get_by_role("link", name=re.compile(r"^Show answer")).click()
        await page.get_by_role("button", name=re.compile(r"^Again")).click()
        await expect(position).to_have_text(f"Card 3 of {CARDS}")
        for number in range(3, CARDS + 1):
            await page.keyboard.press("Space")
            await page.keyboard.press("4")
            if number < CARDS:
                await expect(position).to_have_text(f"Card {number + 1} of {CARDS}")
        done = page.locator("[data-practice-done]")
        await expect(done).to_contain_text(f"You practiced {CARDS} cards.")
        await tab.shot("practice-done")
        await check_page(tab, page.url.removeprefix(server.url) + "&show=true", phone)
        # The schedule is as it was: every card of the deck still new.
        await tab.goto("/app/review")
        await expect(page.locator("[data-front]")).to_have_text("la palabra 1")
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 0
        assert await connection.scalar(text("SELECT count(*) FROM review_cards")) == 4 * CARDS
        assert (
            await connection.scalar(
                text("SELECT count(*) FROM review_cards WHERE last_review IS NOT NULL")
            )
            == 0
        )
