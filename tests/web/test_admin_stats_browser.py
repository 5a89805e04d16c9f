"""The console's figure pages in the browser, at 390 px (a phone) and 1280 px, light and
dark: model health, usage with its charts, the quality report and a generation its comment
links to. Every page is checked for overflow, accessibility (axe) and tap targets on the
phone; screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.factories import PASSWORD, login, register
from tests.fakellm import FakeLLM
from tests.web.screens import PHONE, SCREENS
from tests.web.test_browser import check_page

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)


async def a_week_of_use(url: str, fake_llm: FakeLLM) -> None:
    """The operator (the first account), then a learner's generations: served, asked again
    for the wrong language, refused by the provider (429); a low rating with a comment."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await register(http, "operator")
        learner = await register(http, "lena", default_target_language="es")
        headers = await login(http, learner["username"])
        fake_llm.then("delay", 0.3).then("french").then("valid").then("http_429")
        made = []
        for _ in range(3):
            answer = await http.post(
                "/generate/flashcards", headers=headers, json={"query": "tapas", "count": 3}
            )
            made.append(answer.json().get("generation_id"))
        rated = await http.post(
            "/feedback",
            headers=headers,
            json={"generation_id": made[0], "rating": 1, "feedback_text": "The examples are odd"},
        )
        assert rated.status_code == 201, rated.text


async def test_the_figures_on_every_screen(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(
        FIRST_USER_ADMIN=True, ADMIN_FIGURES_CACHE_S=0, LOG_FLUSH_INTERVAL_S=0.05,
        **fake_llm_settings,
    )  # fmt: skip
    await a_week_of_use(server.url, fake_llm)
    for scheme, width, options in SCREENS:
        phone = options is PHONE
        tab = await journey(server.url, name=f"{scheme}-{width}", color_scheme=scheme, **options)
        page = tab.page
        await tab.goto("/app/login")
        await page.get_by_label("Username").fill("operator")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page).not_to_have_url(re.compile(r"/app/login"))
        await check_page(tab, "/app/admin/health", phone)
        await tab.shot("health-screen", full_page=False)
        await expect(page.locator("table[data-health=day] tbody tr")).to_have_count(1)
        await check_page(tab, "/app/admin/usage", phone)
        await tab.shot("usage-screen", full_page=False)
        await expect(page.locator("svg[data-chart=generations-chart] rect")).to_have_count(1)
        await check_page(tab, "/app/admin/usage?days=7", phone)
        await check_page(tab, "/app/admin/quality", phone)
        await tab.shot("quality-screen", full_page=False)
        await page.get_by_role("link", name="The examples are odd").click()
        await expect(page).to_have_url(re.compile(r"/app/admin/generations/[0-9a-f-]+$"))
        await check_page(tab, page.url.removeprefix(server.url), phone)
        await expect(page.locator("pre[data-content]")).to_contain_text('"cards"')
