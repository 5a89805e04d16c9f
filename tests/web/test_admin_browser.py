"""The console's people side in the browser, at 390 px (a phone) and 1280 px, light and dark:
the Admin link in the account menu, the learners' list, a learner's page with a reset code
made, invitations with a new code, the sign-up policy, the audit log, and the learner's
reset page. Every page is checked for overflow, accessibility (axe) and tap targets on the
phone; screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.web.screens import PHONE, SCREENS
from tests.web.test_browser import PASSWORD, check_page

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)


async def log_in(tab: Any, username: str) -> None:
    page = tab.page
    await tab.goto("/app/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/app$"))


async def test_the_console_on_every_screen(serve: Any, journey: Any) -> None:
    server = serve(FIRST_USER_ADMIN=True)
    async with httpx.AsyncClient(base_url=server.url) as http:
        # The first account is the server's operator (FIRST_USER_ADMIN).
        for name in (
            "olga",
            "ana_martinez",
            "bruno.k",
            "a_learner_with_a_rather_long_name_for_phones",
        ):
            body = {
                "username": name,
                "password": PASSWORD,
                "email": f"{name[:20]}@example.org",
                "default_target_language": "es",
            }
            answer = await http.post("/auth/register", json=body)
            assert answer.status_code == 201, answer.text
    for scheme, width, options in SCREENS:
        phone = options is PHONE
        tab = await journey(server.url, name=f"{scheme}-{width}", color_scheme=scheme, **options)
        page = tab.page
        await log_in(tab, "olga")
        await page.locator(".user-menu summary").click()
        await expect(page.get_by_role("link", name="Admin")).to_be_visible()
        await check_page(tab, "/app/admin/users", phone)
        await expect(page.locator("[data-person]")).to_have_count(4)
        await page.get_by_label("Search by name or email").fill("bruno")
        await page.get_by_role("button", name="Search").click()
        await expect(page.locator("[data-person]")).to_have_count(1)
        await page.get_by_role("link", name="bruno.k").click()
        await expect(page.get_by_role("heading", name="bruno.k")).to_be_visible()
        await page.get_by_role("button", name="Make a reset code").click()
        await expect(page.locator("[data-reset-code] code")).to_have_text(
            re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")
        )
        await tab.shot("reset-code")
        await check_page(tab, "/app/admin/invites", phone)
        await page.get_by_label("Sign-ups it is good for").fill("5")
        await page.get_by_role("button", name="Create code").click()
        await expect(page.locator("[data-new-invite] code")).to_be_visible()
        await tab.shot("new-invite")
        await check_page(tab, "/app/admin/settings", phone)
        await check_page(tab, "/app/admin/audit", phone)
        await check_page(tab, "/app/reset-password", phone)
