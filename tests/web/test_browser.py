"""The learner's whole journey and every error banner, in headless Chromium, against a real
server with the fake language model. Screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.anki import import_into_anki
from tests.fakellm import FakeLLM
from tests.web.screens import PHONE, SCREENS

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
PASSWORD = "correct horse battery"
# Audio that is asked to play is listed in window.__played instead.
RECORD_PLAYS = (
    "window.__played = []; HTMLMediaElement.prototype.play = function () {"
    " window.__played.push(this.src); return Promise.resolve(); };"
)


async def register(tab: Any, username: str) -> None:
    page = tab.page
    await tab.goto("/app/register")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Password again").fill(PASSWORD)


async def sign_up(tab: Any, username: str, language: str = "Spanish", *, first_deck: bool) -> None:
    """Sign up and take the onboarding step; with `first_deck`, on to the first deck."""
    page = tab.page
    await register(tab, username)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/app/welcome$"))
    await page.get_by_label("Language you want to learn").fill(language)
    await page.get_by_role("radio", name=re.compile(r"^A2 ")).check()
    if not first_deck:
        await page.evaluate(
            "document.querySelectorAll('input[name=topic]').forEach(i => i.remove())"
        )
    await page.get_by_role(
        "button", name=re.compile(r"Make my first deck|Save and continue")
    ).click()
    if first_deck:
        await expect(page).to_have_url(re.compile(r"/app/generations/[0-9a-f-]+$"))
    else:
        await expect(page).to_have_url(re.compile(r"/app$"))


async def generate(tab: Any, kind_label: str, query: str, count: int | None = None) -> None:
    page = tab.page
    form = page.locator("[data-create-form]")
    if await form.count() and await form.get_attribute("open") is None:
        await form.locator("summary").click()  # the form folded to one line after a result
    await page.get_by_role("radio", name=kind_label).check()
    await page.get_by_label("Topic or request").fill(query)
    if count is not None:
        await page.get_by_label("How many items").fill(str(count))
    await page.get_by_role("button", name="Generate", exact=True).click()


async def test_learner_journey(
    serve: Any,
    journey: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
    tmp_path: Path,
) -> None:
    server = serve(**fake_llm_settings)
    tab = await journey(server.url)
    page = tab.page

    # Landing → sign up → one onboarding step → the first deck: three screens.
    await tab.goto("/")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Practise any language")
    await tab.shot("landing")
    await tab.check_accessibility("landing")
    await page.get_by_role("link", name="Create an account").click()
    await register(tab, "ana")
    await tab.shot("register")
    await tab.check_accessibility("register")
    screens = [page.url]
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/app/welcome$"))
    screens.append(page.url)
    await page.get_by_label("Language you want to learn").fill("Spanish")
    await page.get_by_role("radio", name=re.compile(r"^A2 ")).check()
    await page.get_by_label("Daily goal").select_option("10")
    await tab.shot("welcome")
    await tab.check_accessibility("welcome")
    await page.get_by_role("button", name="Make my first deck").click()
    await expect(page).to_have_url(re.compile(r"/app/generations/[0-9a-f-]+$"))
    screens.append(page.url)
    assert len(screens) == 3
    deck = page.locator("[data-deck]")
    await expect(deck.locator("[data-counter]")).to_have_text("Card 1 of 8")
    await tab.shot("first-deck")
    await tab.check_accessibility("first deck")
    # Through the deck to its end: study again, save, or make exercises of it.
    for _ in range(8):
        await page.keyboard.press("ArrowRight")
    end = deck.locator("[data-deck-end]")
    await expect(end).to_be_visible()
    await expect(end).to_contain_text("You went through all 8 cards")
    await expect(end.get_by_role("button", name="Make exercises from these cards")).to_be_visible()
    await tab.shot("deck-end")
    await end.get_by_role("button", name="Study again").click()
    await expect(deck.locator("[data-counter]")).to_have_text("Card 1 of 8")

    # Flashcards, flipped and moved with the keyboard.
    await page.get_by_role("link", name="Create", exact=True).click()
    await expect(page.get_by_label("Language to practise")).to_have_value("Spanish")
    await tab.shot("generate")
    await tab.check_accessibility("generate")
    await generate(tab, "Flashcards", "food at the market", count=3)
    deck = page.locator("[data-deck]")
    await expect(deck.locator("[data-counter]")).to_have_text("Card 1 of 3")
    # The form folds to one line, so that the result has the screen.
    summary = page.locator("[data-create-summary]")
    await expect(summary).to_contain_text("Flashcards · food at the market · Spanish A2")
    first = deck.locator("[data-card]").nth(0)
    await expect(first.locator(".front")).to_be_visible()
    # The model was shown the first deck's 8 words as recent: it numbers on from them.
    await expect(first.locator(".front [lang=es]")).to_have_text("la palabra 9")
    await page.keyboard.press("Space")
    await expect(first.locator(".back")).to_be_visible()
    await expect(first.locator(".back .card-text")).to_have_text("word 9")
    await expect(first.locator(".front")).to_be_hidden()
    await page.keyboard.press("ArrowRight")
    await expect(deck.locator("[data-counter]")).to_have_text("Card 2 of 3")
    await expect(deck.locator("[data-card]").nth(1)).to_be_visible()
    await page.keyboard.press("ArrowLeft")
    await expect(deck.locator("[data-counter]")).to_have_text("Card 1 of 3")
    # Model quality is reported from a card's menu, not graded on its face.
    await first.locator(".item-menu summary").click()
    await first.get_by_role("button", name="Report a problem with card 1").click()
    await expect(first.get_by_text("Reported. Thank you")).to_be_visible()
    await tab.shot("flashcards")
    await tab.check_accessibility("flashcards result")

    # Save them with a label, and rate them: folded under the cards until asked for.
    await expect(page.get_by_label("Label")).to_be_hidden()
    await page.get_by_text("Save, rate, details").click()
    await page.get_by_label("Label").fill("Market words")
    await page.get_by_label("Notes").fill("review before the trip")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text("Saved as “Market words”")).to_be_visible()
    # Saved once: the button gives way to "Saved ✓ · Edit label".
    await expect(page.get_by_role("button", name="Save", exact=True)).to_be_hidden()
    await expect(page.get_by_role("link", name="Edit label")).to_be_visible()
    await page.get_by_label("4 of 5").check()
    await page.get_by_label("Comment (optional)").fill("useful words")
    await page.get_by_role("button", name="Send rating").click()
    await expect(page.get_by_text("Thanks for your rating!")).to_be_visible()

    # Exercises, one at a time, checked by the server: one right, one wrong, and the score.
    await generate(tab, "Exercises", "verbs of movement", count=2)
    exercises = page.locator(".exercise")
    await expect(exercises).to_have_count(2)
    await expect(exercises.nth(1)).to_be_hidden()
    await exercises.nth(0).get_by_label("sí").check()
    await exercises.nth(0).get_by_role("button", name="Check").click()
    await expect(exercises.nth(0).locator("[data-result]")).to_contain_text("Correct")
    await exercises.nth(0).get_by_role("button", name="Continue").click()
    await exercises.nth(1).get_by_label("Your answer").fill("no")
    await exercises.nth(1).get_by_role("button", name="Check").click()
    await expect(exercises.nth(1).locator("[data-result]")).to_contain_text("The answer is sí")
    await expect(exercises.nth(1).get_by_text("Because it is right.")).to_be_visible()
    await exercises.nth(1).get_by_role("button", name="See your score").click()
    await expect(page.locator("[data-score]")).to_have_text(
        "Finished: 1 right, 0 almost, 1 wrong. Score 50%."
    )
    await tab.shot("exercises")
    await tab.check_accessibility("exercises result")

    # A simulation, with a translation shown on demand. The model takes its time: the page
    # shows that it works and keeps the button from sending the request twice.
    fake_llm.then("delay", delay_s=1.5)
    await generate(tab, "Role-play simulation", "ordering tapas")
    await expect(page.locator("#generating")).to_be_visible()
    await expect(page.locator("#generating")).to_contain_text("The model is working on it")
    await expect(page.get_by_role("button", name="Generate", exact=True)).to_be_disabled()
    await expect(page.locator("#generate-form")).to_have_attribute("aria-busy", "true")
    await expect(page.locator(".dialogue .line")).to_have_count(2)
    await expect(page.locator("#generating")).to_be_hidden()
    await expect(page.locator("#generate-button")).to_be_enabled()
    translation = page.locator("#translation-0")
    await expect(translation).to_be_hidden()
    toggle = page.get_by_role("button", name="Show translation of line 1")
    await toggle.click()
    await expect(translation).to_have_text("What can I get you?")
    await expect(translation).to_have_attribute("lang", "en")
    await expect(page.locator("[data-toggle=translation-0]")).to_have_attribute(
        "aria-expanded", "true"
    )
    await tab.shot("simulation")
    await tab.check_accessibility("simulation result")

    # The library finds the flashcards by search; the Anki export imports.
    await page.get_by_role("link", name="Library").click()
    await page.get_by_label("Search").fill("market")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator(".library-list li")).to_have_count(1)
    await tab.shot("library")
    await tab.check_accessibility("library")
    await page.get_by_role("link", name="Market words", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Market words")
    await tab.shot("saved-item")
    await tab.check_accessibility("saved item")
    # The set first; label, notes, rating, export and delete folded under Manage.
    await expect(page.get_by_role("link", name="Anki deck (.apkg)")).to_be_hidden()
    await page.locator(".manage > summary").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Anki deck (.apkg)").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".apkg")
    package = Path(await download.path()).read_bytes()
    notes = import_into_anki(tmp_path / "collection.anki2", package, tmp_path)
    assert sorted(fields["Front"].split(" [sound:")[0] for fields, _tags in notes) == [
        "la palabra 10",
        "la palabra 11",
        "la palabra 9",
    ]
    assert all(tags == ["base::en", "langtutor", "level::A2", "target::es"] for _, tags in notes)

    # Progress shows the four generations (the first deck too).
    await page.get_by_role("link", name="Progress").click()
    for kind, count in (("flashcards", "2"), ("exercises", "1"), ("simulation", "1")):
        await expect(page.locator(f"[data-stat={kind}]")).to_have_text(count)
        await expect(page.locator(f"rect.bar-{kind}")).to_have_count(1)
    await expect(page.locator("[data-stat=saved]")).to_have_text("1")
    await expect(page.locator("[data-stat=streak]")).to_have_text("1")
    await tab.shot("progress")
    await tab.check_accessibility("progress")

    # A returning learner lands on Today: the streak, the daily goal, what is due, where to
    # continue (the saved set, at the card reached), recent items.
    await page.locator(".user-menu summary").click()
    await page.get_by_role("button", name="Log out").click()
    await tab.goto("/app/login")
    await page.get_by_label("Username").fill("ana")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/app$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    await expect(page.locator("[data-streak] .stat-number")).to_have_text("1")
    await expect(page.locator("[data-goal]")).to_contain_text("/ 10")
    # Market words' three cards, and the exercise answered wrong.
    await expect(page.get_by_role("heading", name="To review today (4)")).to_be_visible()
    continue_panel = page.locator("section", has=page.get_by_role("heading", name="Continue"))
    await expect(continue_panel).to_contain_text("Market words")
    await expect(page.locator(".recent li")).to_have_count(1)
    await tab.shot("today")
    await tab.check_accessibility("today")
    await continue_panel.get_by_role("link", name=re.compile("^Continue")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Market words")

    # On a phone: nothing wider than the screen, the cards still flip.
    await page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/app/generate", "/app/progress", "/app/library"):
        await tab.goto(path)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)
    await page.get_by_role("link", name="Market words", exact=True).click()
    await page.locator("[data-card]").nth(0).locator("[data-flip]").click()
    await expect(page.locator("[data-card] .back").nth(0)).to_be_visible()
    # A swipe moves to the next card.
    box = await page.locator("[data-card]").nth(0).locator("[data-flip]").bounding_box()
    assert box is not None
    await page.dispatch_event(
        "[data-deck]",
        "pointerdown",
        {"pointerType": "touch", "clientX": box["x"] + 250, "clientY": box["y"] + 50},
    )
    await page.dispatch_event(
        "[data-deck]",
        "pointerup",
        {"pointerType": "touch", "clientX": box["x"] + 50, "clientY": box["y"] + 50},
    )
    await expect(page.locator("[data-counter]")).to_have_text("Card 2 of 3")
    await tab.shot("phone-saved-item")
    assert tab.shots >= 11


async def test_error_banners(
    serve: Any,
    journey: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
    db: AsyncEngine,
) -> None:
    # No provider configured: in plain words, the settings folded away for the administrator;
    # Generate is off, and says why.
    bare = await journey(serve(LLM_PROVIDER="none").url)
    await bare.goto("/")
    await expect(
        bare.page.locator("[data-banner=no_provider], .banner-no_provider").first
    ).to_contain_text("has not connected a language model")
    await sign_up(bare, "nomodel", "German", first_deck=False)
    notice = bare.page.locator("#banners [data-banner=no_provider]")
    await expect(notice).to_contain_text("not set up on this server yet")
    await expect(notice).to_contain_text("library, reviews and progress all work")
    await expect(notice.get_by_text("LANGTUTOR_LLM_PROVIDER")).to_be_hidden()
    await notice.get_by_text("For the administrator").click()
    await expect(notice.get_by_text("LANGTUTOR_LLM_PROVIDER")).to_be_visible()
    await bare.goto("/app/generate")
    await expect(bare.page.get_by_role("button", name="Generate", exact=True)).to_be_disabled()
    await expect(bare.page.locator("#generate-disabled")).to_contain_text("Generate is off")
    await bare.shot("no-provider")
    await bare.check_accessibility("no provider banner")

    # The model fails (invalid output twice: the repair round fails too); Retry succeeds.
    tab = await journey(serve(**fake_llm_settings, GENERATION_RATE_PER_MINUTE=2).url)
    page = tab.page
    await sign_up(tab, "unlucky", "French", first_deck=False)
    await tab.goto("/app/generate")
    fake_llm.then("invalid_json").then("invalid_json")
    await generate(tab, "Flashcards", "weather", count=2)
    failed = page.locator("#outcome [data-banner=model_failed]")
    await expect(failed).to_be_visible()
    await expect(page.get_by_label("Topic or request")).to_have_value("weather")
    # A sentence for the learner; the parser's words only under Details.
    await expect(failed).to_contain_text("answered with something unusable, twice")
    await expect(failed.get_by_text("Invalid JSON")).to_be_hidden()
    await tab.shot("model-failed")
    await tab.check_accessibility("model failed banner")
    await failed.get_by_role("button", name="Try again").click()
    await expect(page.locator("[data-deck] [data-counter]")).to_have_text("Card 1 of 2")
    await expect(failed).to_have_count(0)

    # Session expired: the token is revoked behind the page's back.
    async with db.begin() as connection:
        await connection.execute(text("UPDATE auth_tokens SET revoked_at = CURRENT_TIMESTAMP"))
    await generate(tab, "Flashcards", "after expiry", count=2)
    expired = page.locator("#outcome [data-banner=session_expired]")
    await expect(expired).to_be_visible()
    await tab.shot("session-expired-inline")
    await expired.get_by_role("link", name="Log in again").click()
    await expect(page.locator("#banners [data-banner=session_expired]")).to_be_visible()
    await tab.shot("session-expired-login")
    await tab.check_accessibility("login with expired banner")
    await page.get_by_label("Username").fill("unlucky")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/app/generate$"))

    # Rate limited: two generations a minute, the third is refused with when to retry.
    await generate(tab, "Flashcards", "weather again", count=2)
    limited = page.locator("#outcome [data-banner=rate_limited]")
    await expect(limited).to_contain_text("You can generate again in")
    seconds = int(await limited.locator("[data-retry-after]").get_attribute("data-retry-after"))
    assert 1 <= seconds <= 60
    # It counts down, with Generate off until then.
    await expect(page.locator("#generate-button")).to_be_disabled()
    shown = limited.locator("[data-retry-after]")
    await expect(shown).not_to_have_text(f"{seconds} seconds", timeout=3000)
    await tab.shot("rate-limited")


async def test_review_session(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """Save a set, review all its cards with the keyboard (one Again that comes back in the
    same session), undo one, and find the reviews on the progress page."""
    server = serve(**fake_llm_settings)
    tab = await journey(server.url)
    page = tab.page
    await sign_up(tab, "rosa", first_deck=False)
    await tab.goto("/app/generate")
    await generate(tab, "Flashcards", "fruit", count=3)
    await page.get_by_text("Save, rate, details").click()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_text("Saved as")).to_be_visible()

    await tab.goto("/app/library")
    await expect(page.locator("[data-due-badge]")).to_have_text("3")
    await page.get_by_role("link", name=re.compile(r"^Review, 3 cards")).click()
    await expect(page.get_by_role("heading", name="Review", level=1)).to_be_visible()
    await expect(page.locator("[data-left]")).to_have_text("3 new · 0 due · 0 done today")
    front = page.locator("[data-front]")
    await expect(front).to_have_text("la palabra 1")
    await expect(front).to_have_attribute("lang", "es")
    await expect(page.locator("[data-answer]")).to_be_hidden()
    await tab.shot("review-front")
    await tab.check_accessibility("review, front")

    await page.keyboard.press("Space")
    await expect(page.locator("[data-back]")).to_have_text("word 1")
    await expect(page.locator("[data-back]")).to_have_attribute("lang", "en")
    grades = page.locator("[data-grades]")
    await expect(grades.get_by_role("button", name="Again, next in 1m")).to_be_visible()
    await expect(grades.get_by_role("button", name="Good, next in 10m")).to_be_visible()
    await expect(
        grades.get_by_role("button", name=re.compile(r"^Easy, next in \d+d$"))
    ).to_be_visible()
    await tab.shot("review-answer")
    await tab.check_accessibility("review, answer")
    await page.keyboard.press("1")  # Again: it comes back in this session

    for word in ("la palabra 2", "la palabra 3"):
        await expect(front).to_have_text(word)
        await page.keyboard.press("Enter")
        await expect(page.locator("[data-answer]")).to_be_visible()
        await page.keyboard.press("4")
    await expect(front).to_have_text("la palabra 1")  # the Again card, once more
    await expect(page.locator("[data-left]")).to_have_text("0 new · 1 due · 3 done today")
    await page.keyboard.press("Space")
    await page.keyboard.press("4")
    done = page.get_by_role("heading", name="All done for today")
    await expect(done).to_be_visible()
    await expect(page.locator("[data-next-due]")).to_contain_text("Your next card is due in")
    await expect(page.locator("[data-due-badge]")).to_be_hidden()
    await tab.shot("review-done")
    await tab.check_accessibility("review, all done")

    # U undoes the last review: that card is back, front first, to be graded again.
    await page.keyboard.press("u")
    await expect(front).to_have_text("la palabra 1")
    await expect(page.locator("[data-answer]")).to_be_hidden()
    await page.keyboard.press("Space")
    await page.get_by_role("button", name=re.compile(r"^Easy, next in")).click()
    await expect(done).to_be_visible()

    await page.get_by_role("link", name="See your progress").click()
    await expect(page.locator("[data-stat=reviews]")).to_have_text("4")  # 5 less the undone
    await expect(page.locator("[data-chart=review-chart] rect.bar-reviews")).to_have_count(1)
    await expect(page.locator("[data-chart=forecast-chart] rect.bar-forecast")).not_to_have_count(0)
    await expect(page.locator("[data-stat=cards-review]")).to_have_text("3")
    await tab.shot("progress-review")
    await tab.check_accessibility("progress with reviews")
    await page.set_viewport_size({"width": 390, "height": 844})
    await tab.goto("/app/review")
    await tab.shot("review-done-phone")
    overflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow


async def test_practice_session(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """Exercises one at a time, checked by the server, with the keyboard as with the mouse:
    one right, one almost (an accent), two wrong (one a translation graded by the model); an
    explanation; the score and the mistakes at the end; the whole list on one page to print;
    the mistakes in the review queue; accuracy and the weakest items on the progress page."""
    server = serve(**fake_llm_settings)
    tab = await journey(server.url)
    page = tab.page
    await sign_up(tab, "pilar", first_deck=False)
    await tab.goto("/app/generate")
    # The fake's exercises: multiple choice, fill in the blank, translation, multiple choice;
    # every answer is "sí".
    await generate(tab, "Exercises", "yes and no", count=4)
    exercises = page.locator(".exercise")
    await expect(exercises).to_have_count(4)
    step, bar = page.locator("[data-step]"), page.locator("[data-progress-bar]")
    first = exercises.nth(0)
    await expect(first).to_be_visible()
    for n in (1, 2, 3):
        await expect(exercises.nth(n)).to_be_hidden()
    await expect(step).to_have_text("Exercise 1 of 4")
    await expect(bar).to_have_js_property("value", 0)
    await tab.shot("practice-start")
    await tab.check_accessibility("exercises, one at a time")

    # Check with nothing chosen: said in the page, not in the browser's own bubble.
    await first.get_by_role("button", name="Check").click()
    await expect(first.locator(".exercise-note")).to_have_text("Choose an answer first.")
    # 1 chooses the first option, Enter checks, Enter continues.
    await page.keyboard.press("1")
    await expect(first.get_by_label("sí")).to_be_checked()
    await page.keyboard.press("Enter")
    await expect(first.locator("[data-result]")).to_contain_text("Correct")
    await expect(first.locator("label.choice.is-right")).to_have_text("sí")
    await expect(bar).to_have_js_property("value", 1)
    await expect(first.get_by_role("button", name="Continue")).to_be_focused()
    await tab.shot("practice-first-checked")
    await page.keyboard.press("Enter")
    second = exercises.nth(1)
    await expect(second).to_be_visible()
    await expect(first).to_be_hidden()
    await expect(step).to_have_text("Exercise 2 of 4")
    await expect(second.get_by_label("Your answer")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(second.locator(".exercise-note")).to_have_text("Type your answer first.")
    await page.keyboard.type("si")
    await page.keyboard.press("Enter")
    almost = second.locator("[data-result]")
    await expect(almost).to_contain_text("Almost")
    await expect(almost).to_contain_text("Mind the accent: sí")
    await expect(almost.locator("em")).to_have_text("sí")
    await expect(almost).to_contain_text("Added to your review cards")
    await page.keyboard.press("Enter")

    third = exercises.nth(2)
    await third.get_by_label("Your answer").fill("No, gracias")
    await third.get_by_role("button", name="Check").click()
    await expect(third.locator("[data-result]")).to_contain_text("It should read: sí.")
    await third.get_by_role("button", name="Continue").click()

    wrong = exercises.nth(3)
    await wrong.get_by_label("no", exact=True).check()
    await wrong.get_by_role("button", name="Check").click()
    await expect(wrong.locator("[data-result]")).to_contain_text("Not quite")
    await expect(wrong.locator("label.choice.is-wrong")).to_have_text("no")
    await expect(wrong.locator("label.choice.is-right")).to_have_text("sí")
    await expect(wrong.get_by_role("button", name="Check")).to_be_hidden()
    await wrong.get_by_role("button", name="Explain my answer to exercise 4").click()
    await expect(wrong.locator("[data-explanation]")).to_contain_text(
        "The answer is sí because of the rule."
    )
    await expect(wrong.locator("[data-explanation] .example")).to_have_text("Otro ejemplo con sí.")
    await wrong.get_by_role("button", name="See your score").click()

    # The score, then the three mistakes with their verdicts; the right answer is not there.
    summary = page.locator("[data-exercise-summary]")
    await expect(summary).to_be_focused()
    await expect(page.locator("[data-score]")).to_have_text(
        "Finished: 1 right, 1 almost, 2 wrong. Score 38%."
    )
    await expect(summary.get_by_role("heading", name="Your mistakes")).to_be_visible()
    await expect(first).to_be_hidden()
    for n in (1, 2, 3):
        await expect(exercises.nth(n)).to_be_visible()
        await expect(exercises.nth(n).get_by_role("button", name="Continue")).to_be_hidden()
    await tab.shot("practice-checked")
    await tab.check_accessibility("exercises checked")
    await page.set_viewport_size({"width": 390, "height": 844})
    await tab.shot("practice-checked-phone")
    assert not await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    await page.set_viewport_size({"width": 1280, "height": 900})

    # Practise again: from the first, nothing checked.
    await summary.get_by_role("button", name="Practise again").click()
    await expect(step).to_have_text("Exercise 1 of 4")
    await expect(first.get_by_label("sí")).not_to_be_checked()
    await expect(first.get_by_role("button", name="Check")).to_be_visible()
    await expect(bar).to_have_js_property("value", 0)

    # The whole list on one page, to print: every exercise a plain form.
    await page.get_by_role("link", name="All 4 exercises on one page, to print").click()
    await expect(page).to_have_url(re.compile(r"/app/generations/[0-9a-f-]+\?view=list$"))
    for n in range(4):
        await expect(page.locator(".exercise").nth(n)).to_be_visible()
    await expect(page.get_by_role("button", name="Print")).to_be_visible()
    await tab.shot("practice-list")
    await page.emulate_media(media="print")
    await tab.shot("practice-list-printed")
    await page.emulate_media(media="screen")

    # The three mistakes wait in the review queue.
    await tab.goto("/app/review")
    await expect(page.locator("[data-left]")).to_have_text("3 new · 0 due · 0 done today")
    await expect(page.locator("[data-front]")).to_have_text(re.compile(r"^Pregunta [234]"))
    await page.keyboard.press("Space")
    await expect(page.locator("[data-back]")).to_have_text("sí")
    await tab.shot("practice-review")

    await tab.goto("/app/progress")
    await expect(page.locator("[data-stat=accuracy]")).to_have_text("38%")
    weakest = page.locator("[data-weakest] li")
    await expect(weakest).to_have_count(3)
    await expect(weakest.first).to_contain_text("Pregunta")
    await tab.shot("progress-practice")
    await tab.check_accessibility("progress with practice")


# What a learner's fingers must be able to hit on a phone, measured from the rendered boxes.
# Links inside running text are exempt (as in WCAG's target-size rule); a radio button or a
# checkbox is hit through its label.
TAP_TARGETS = """
() => {
  const small = [];
  const selector = "a, button, input:not([type=hidden]), select, textarea, summary";
  for (const element of document.querySelectorAll(selector)) {
    if (!element.getClientRects().length || element.closest(".visually-hidden, [hidden]")) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden") continue;
    if (element.tagName === "A" && style.display === "inline") continue;
    let target = element;
    if (element.matches("input[type=radio], input[type=checkbox]")) target = element.closest("label") || element;
    const box = target.getBoundingClientRect();
    if (box.width < 44 || box.height < 44) {
      small.push(`${element.tagName.toLowerCase()} "${(element.textContent || element.name || "").trim().slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}
"""


async def test_every_page_on_a_phone_and_a_desktop_in_light_and_dark(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """Every page of a learner with some history, at 1280 px and at 390 px (a touch phone),
    in light and dark mode: a screenshot each, no horizontal overflow, no serious axe finding,
    and at 390 px every tap target at least 44 × 44 px."""
    server = serve(**fake_llm_settings)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        await api.post(
            "/auth/register",
            json={"username": "zoe", "password": PASSWORD, "default_target_language": "es"},
        )
        token = (
            await api.post("/auth/token", data={"username": "zoe", "password": PASSWORD})
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
        # Half-way through the fruit: the home page offers to continue there.
        await api.post(
            f"/content/{saved['saved_content_id']}/study", headers=headers, json={"position": 2}
        )
    sid, gid = saved["saved_content_id"], exercises["generation_id"]
    assert talk
    signed_out = ["/", "/app/login", "/app/register"]
    signed_in = [
        "/app",
        "/app/generate",
        f"/app/generations/{gid}",
        "/app/library",
        f"/app/library/{sid}",
        "/app/review",
        "/app/progress",
        "/app/profile",
        "/app/conversations",
        f"/app/conversations/{talk}",
        "/app/welcome",
        "/app/library/2147483647",  # not found: the error page
    ]
    for scheme, width, options in SCREENS:
        phone = options is PHONE
        tab = await journey(server.url, name=f"{scheme}-{width}", color_scheme=scheme, **options)
        page = tab.page
        for path in signed_out:
            await check_page(tab, path, phone)
        await tab.goto("/app/login")
        await page.get_by_label("Username").fill("zoe")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page).to_have_url(re.compile(r"/app$"))
        # A returning learner lands on Today: streak, what is due, Continue, recent sets.
        await expect(page.locator("[data-streak] .stat-number")).to_have_text("1")
        await expect(
            page.get_by_role("heading", name=re.compile(r"^To review today"))
        ).to_be_visible()
        await expect(page.get_by_role("heading", name="Continue")).to_be_visible()
        await expect(page.locator(".recent li")).to_have_count(1)
        for path in signed_in:
            await check_page(tab, path, phone)
        if phone:
            # A brand-new learner on a phone: sign-up, one onboarding step, a first deck.
            newcomer = await journey(server.url, name=f"{scheme}-{width}-new", **options)
            await sign_up(newcomer, f"new_{scheme}", first_deck=True)
            await expect(newcomer.page.locator("[data-counter]")).to_have_text("Card 1 of 8")
            await newcomer.shot("first-deck")
            # The tab bar: fixed at the bottom, each tab at least 48 px tall.
            await tab.goto("/app/progress")
            tabs = await page.locator(".tabs .tab").evaluate_all(
                "els => els.map(e => e.getBoundingClientRect()).map(b => [b.height, b.bottom])"
            )
            assert len(tabs) == 6
            assert all(height >= 48 and bottom >= 844 - 1 for height, bottom in tabs), tabs


async def check_page(tab: Any, path: str, phone: bool) -> None:
    page = tab.page
    answer = await tab.goto(path)
    assert answer.status < 500, path
    name = path.strip("/").replace("/", "-") or "landing"
    await tab.shot(name[:40])
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, (path, overflow)
    await tab.check_accessibility(f"{path} ({'phone' if phone else 'desktop'})")
    if phone:
        small = await page.evaluate(TAP_TARGETS)
        assert not small, (path, small)


async def test_conversation(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """From a simulation, a role-play: two lines sent with the keyboard, the reply streaming
    in, a correction with its difference marked, then the summary."""
    server = serve(**fake_llm_settings)
    tab = await journey(server.url)
    page = tab.page
    await sign_up(tab, "carmen", first_deck=False)
    await tab.goto("/app/generate")
    await generate(tab, "Role-play simulation", "ordering tapas")
    await expect(page.locator(".dialogue .line")).to_have_count(2)
    await expect(page.get_by_label("Your role")).to_have_value("Cliente")
    await page.get_by_role("button", name="Play this scene").click()
    await expect(page).to_have_url(re.compile(r"/app/conversations/\d+$"))
    log = page.locator("[data-chat-log]")
    await expect(log.locator(".model-line")).to_have_count(1)
    await expect(log.locator(".model-line .said")).to_have_text("¡Hola! ¿Qué le pongo?")

    fake_llm.stream_chunks, fake_llm.token_delay_s = 30, 0.05
    try:
        line = page.get_by_label("Your line, as Cliente")
        await line.fill("Hola, soy cansado.")
        await line.press("Shift+Enter")  # a new line, not sent
        await line.type("Una caña, por favor.")
        await line.press("Enter")
        reply = log.locator(".model-line").nth(1).locator(".said")
        # The reply grows as it streams in, before it is complete.
        await expect(reply).to_contain_text("¡Cla")
        partial = await reply.text_content()
        await expect(reply).to_have_text("¡Claro! ¿Algo más? (turno 2)")
        assert partial is not None
        assert len(partial) < len("¡Claro! ¿Algo más? (turno 2)")
    finally:
        fake_llm.stream_chunks, fake_llm.token_delay_s = 12, 0.0
    correction = log.locator("[data-corrections]").first
    await expect(correction.locator("del")).to_have_text("soy")
    await expect(correction.locator("ins")).to_have_text("estoy")
    await expect(correction).to_contain_text("Use estar")
    await line.fill("Gracias.")
    await line.press("Enter")
    await expect(log.locator(".model-line")).to_have_count(3)
    await expect(log.locator(".no-corrections")).to_have_count(1)
    await log.get_by_role("button", name="Show translation of line 5").click()
    await expect(log.get_by_text("Of course! Anything else? (turn 3)")).to_be_visible()
    await tab.shot("conversation")
    await tab.check_accessibility("conversation")

    await page.get_by_role("button", name="Finish and see my summary").click()
    summary = page.locator("#summary")
    await expect(summary).to_contain_text("You bought fruit")
    await expect(summary.locator("ins")).to_have_text("estoy")
    await tab.shot("conversation-summary")
    await tab.check_accessibility("conversation summary")
    await page.set_viewport_size({"width": 390, "height": 844})
    await tab.shot("conversation-phone")
    assert not await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


async def test_listening(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """Play buttons with accessible names on cards, R plays the card in view, and nothing
    plays by itself until the learner turns autoplay on."""
    server = serve(**fake_llm_settings)
    tab = await journey(server.url)
    page = tab.page
    await page.add_init_script(RECORD_PLAYS)
    await sign_up(tab, "lola", first_deck=True)
    await expect(page.locator("[data-counter]")).to_have_text("Card 1 of 8")
    card = page.locator("[data-card]").nth(0)
    word = card.get_by_role("button", name="Listen to the word: la palabra 1")
    await expect(word).to_be_visible()
    await expect(
        card.get_by_role("button", name="Listen to the example: Uso la palabra 1.")
    ).to_be_visible()
    assert await page.evaluate("window.__played") == []  # no autoplay by default
    await page.keyboard.press("r")
    played = await page.evaluate("window.__played")
    assert len(played) == 1
    assert "/audio?text=la%20palabra%201&lang=es" in played[0]
    audio = await page.request.get(played[0])
    assert audio.status == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("r")
    assert "la%20palabra%202" in (await page.evaluate("window.__played"))[-1]
    await tab.shot("listening")
    await tab.check_accessibility("play buttons")

    # Autoplay on: the next card reads itself.
    deck_url = page.url
    await tab.goto("/app/profile")
    await page.get_by_label("Read cards aloud as they come into view").check()
    await page.get_by_role("button", name="Save review settings").click()
    await expect(page.get_by_text("Your review settings are saved.")).to_be_visible()
    await page.goto(deck_url)
    await page.keyboard.press("ArrowRight")
    await page.wait_for_function("window.__played.length > 0")
    assert "la%20palabra%202" in (await page.evaluate("window.__played"))[0]


async def test_api_docs_work_without_a_network(serve: Any, journey: Any) -> None:
    """Swagger UI and ReDoc come from the server itself: with every request to anywhere
    else refused, both render the operations."""
    server = serve()
    tab = await journey(server.url)
    page = tab.page
    outside: list[str] = []

    async def only_local(route: Any) -> None:
        if route.request.url.startswith(server.url):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_local)
    await tab.goto("/docs")
    await expect(page.locator(".opblock").first).to_be_visible()
    schema = await (await page.request.get(server.url + "/openapi.json")).json()
    operations = sum(len(item) for item in schema["paths"].values())
    # Every operation, listed under each of its tags (one has two).
    assert await page.locator(".opblock").count() >= operations
    await expect(page.get_by_text("/conversations/{conversation_id}/turns").first).to_be_visible()
    await tab.shot("swagger-ui")
    await tab.goto("/redoc")
    await expect(page.get_by_role("heading", name=re.compile("langtutor"))).to_be_visible()
    await expect(page.get_by_text("Check an answer to one exercise").first).to_be_attached()
    await tab.shot("redoc")
    assert outside == []
