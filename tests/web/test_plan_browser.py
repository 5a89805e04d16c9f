"""The study plan in the browser, at 390 px (a phone) and 1280 px, light and dark: Today's
invitation, My plan made from its form, Today led by the plan, a step started from Today's
one button. Every page is checked for overflow, accessibility (axe) and tap targets on the
phone; screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fakellm import FakeLLM
from tests.web.screens import PHONE, SCREENS
from tests.web.test_browser import check_page, sign_up

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)


async def test_a_plan_made_and_followed_on_every_screen(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**fake_llm_settings)
    for scheme, width, options in SCREENS:
        phone = options is PHONE
        tab = await journey(server.url, name=f"{scheme}-{width}", color_scheme=scheme, **options)
        page = tab.page
        await sign_up(tab, f"pia_{scheme}_{width}", first_deck=False)
        await expect(page.get_by_role("heading", name="Follow a plan")).to_be_visible()
        await check_page(tab, "/app/plan", phone)
        await page.get_by_label("Weeks").select_option("6")
        await page.get_by_label("Time a day").select_option("15")
        await page.get_by_role("button", name="Make my plan").click()
        await expect(page).to_have_url(re.compile(r"/app$"))
        plan = page.locator("[data-plan-today]")
        await expect(plan.get_by_role("heading", name="Today's plan")).to_be_visible()
        await expect(plan).to_contain_text("Week 1 of 6 · Unit 1 of 12")
        await check_page(tab, "/app", phone)
        await plan.get_by_role("button", name="Start: Deck: Last weekend").click()
        await expect(page).to_have_url(re.compile(r"/app/library/\d+#study$"))
        await expect(page.locator("[data-counter]")).to_have_text("Card 1 of 7")
        # Back on Today: the deck's new cards are the next step.
        await check_page(tab, "/app", phone)
        await expect(
            plan.get_by_role("link", name=re.compile(r"^Review \d+ cards$"))
        ).to_be_visible()
        await check_page(tab, "/app/plan", phone)
        current = page.locator("[data-unit=a2-01]")
        await expect(current.get_by_role("link", name="Open Deck: Last weekend")).to_be_visible()
