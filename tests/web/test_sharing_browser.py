"""A set shared by link in the browser, on a 1280 px desktop and a 390 px phone, light and
dark: its owner shares it from the set's page, a visitor without an account opens the link
(read-only, no form), a third learner adds it to their library and sees whom it came from.
Screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fakellm import FakeLLM
from tests.web.screens import PHONE, SCREENS
from tests.web.test_browser import check_page, sign_up
from tests.web.test_practice_ahead_browser import saved_first_deck

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)


async def shared_link(tab: Any, item: str) -> str:
    """The owner shares the set from its page: the link it shows."""
    page = tab.page
    await tab.goto(item)
    await page.locator("#manage > summary").click()
    await page.get_by_role("button", name="Share this set").click()
    await expect(page).to_have_url(re.compile(r"\?shared=1#share$"))
    await expect(page.get_by_role("status").first).to_contain_text("This set is shared")
    link = await page.get_by_label("Link").input_value()
    assert re.fullmatch(re.escape(tab.base_url) + r"/app/shared/[A-Za-z0-9_-]{32}", link), link
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await page.get_by_role("button", name="Copy link").click()
    await expect(page.locator("[data-copy-link]")).to_have_text("Copied")
    assert await page.evaluate("navigator.clipboard.readText()") == link
    await page.locator("#share").scroll_into_view_if_needed()
    await tab.shot("owner-shared", full_page=False)
    return link


async def test_share_a_set_on_every_screen(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**fake_llm_settings, SIGNUP_RATE_PER_HOUR=100)
    for scheme, width, options in SCREENS:
        phone = options is PHONE
        screen = f"{scheme}-{width}"
        owner = await journey(server.url, name=f"{screen}-owner", color_scheme=scheme, **options)
        name = f"sharer_{scheme}_{width}"
        await sign_up(owner, name, first_deck=True)
        item = await saved_first_deck(owner)
        link = await shared_link(owner, item)
        await check_page(owner, item + "?shared=1", phone)
        path = link.removeprefix(server.url)

        # Without an account: the set read-only, its owner's name, a way to sign in.
        visitor = await journey(
            server.url, name=f"{screen}-visitor", color_scheme=scheme, **options
        )
        answer = await visitor.goto(path)
        assert answer.status == 200
        assert answer.headers["x-robots-tag"] == "noindex"
        page = visitor.page
        robots = page.locator("meta[name=robots]")
        await expect(robots).to_have_attribute("content", "noindex")
        await expect(page.locator("[data-shared-by]")).to_have_text(f"Shared by {name}")
        await expect(page.locator(".shared-cards > li")).to_have_count(8)
        await expect(page.locator("form[method=post]")).to_have_count(0)
        await expect(page.locator("button.play")).to_have_count(0)
        await expect(page.get_by_role("link", name="Log in").last).to_be_visible()
        await check_page(visitor, path, phone)

        # A signed-in learner adds it: their own copy, "Shared by" its owner.
        reader = await journey(server.url, name=f"{screen}-reader", color_scheme=scheme, **options)
        await sign_up(reader, f"reader_{scheme}_{width}", first_deck=False)
        await check_page(reader, path, phone)
        page = reader.page
        await page.get_by_role("button", name="Add to my library").click()
        await expect(page).to_have_url(re.compile(r"/app/library/\d+\?copied=1$"))
        await expect(page.get_by_text("This set is now in your library.")).to_be_visible()
        await expect(page.locator("[data-shared-by]")).to_have_text(f"Shared by {name}")
        await reader.shot("reader-copy", full_page=False)
        await check_page(reader, "/app/library", phone)
        await expect(page.locator("[data-shared-by]")).to_have_text(f"Shared by {name}")

        # The owner stops sharing: the link is a 404 page.
        await owner.goto(item + "?manage=1")
        await owner.page.get_by_role("button", name="Stop sharing").click()
        await expect(owner.page.get_by_role("status").first).to_contain_text("stopped sharing")
        gone = await visitor.goto(path)
        assert gone.status == 404
        await expect(visitor.page.get_by_role("heading", level=1)).to_have_text("Not found")
        await visitor.shot("revoked")
