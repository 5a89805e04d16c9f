""" "Find my level" in the browser, from onboarding to the level kept, on a 390 px phone and a
1280 px desktop in light and dark: the word checklist, the gap texts, the result. Each page
a screenshot, no horizontal overflow, no serious axe finding, tap targets of 44 px on the
phone. Screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from typing import Any

import pytest
import wordfreq
from playwright.async_api import expect

from tests.fakellm import FakeLLM
from tests.web.screens import PHONE, SCREENS
from tests.web.test_browser import check_page, register

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)


async def checked(tab: Any, phone: bool) -> None:
    """The page in view checked as every page is (it is loaded again by its address)."""
    await check_page(tab, tab.page.url.removeprefix(tab.base_url), phone)


@pytest.mark.parametrize(("scheme", "width", "options"), SCREENS)
async def test_find_my_level_from_onboarding_to_the_profile(
    serve: Any,
    journey: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
    scheme: str,
    width: int,
    options: dict[str, Any],
) -> None:
    phone = options is PHONE
    server = serve(**fake_llm_settings)
    tab = await journey(server.url, name=f"{scheme}-{width}", color_scheme=scheme, **options)
    page = tab.page
    await register(tab, f"lena_{scheme}_{width}")
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/app/welcome$"))
    await page.get_by_label("Language you want to learn").fill("Spanish")
    await page.get_by_role("button", name="Find my level").click()
    await expect(page).to_have_url(re.compile(r"/app/placement$"))
    await expect(page.get_by_role("link", name="I know my level")).to_be_visible()
    await checked(tab, phone)
    await page.get_by_role("button", name="Start the test").click()
    await expect(page).to_have_url(re.compile(r"/app/placement/\d+$"))
    words = page.locator(".word-choice input")
    rounds = 0
    while await words.count():
        rounds += 1
        if rounds == 1:
            await checked(tab, phone)
        # The learner knows the common words (and no made-up one).
        for index in range(await words.count()):
            choice = page.locator(".word-choice").nth(index)
            if wordfreq.zipf_frequency(await choice.inner_text(), "es") >= 4.5:
                await words.nth(index).check()
        await expect(page.locator(".word-choice:has(input:checked)").first).to_be_visible()
        if rounds == 1:
            await tab.shot("words-ticked", full_page=False)
        await page.get_by_role("button", name="Next").click()
        await page.wait_for_load_state()
    gaps = page.locator(".gap input")
    await expect(gaps.first).to_be_visible()
    await checked(tab, phone)
    await gaps.nth(0).fill("ilia")  # "familia"
    await page.get_by_role("button", name="See my level").click()
    await expect(page.get_by_role("heading", name=re.compile("^Your Spanish:"))).to_be_visible()
    await expect(page.get_by_text(re.compile(r"Gap texts: [ABC][12] \d+%"))).to_be_visible()
    await checked(tab, phone)
    await page.get_by_label("Level to keep").select_option("B1")
    await page.get_by_role("button", name="Keep this level").click()
    await expect(page).to_have_url(re.compile(r"/app/profile\?saved=level$"))
    await expect(page.get_by_text("Your level is now B1.")).to_be_visible()
    await expect(page.get_by_label("Your level (CEFR)")).to_have_value("B1")
    await tab.shot("profile-level-kept", full_page=False)
