"""Speaking in headless Chromium with a fake microphone that plays a WAV spoken by eSpeak NG
(made at test time): a conversation's line said rather than typed, then a dialogue line read
aloud with its word comparison; the pages at 390 and 1280 px, light and dark."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import soundfile
from playwright.async_api import expect

from langtutor.speech.espeak import espeak
from tests.fakellm import FakeLLM
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.screens import SCREENS
from tests.web.test_browser import generate, sign_up

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
SPOKEN = "Hola, quiero un café, por favor."


@pytest.fixture(scope="session")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the fake microphone says: eSpeak NG's Spanish, as 16-bit PCM WAV."""
    speech = espeak().synthesize(SPOKEN, "es")
    path = tmp_path_factory.mktemp("microphone") / "spoken.wav"
    soundfile.write(str(path), speech.samples, speech.sample_rate, subtype="PCM_16")
    return path


@pytest.fixture(scope="session")
async def browser(spoken_wav: Path) -> AsyncIterator[Any]:
    """Chromium with a fake microphone playing `spoken_wav`, its permission granted."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM}")
    from playwright.async_api import async_playwright

    microphone = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={spoken_wav}",
    ]
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + microphone
        )
        yield chromium
        await chromium.close()


def speaking(fake: FakeLLM, settings: dict[str, object]) -> dict[str, object]:
    return settings | {
        "STT_PROVIDER": "openai",
        "STT_BASE_URL": fake.openai_url,
        "STT_MODEL": "fake-whisper",
    }


async def test_a_line_said_and_a_dialogue_line_read_aloud(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**speaking(fake_llm, fake_llm_settings))
    tab = await journey(server.url, permissions=["microphone"])
    page = tab.page
    await sign_up(tab, "sofia", first_deck=False)
    await tab.goto("/app/generate")
    await generate(tab, "Role-play simulation", "ordering coffee")
    await expect(page.locator(".dialogue .line")).to_have_count(2)

    # A dialogue line read aloud ("¿Qué le pongo?"): a word without its accent, one right,
    # one missed.
    fake_llm.transcript = "Que le"
    say_it = page.locator(".dialogue .line").first.get_by_role("button", name="Say it")
    await say_it.click()
    await expect(say_it).to_have_attribute("aria-pressed", "true")
    await page.wait_for_timeout(1200)
    await say_it.click()
    result = page.locator(".dialogue .line").first.locator(".said-result")
    await expect(result).to_contain_text("words said")
    await expect(result.locator(".word-correct")).to_have_text(["le"])
    await expect(result.locator(".word-almost")).to_have_text(["¿Qué (almost)"])
    await expect(result.locator(".word-missed")).to_have_text(["pongo? (missed)"])
    await expect(result).to_contain_text("2 of 3 words said.")
    await expect(result).to_contain_text("This sentence is in your review now.")
    await expect(result).to_contain_text("You said: Que le")
    sent = [r for r in fake_llm.requests if r.path == "/v1/audio/transcriptions"][-1]
    assert sent.body["language"] == "es"
    assert sent.body["bytes"] > 1000  # the microphone's audio, not an empty file
    await tab.shot("read-aloud")
    await tab.check_accessibility("read aloud")

    # A conversation's line said: it lands in the box, read and sent.
    await page.get_by_role("button", name="Play this scene").click()
    await expect(page).to_have_url(re.compile(r"/app/conversations/\d+$"))
    fake_llm.transcript = SPOKEN
    mic = page.get_by_role("button", name="Speak")
    await expect(page.locator("#mic-hint")).to_be_visible()
    await mic.click()
    await expect(mic).to_have_attribute("aria-pressed", "true")
    await page.wait_for_timeout(1200)
    await mic.click()
    line = page.get_by_label("Your line, as Cliente")
    await expect(line).to_have_value(SPOKEN)
    await expect(page.locator("[data-chat-status]")).to_contain_text("change it if you like")
    await tab.shot("conversation-said")
    await line.press("Enter")
    log = page.locator("[data-chat-log]")
    await expect(log.locator(".learner-line .said")).to_have_text(SPOKEN)
    await expect(log.locator(".model-line")).to_have_count(2)
    # The reply over: the page gives the box the focus back then, so only now is a click on
    # the heading sure to leave no field focused.
    await expect(page.locator("[data-chat] button[type=submit]")).to_be_enabled()

    # Space held down (no field focused) records too.
    await page.locator("h1").click()
    await page.keyboard.down("Space")
    await expect(mic).to_have_attribute("aria-pressed", "true")
    await page.wait_for_timeout(1000)
    await page.keyboard.up("Space")
    await expect(line).to_have_value(SPOKEN)
    await tab.check_accessibility("conversation by voice")
    conversation = page.url

    # A flashcard of a deck said right: every word matched, no review card.
    await tab.goto("/app/generate")
    await generate(tab, "Flashcards", "coffee", count=2)
    card = page.locator("[data-card]").first
    fake_llm.transcript = "La palabra 1"
    say_card = card.get_by_role("button", name="Say it")
    await say_card.click()
    await expect(say_card).to_have_attribute("aria-pressed", "true")
    await page.wait_for_timeout(1000)
    await say_card.click()
    await expect(card.locator(".said-result")).to_contain_text("3 of 3 words said.")
    await expect(card.locator(".said-result")).not_to_contain_text("review")
    await tab.shot("deck-said")
    await tab.check_accessibility("deck read aloud")

    for scheme, width, options in SCREENS:
        screen = await journey(server.url, f"{scheme}-{width}", color_scheme=scheme, **options)
        await screen.page.context.add_cookies(await page.context.cookies())
        await screen.goto(conversation.removeprefix(server.url))
        speak = screen.page.get_by_role("button", name="Speak")
        await expect(speak).to_be_visible()
        await screen.page.get_by_label("Your line, as Cliente").fill(SPOKEN)
        await speak.scroll_into_view_if_needed()
        await screen.shot("conversation", full_page=False)
        # The line missed above is a review card now, with its own "Say it".
        await screen.goto("/app/review")
        await expect(screen.page.locator("[data-front]")).to_have_text("¿Qué le pongo?")
        await expect(screen.page.get_by_role("button", name="Say it")).to_be_visible()
        await screen.shot("review")
        wide = await screen.page.evaluate(
            "document.documentElement.scrollWidth > window.innerWidth"
        )
        assert not wide, (scheme, width)


async def test_without_a_transcription_server_there_is_no_microphone(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**fake_llm_settings)
    tab = await journey(server.url)
    page = tab.page
    await sign_up(tab, "teo", first_deck=True)
    await expect(page.locator("[data-counter]")).to_have_text("Card 1 of 8")
    assert await page.locator("[data-say-it]").count() == 0
    await tab.goto("/app/profile")
    await expect(page.get_by_text("Speaking is off on this server")).to_be_visible()
    await expect(page.locator("#speaking-heading ~ p code")).to_have_text("LANGTUTOR_STT_PROVIDER")
