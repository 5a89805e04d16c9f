"""Classes in the browser: a teacher and two learners, each in a browser context of their own.
The teacher makes a class, the learners join with its code (after the notice of what the
teacher will see), the teacher assigns a saved deck, the learners find it on Today, one goes
through it, and the teacher's page shows who did. Then the classes' pages at 390 px and
1280 px, light and dark: overflow, accessibility (axe), tap targets on the phone;
screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.factories import PASSWORD
from tests.fakellm import FakeLLM
from tests.web.screens import DESKTOP, PHONE, SCREENS
from tests.web.test_browser import check_page, sign_up

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)


async def log_in(tab: Any, username: str) -> None:
    page = tab.page
    await tab.goto("/app/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/app$"))


async def join(tab: Any, code: str, *, review: bool) -> None:
    page = tab.page
    await page.locator(".user-menu summary").click()
    await page.get_by_role("link", name="Classes").click()
    await expect(page).to_have_url(re.compile(r"/app/classes$"))
    await page.get_by_label("Join code").fill(code.lower())
    await page.get_by_role("button", name="Next").click()
    notice = page.locator("[data-join-notice]")
    await expect(notice.get_by_role("heading", name="What your teacher will see")).to_be_visible()
    await expect(notice).to_contain_text("You can leave the class at any time")
    await tab.shot("join-notice")
    if not review:
        await page.get_by_label("Put the flashcards of assigned sets into my review").uncheck()
    await page.get_by_role("button", name="Join the class").click()
    await expect(page).to_have_url(re.compile(r"/app/classes/\d+$"))
    await expect(page.get_by_role("heading", name="Your assignments")).to_be_visible()


async def test_a_class_taught_joined_assigned_and_followed(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**fake_llm_settings)
    teacher = await journey(server.url, name="teacher", color_scheme="light", **DESKTOP)
    ana = await journey(server.url, name="ana", color_scheme="dark", **PHONE)
    ben = await journey(server.url, name="ben", color_scheme="light", **PHONE)

    # The teacher's deck, saved; then the class.
    page = teacher.page
    await sign_up(teacher, "tess", first_deck=True)
    await page.get_by_text("Save, rate, details").click()
    await page.get_by_label("Label").fill("Market words")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text("Saved as “Market words”")).to_be_visible()
    await teacher.goto("/app/classes")
    await page.get_by_label("Name").fill("Spanish 1")
    await page.get_by_role("button", name="Make a class").click()
    await expect(page).to_have_url(re.compile(r"/app/classes/\d+$"))
    class_path = page.url.removeprefix(server.url)
    code = (await page.locator("[data-join-code]").text_content() or "").strip()
    assert len(code) == 10

    for tab, name, review in ((ana, "ana", True), (ben, "ben", False)):
        await sign_up(tab, name, first_deck=False)
        await join(tab, code, review=review)

    await teacher.goto(class_path)
    await page.get_by_label("One of your saved sets").select_option(label="Market words")
    await page.get_by_label("Due date (optional)").fill("2099-12-31")
    await page.get_by_role("button", name="Assign to the class").click()
    await expect(page.locator("[data-assignment]")).to_contain_text("0 of 2 done")

    # On Today: the assignment, to do; Ana goes through her copy.
    for tab in (ana, ben):
        await tab.goto("/app")
        assigned = tab.page.locator("[data-assigned]")
        await expect(assigned).to_contain_text("Market words")
        await expect(assigned).to_contain_text("To do")
        await tab.shot("today")
    a = ana.page
    await a.locator("[data-assigned]").get_by_role("link", name="Market words").click()
    deck = a.locator("[data-deck]")
    await expect(deck.locator("[data-counter]")).to_have_text("Card 1 of 8")
    for _ in range(8):
        await a.keyboard.press("ArrowRight")
    await expect(deck.locator("[data-deck-end]")).to_be_visible()
    await ana.goto("/app")
    await expect(a.locator("[data-assigned]")).to_contain_text("Done")

    # The teacher sees who did.
    await teacher.goto(class_path)
    await expect(page.locator("tr[data-member=ana] [data-stat=done]")).to_have_text("1/1")
    await expect(page.locator("tr[data-member=ben] [data-stat=done]")).to_have_text("0/1")
    await expect(page.locator("[data-assignment]")).to_contain_text("1 of 2 done")
    await teacher.shot("teacher-progress")

    # Every screen: the teacher's and a learner's pages.
    for scheme, width, options in SCREENS:
        phone = options is PHONE
        for who, paths in (("tess", ("/app/classes", class_path)), ("ana", ("/app", class_path))):
            tab = await journey(
                server.url, name=f"{who}-{scheme}-{width}", color_scheme=scheme, **options
            )
            await log_in(tab, who)
            for path in paths:
                await check_page(tab, path, phone)
        join_tab = await journey(
            server.url, name=f"join-{scheme}-{width}", color_scheme=scheme, **options
        )
        await log_in(join_tab, "ben")
        await check_page(join_tab, f"/app/classes/join?code={code}", phone)
