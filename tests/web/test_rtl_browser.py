"""The pages in a right-to-left interface (Arabic, from the browser's Accept-Language) and with
words of any length, in headless Chromium: the layout mirrors without spilling sideways, every
tap target keeps its 44 × 44 px whatever the fonts make of the words, and the deck's swipes and
arrow keys follow the reading order. Screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.fakellm import FakeLLM
from tests.web.screens import DESKTOP, PHONE, SCREENS
from tests.web.test_browser import PASSWORD, TAP_TARGETS

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Every word of four letters or more of the page's text, links and buttons and labels
# included, replaced by a long one: as a German or a Japanese interface might word it.
LONG_WORDS = """
word => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) {
    if (node.parentElement.closest("script, style, svg, kbd")) continue;
    node.textContent = node.textContent.replace(/[A-Za-z]{4,}/g, word);
  }
}
"""


async def learner_with_history(url: str) -> dict[str, str]:
    """A learner with a saved deck (its cards due for review), checked exercises and a
    conversation; their base language unset, so the browser's languages choose the pages'."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as api:
        await api.post(
            "/auth/register",
            json={"username": "layla", "password": PASSWORD, "default_target_language": "es"},
        )
        token = (
            await api.post("/auth/token", data={"username": "layla", "password": PASSWORD})
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        cards = (
            await api.post(
                "/generate/flashcards", headers=headers, json={"query": "fruit", "count": 4}
            )
        ).json()
        saved = (
            await api.post(
                "/content/save",
                headers=headers,
                json={
                    "content_type": "flashcards",
                    "original_query": "fruit",
                    "content_data": cards["content"],
                    "generation_id": cards["generation_id"],
                    "user_label": "Fruit",
                },
            )
        ).json()
        exercises = (
            await api.post(
                "/generate/exercises", headers=headers, json={"query": "verbs", "count": 3}
            )
        ).json()
        await api.post(
            "/exercises/check",
            headers=headers,
            json={"generation_id": exercises["generation_id"], "item_index": 1, "answer": "si"},
        )
        talk = (
            await api.post("/conversations", headers=headers, json={"topic": "a market"})
        ).json()["conversation_id"]
        await api.post(
            f"/conversations/{talk}/turns", headers=headers, json={"text": "Hola, soy cansado."}
        )
    return {
        "today": "/app",
        "review": "/app/review",
        "create": "/app/generate",
        "deck": f"/app/library/{saved['saved_content_id']}",
        "library": "/app/library",
        "exercises": f"/app/generations/{exercises['generation_id']}",
        "chat": f"/app/conversations/{talk}",
        "progress": "/app/progress",
    }


async def log_in(tab: Any) -> None:
    """By the fields' names: the labels will be in the interface's language."""
    page = tab.page
    await tab.goto("/app/login")
    await page.locator("input[name=username]").fill("layla")
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("main form button[type=submit]").click()
    await expect(page).to_have_url(re.compile(r"/app$"))


async def check_layout(tab: Any, where: str) -> None:
    page = tab.page
    overflow = await page.evaluate(OVERFLOW)
    assert overflow <= 0, (where, overflow)
    small = await page.evaluate(TAP_TARGETS)
    assert not small, (where, small)


async def test_the_pages_in_arabic_mirror_on_a_phone_and_a_desktop_in_light_and_dark(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """Today, Review, Create, a deck, the library, exercises, a chat and Progress with
    `Accept-Language: ar`, at 1280 px and at 390 px, light and dark: `dir="rtl"`, no
    horizontal overflow, no tap target under 44 × 44 px, the header and the arrows mirrored,
    a screenshot each."""
    server = serve(**fake_llm_settings)
    pages = await learner_with_history(server.url)
    for scheme, width, options in SCREENS:
        phone = options is PHONE
        tab = await journey(
            server.url,
            name=f"ar-{scheme}-{width}",
            color_scheme=scheme,
            # A page's load sends the Accept-Language of the context's locale, not the one of
            # extra_http_headers (fetch sends that one): both say Arabic, as a browser would.
            locale="ar",
            extra_http_headers={"Accept-Language": "ar"},
            **options,
        )
        page = tab.page
        await log_in(tab)
        for name, path in pages.items():
            answer = await tab.goto(path)
            assert answer.status == 200, path
            html = page.locator("html")
            await expect(html).to_have_attribute("dir", "rtl")
            await expect(html).to_have_attribute("lang", "ar")
            if name == "review":
                await page.keyboard.press("Space")  # the answer and the grades shown
                await expect(page.locator("[data-grades]")).to_be_visible()
            await tab.shot(name)
            await check_layout(tab, f"{path} ({scheme}, {width} px)")
        # Mirrored: the brand at the right, the account menu at the left.
        brand = await page.locator(".brand").bounding_box()
        menu = await page.locator(".user-menu summary").bounding_box()
        assert brand
        assert menu
        assert brand["x"] > menu["x"], (brand, menu)
        # The deck: "Previous" at the right pointing right, "Next" at the left pointing left.
        await tab.goto(pages["deck"])
        deck = page.locator("[data-deck]")
        previous, following = deck.locator("[data-prev]"), deck.locator("[data-next]")
        back, forward = await previous.bounding_box(), await following.bounding_box()
        assert back
        assert forward
        assert back["x"] > forward["x"], (back, forward)
        for arrow in (previous.locator(".arrow"), following.locator(".arrow")):
            await expect(arrow).to_have_css("transform", "matrix(-1, 0, 0, 1, 0, 0)")
        await expect(previous).to_have_attribute("aria-keyshortcuts", "ArrowRight")
        cards = deck.locator("[data-card]")
        await expect(cards.nth(0)).to_be_visible()
        # The model's Spanish and the learner's title read left to right in the Arabic page.
        await expect(cards.nth(0).locator(".card-text").first).to_have_css("direction", "ltr")
        await expect(page.locator("h1")).to_have_css("direction", "ltr")
        if phone:
            # A swipe to the right is the next card, to the left the previous one.
            for dx, card in ((160, 1), (-160, 0)):
                await deck.evaluate(
                    """(deck, dx) => {
                      const at = (x) => ({ pointerType: "touch", clientX: x, clientY: 300, bubbles: true });
                      deck.dispatchEvent(new PointerEvent("pointerdown", at(100)));
                      deck.dispatchEvent(new PointerEvent("pointerup", at(100 + dx)));
                    }""",
                    dx,
                )
                await expect(cards.nth(card)).to_be_visible()
        else:
            # ← is the next card, → the previous one.
            await page.keyboard.press("ArrowLeft")
            await expect(cards.nth(1)).to_be_visible()
            await page.keyboard.press("ArrowRight")
            await expect(cards.nth(0)).to_be_visible()


@pytest.mark.parametrize(
    ("language", "word"),
    [("de", "Wiederholungseinstellungen"), ("ja", "今日の復習カードをすべて表示する")],
    ids=["German", "Japanese"],
)
async def test_long_words_neither_spill_over_a_phone_nor_shrink_a_tap_target(
    serve: Any,
    journey: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
    language: str,
    word: str,
) -> None:
    """Every word of the pages swapped for a long German compound, or for a line of Japanese
    (no spaces to break at), on a 390 px phone: the text breaks, nothing overflows sideways,
    no tap target falls under 44 × 44 px."""
    server = serve(**fake_llm_settings)
    pages = await learner_with_history(server.url)
    tab = await journey(
        server.url,
        name=language,
        locale=language,
        extra_http_headers={"Accept-Language": language},
        **PHONE,
    )
    page = tab.page
    await log_in(tab)
    for name, path in pages.items():
        await tab.goto(path)
        await expect(page.locator("html")).to_have_attribute("lang", language)
        await page.evaluate(LONG_WORDS, word)
        await tab.shot(name)
        await check_layout(tab, f"{path} ({language})")


@pytest.mark.parametrize("language", ["en", "de", "ja"])
async def test_the_pages_in_their_own_words_fit_a_phone_and_a_desktop(
    serve: Any,
    journey: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
    language: str,
) -> None:
    """Today, Review, Create, a deck, the library, exercises, a chat and Progress in English,
    German (long compounds) and Japanese (no spaces to break at), from their catalogs, at
    1280 and 390 px: `lang` and `dir="ltr"`, no horizontal overflow, no tap target under
    44 × 44 px, a screenshot each."""
    server = serve(**fake_llm_settings)
    pages = await learner_with_history(server.url)
    for width, options in ((1280, DESKTOP), (390, PHONE)):
        tab = await journey(
            server.url,
            name=f"{language}-{width}",
            locale=language,
            extra_http_headers={"Accept-Language": language},
            **options,
        )
        page = tab.page
        await log_in(tab)
        for name, path in pages.items():
            answer = await tab.goto(path)
            assert answer.status == 200, path
            html = page.locator("html")
            await expect(html).to_have_attribute("lang", language)
            await expect(html).to_have_attribute("dir", "ltr")
            if name == "review":
                await page.keyboard.press("Space")
                await expect(page.locator("[data-grades]")).to_be_visible()
            await tab.shot(name)
            await check_layout(tab, f"{path} ({language}, {width} px)")
