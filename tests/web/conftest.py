"""A real browser (Debian's Chromium driven by Playwright) against a real server on 127.0.0.1.

The browser tests need /usr/bin/chromium (`apt-get install chromium`). Without it they are
skipped with that message, except when CI is set: then a missing browser fails the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this
# closed network refuses; the tests must never leave 127.0.0.1.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"
SERIOUS = ("critical", "serious")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        message = f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the browser tests must run, but {message}")
        pytest.skip(message)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


class Journey:
    """A browser tab that records console errors and saves a screenshot of each page."""

    def __init__(self, page: Any, base_url: str, folder: Path) -> None:
        self.page = page
        self.base_url = base_url
        self.folder = folder
        self.console_errors: list[str] = []
        self.shots = 0
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())

    def _console(self, message: Any) -> None:
        # A 4xx answer that a test provokes (429, 401) is logged too; it is not a page error.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    async def goto(self, path: str) -> Any:
        return await self.page.goto(self.base_url + path)

    async def shot(self, name: str, *, full_page: bool = True) -> Path:
        """The whole page, or with `full_page=False` what the screen shows."""
        self.shots += 1
        path = self.folder / f"{self.shots:02d}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path

    async def check_accessibility(self, name: str) -> None:
        """axe-core in the page: no critical or serious violation."""
        from axe_playwright_python.async_playwright import Axe

        results = await Axe().run(self.page)
        bad = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
        assert not bad, f"{name}: " + results.generate_report()


@pytest.fixture
async def journey(
    browser: Any, request: pytest.FixtureRequest, backend: str
) -> AsyncIterator[Callable[[str], Any]]:
    contexts: list[Any] = []
    journeys: list[Journey] = []

    async def open_tab(base_url: str, name: str | None = None, **options: Any) -> Journey:
        """A new browser context (`options`: viewport, color_scheme, is_mobile, locale...)."""
        options.setdefault("locale", "en-GB")
        context = await browser.new_context(accept_downloads=True, **options)
        contexts.append(context)
        test_name = re.sub(r"[^\w-]+", "_", request.node.name)
        folder = OUTPUT / backend / test_name / (name or f"tab{len(contexts)}")
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        tab = Journey(await context.new_page(), base_url, folder)
        journeys.append(tab)
        return tab

    yield open_tab
    for context in contexts:
        await context.close()
    for tab in journeys:
        # A Content-Security-Policy violation or a script error shows up here.
        assert not tab.console_errors, tab.console_errors
