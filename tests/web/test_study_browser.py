"""Studying in the browser as a learner meets it: the colours of light and dark mode, the
keys on a deck and in review, the chat box on a phone, the first deck's layout. Exercises one
at a time are in test_browser's practice session. Screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

import langtutor.web
from tests.fakellm import FakeLLM
from tests.web.screens import PHONE
from tests.web.test_browser import RECORD_PLAYS, generate, sign_up

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
CSS = Path(langtutor.web.__file__).parent / "static" / "app.css"
# Every custom property the stylesheet reads, as the page computes it: a self-reference or a
# missing definition computes to the empty string.
COMPUTED_PROPERTIES = """
names => {
  const style = getComputedStyle(document.documentElement);
  const bad = {};
  for (const name of names) {
    const value = style.getPropertyValue(name).trim();
    const valid = ["color", "width", "box-shadow"].some((property) => CSS.supports(property, value));
    if (!value || !valid) bad[name] = value;
  }
  return bad;
}
"""


async def test_every_custom_property_of_the_stylesheet_has_a_value_in_light_and_dark(
    serve: Any, journey: Any
) -> None:
    names = sorted(set(re.findall(r"var\(\s*(--[\w-]+)", CSS.read_text())))
    assert "--accent-wash" in names
    assert len(names) > 15
    server = serve()
    tab = await journey(server.url)
    page = tab.page
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        for path in ("/", "/app/login"):
            await tab.goto(path)
            assert await page.evaluate(COMPUTED_PROPERTIES, names) == {}, (scheme, path)
        # The tints differ from the paper they lie on.
        washes = await page.evaluate(
            """() => {
              const style = getComputedStyle(document.documentElement);
              return ["--paper", "--accent-wash", "--ok-wash", "--bad-wash", "--simulation-wash"]
                .map((name) => style.getPropertyValue(name).trim().toLowerCase());
            }"""
        )
        assert len(set(washes)) == len(washes), (scheme, washes)


async def test_space_and_enter_act_on_the_card_in_view(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """After a click on Next (or on a play button) Space and Enter flip the card in view; they
    never move on. In review they show the answer whatever was clicked last; the sound button
    is round."""
    server = serve(**fake_llm_settings)
    tab = await journey(server.url)
    page = tab.page
    await page.add_init_script(RECORD_PLAYS)
    await sign_up(tab, "nuria", first_deck=True)
    deck = page.locator("[data-deck]")
    counter = deck.locator("[data-counter]")
    await expect(counter).to_have_text("Card 1 of 8")
    await deck.get_by_role("button", name="Next →").click()
    await expect(counter).to_have_text("Card 2 of 8")
    second = deck.locator("[data-card]").nth(1)
    await page.keyboard.press("Space")
    await expect(second.locator(".back")).to_be_visible()
    await expect(counter).to_have_text("Card 2 of 8")
    await page.keyboard.press("Enter")
    await expect(second.locator(".front")).to_be_visible()
    await expect(counter).to_have_text("Card 2 of 8")
    # Next reached with the keyboard: Space and Enter still do not move on (→ does).
    await deck.get_by_role("button", name="Next →").focus()
    await page.keyboard.press("Enter")
    await expect(second.locator(".back")).to_be_visible()
    await expect(counter).to_have_text("Card 2 of 8")
    # A play button clicked: Space flips rather than plays again.
    await second.get_by_role("button", name=re.compile(r"^Listen to the word")).click()
    await page.keyboard.press("Space")
    await expect(second.locator(".front")).to_be_visible()
    assert len(await page.evaluate("window.__played")) == 1
    # The play button reached with Tab plays: it is the key's target.
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")
    assert len(await page.evaluate("window.__played")) == 2
    await expect(second.locator(".front")).to_be_visible()
    await page.keyboard.press("ArrowRight")
    await expect(counter).to_have_text("Card 3 of 8")

    # To the end of the deck, and save it from there.
    for _ in range(6):
        await page.keyboard.press("ArrowRight")
    end = deck.locator("[data-deck-end]")
    await expect(end).to_be_visible()
    await end.get_by_role("link", name="Save to your library").click()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text("Saved as")).to_be_visible()

    await tab.goto("/app/review")
    front = page.locator("[data-front]")
    await expect(front).to_have_text("la palabra 1")
    play = page.locator("[data-review-card] button.play")
    box = await play.bounding_box()
    assert box is not None
    assert 44 <= box["width"] <= 56, box
    assert abs(box["width"] - box["height"]) <= 1, box
    await tab.shot("review-front")
    await play.click()
    await page.keyboard.press("Space")
    await expect(page.locator("[data-answer]")).to_be_visible()
    assert len(await page.evaluate("window.__played")) == 1  # the click played once; Space did not
    # A second Space does not grade: the learner grades with 1-4 or a click.
    await page.keyboard.press("Space")
    await expect(front).to_have_text("la palabra 1")
    await page.get_by_role("button", name=re.compile(r"^Good, next in")).click()
    await expect(front).to_have_text("la palabra 2")
    await expect(page.locator("[data-answer]")).to_be_hidden()
    # "Show answer" reached with Tab: Space shows it (a link would scroll the page).
    await page.get_by_role("link", name=re.compile(r"^Show answer")).focus()
    await page.keyboard.press("Space")
    await expect(page.locator("[data-answer]")).to_be_visible()
    await tab.shot("review-answer")
    await tab.check_accessibility("review, answer")


async def test_the_chat_box_stays_in_view_on_a_phone(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """On a 390 px touch phone, after every turn the box to type in is on screen above the tab
    bar, also when the on-screen keyboard takes half the screen; the line count is live."""
    server = serve(**fake_llm_settings)
    tab = await journey(server.url, **PHONE)
    page = tab.page
    await sign_up(tab, "maite", first_deck=False)
    await tab.goto("/app/conversations")
    await page.get_by_label("Topic of the scene").fill("at the market")
    await page.get_by_role("button", name="Start").tap()
    await expect(page).to_have_url(re.compile(r"/app/conversations/\d+$"))
    log = page.locator("[data-chat-log]")
    await expect(log.locator(".model-line")).to_have_count(1)
    line = page.get_by_label(re.compile(r"^Your line, as"))
    count = page.locator(".meta", has_text="lines")
    await expect(count).to_contain_text("0 of 40 lines")
    await line.tap()
    try:
        for turn in range(1, 6):
            if turn == 5:  # the on-screen keyboard: the page gets half the height
                await page.set_viewport_size({"width": 390, "height": 420})
            # As a learner types: into the box that kept the focus, Enter (or a tap) to send; the
            # third reply streams in slowly, as a real model's does.
            fake_llm.stream_chunks, fake_llm.token_delay_s = (30, 0.05) if turn == 3 else (12, 0)
            await page.keyboard.type(f"Quiero {turn} naranjas.")
            if turn == 2:
                await page.get_by_role("button", name="Send").tap()
            else:
                await page.keyboard.press("Enter")
            await expect(log.locator(".model-line")).to_have_count(turn + 1)
            await expect(count).to_contain_text(f"{turn} of 40 lines")
            await expect(line).to_be_focused()
            # The box and its Send button are on screen, above the tab bar.
            await page.wait_for_function(
                """() => {
                  const box = document.querySelector("#composer").getBoundingClientRect();
                  const tabs = document.querySelector(".tabs").getBoundingClientRect();
                  const bottom = Math.min(tabs.top, window.visualViewport.height);
                  return box.top >= 0 && box.bottom <= bottom + 1;
                }""",
                timeout=3000,
            )
            await tab.shot(f"turn-{turn}", full_page=False)
    finally:
        fake_llm.stream_chunks, fake_llm.token_delay_s = 12, 0.0
    await tab.check_accessibility("conversation on a phone")


async def test_the_first_deck_puts_the_card_first(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """A new learner's first deck on a phone: the card near the top, no Save or rating before
    anything is studied, the model's name only under Details; Save at the end of the deck."""
    server = serve(**fake_llm_settings)
    for scheme in ("light", "dark"):
        tab = await journey(server.url, name=scheme, color_scheme=scheme, **PHONE)
        page = tab.page
        await sign_up(tab, f"iker_{scheme}", first_deck=True)
        deck = page.locator("[data-deck]")
        await expect(deck.locator("[data-counter]")).to_have_text("Card 1 of 8")
        card = await deck.locator("[data-card] .card").first.bounding_box()
        assert card is not None
        assert card["y"] < 250, card
        assert card["y"] + card["height"] < 844 - 64, card
        await expect(page.get_by_role("button", name="Save", exact=True)).to_be_hidden()
        await expect(page.get_by_role("button", name="Send rating")).to_be_hidden()
        await expect(page.get_by_text("fake-model")).to_be_hidden()
        await tab.shot("first-deck")
        await tab.check_accessibility(f"first deck, {scheme}")
        await page.get_by_text("Save, rate, details").tap()
        await expect(page.get_by_text("fake-model")).to_be_visible()
        await tab.shot("first-deck-tools")
        for _ in range(8):
            await deck.get_by_role("button", name="Next →").tap()
        end = deck.locator("[data-deck-end]")
        await expect(end).to_be_visible()
        await tab.shot("first-deck-end")
        await end.get_by_role("link", name="Save to your library").tap()
        await expect(page.get_by_role("heading", name="Save to your library")).to_be_focused()
        await page.get_by_role("button", name="Save", exact=True).tap()
        await expect(page.get_by_text("Saved as")).to_be_visible()


async def test_one_exercise_at_a_time_fits_a_phone_screen(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """Six exercises on a 390 px touch phone: one on screen with its Check button above the
    tab bar, not one long scroll of them all; Check then Continue by taps."""
    server = serve(**fake_llm_settings)
    for scheme in ("light", "dark"):
        tab = await journey(server.url, name=scheme, color_scheme=scheme, **PHONE)
        page = tab.page
        await sign_up(tab, f"olga_{scheme}", first_deck=False)
        await tab.goto("/app/generate")
        await generate(tab, "Exercises", "yes and no", count=6)
        exercises = page.locator(".exercise")
        await expect(exercises).to_have_count(6)
        check = exercises.nth(0).get_by_role("button", name="Check")
        await expect(check).to_be_visible()
        for n in range(1, 6):
            await expect(exercises.nth(n)).to_be_hidden()
        await page.evaluate("window.scrollTo(0, 0)")
        box = await check.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= 844 - 64, box
        assert await page.evaluate("document.documentElement.scrollHeight") < 1.5 * 844
        await tab.shot("exercise-1", full_page=False)
        await tab.check_accessibility(f"one exercise on a phone, {scheme}")
        await exercises.nth(0).get_by_text("no", exact=True).tap()
        await check.tap()
        await expect(exercises.nth(0).locator("[data-result]")).to_contain_text("Not quite")
        await tab.shot("exercise-1-checked", full_page=False)
        await exercises.nth(0).get_by_role("button", name="Continue").tap()
        await expect(exercises.nth(1)).to_be_visible()
        await tab.shot("exercise-2", full_page=False)
