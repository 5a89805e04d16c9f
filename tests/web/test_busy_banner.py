"""The Create page when the learner already has as many requests to the model under way as
they may (here one, from another tab or an API client): a banner that says so, not the
per-minute limit's, with its countdown; at 1280 and 390 px, in light and dark."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
from playwright.async_api import expect

from tests.factories import PASSWORD
from tests.fakellm import FakeLLM
from tests.web.screens import SCREENS
from tests.web.test_browser import generate


async def test_the_create_page_says_when_other_requests_are_still_being_answered(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**fake_llm_settings, MODEL_CALLS_PER_LEARNER=1)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as api:
        await api.post(
            "/auth/register",
            json={"username": "ines", "password": PASSWORD, "default_target_language": "es"},
        )
        token = (
            await api.post("/auth/token", data={"username": "ines", "password": PASSWORD})
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for scheme, width, options in SCREENS:
            tab = await journey(
                server.url, name=f"{scheme}-{width}", color_scheme=scheme, **options
            )
            page = tab.page
            await tab.goto("/app/login")
            await page.get_by_label("Username").fill("ines")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Log in").click()
            await expect(page).to_have_url(re.compile(r"/app$"))
            await tab.goto("/app/generate")
            # A generation of hers in another client, slow to answer.
            asked = len(fake_llm.requests)
            fake_llm.then("delay", 4)
            slow = asyncio.ensure_future(
                api.post(
                    "/generate/flashcards",
                    headers=headers,
                    json={"query": "slow", "count": 2},
                )
            )
            deadline = time.monotonic() + 20
            while len(fake_llm.requests) == asked:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            await generate(tab, "Flashcards", "weather", count=2)
            banner = page.locator("#outcome [data-banner=rate_limited]")
            await expect(banner).to_contain_text("Your other requests are still being answered")
            await expect(banner).to_contain_text("you can generate again in")
            await expect(page.locator("#generate-button")).to_be_disabled()
            await tab.shot("busy")
            await tab.check_accessibility(f"busy banner ({scheme}, {width})")
            assert (await slow).status_code == 200
            # Its call has ended and the countdown with it: Generate works again.
            await expect(page.locator("#generate-button")).to_be_enabled(timeout=5000)
            await generate(tab, "Flashcards", "weather", count=2)
            await expect(page.locator("[data-counter]")).to_have_text("Card 1 of 2")
