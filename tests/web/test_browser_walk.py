"""A learner's walk in Chromium, for what only a browser shows: the day in the browser's own
time zone, refused forms in plain words, Progress and Review agreeing, and the small things
(a favicon, the account menu, disclosure arrows, the folded Create line, back links).
Screenshots land in test-output/browser/."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import expect

from tests.fakellm import FakeLLM
from tests.web.screens import DESKTOP, PHONE, SCREENS
from tests.web.test_browser import PASSWORD, generate, register, sign_up

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)


async def every_screen(journey: Any, url: str) -> AsyncIterator[tuple[str, int, Any]]:
    """A tab for each screen: light and dark, 1280 px and a 390 px touch phone."""
    for scheme, width, options in SCREENS:
        yield (
            scheme,
            width,
            await journey(url, name=f"{scheme}-{width}", color_scheme=scheme, **options),
        )


# Each summary shows that it opens: the browser's triangle, a drawn one, or an icon of its own.
SUMMARIES_WITHOUT_A_SIGN = """
() => Array.from(document.querySelectorAll("summary")).filter((s) => {
  if (!s.getClientRects().length) return false;
  const style = getComputedStyle(s);
  if (style.display === "list-item" && style.listStyleType !== "none") return false;
  for (const pseudo of ["::before", "::after"]) {
    const content = getComputedStyle(s, pseudo).content;
    if (content && content !== "none" && content !== "normal") return false;
  }
  return !s.querySelector("[aria-hidden=true]");
}).map((s) => s.textContent.trim().slice(0, 40))
"""
# A link alone on its line ("← Library") is a tap target, not a link in running text.
SHORT_LONE_LINKS = """
() => Array.from(document.querySelectorAll("main a")).filter((a) => {
  const parent = a.parentElement;
  return a.getClientRects().length && parent && getComputedStyle(parent).display === "block"
    && parent.textContent.trim() === a.textContent.trim();
}).filter((a) => a.getBoundingClientRect().height < 44)
  .map((a) => `${a.textContent.trim()} ${Math.round(a.getBoundingClientRect().height)}px`)
"""
# The date labels under each chart's bars that are shown: none overlaps another, none leaves
# its chart.
OVERLAPPING_LABELS = """
() => {
  const problems = [];
  for (const svg of document.querySelectorAll("svg.bars")) {
    const frame = svg.getBoundingClientRect();
    const boxes = Array.from(svg.querySelectorAll("text.axis[text-anchor=middle]"))
      .filter((t) => getComputedStyle(t).display !== "none")
      .map((t) => [t.textContent, t.getBoundingClientRect()]);
    boxes.forEach(([label, box], i) => {
      if (box.left < frame.left - 1 || box.right > frame.right + 1) problems.push(`${label} outside`);
      const next = boxes[i + 1];
      if (next && box.right > next[1].left) problems.push(`${label} overlaps ${next[0]}`);
    });
  }
  return problems;
}
"""
# Where the words of each item of the account menu start.
MENU_TEXT_LEFT = """
() => Array.from(document.querySelectorAll(".user-menu ul li")).map((li) => {
  const item = li.querySelector("a, button");
  const range = document.createRange();
  range.selectNodeContents(item);
  return [item.textContent.trim(), Math.round(range.getBoundingClientRect().left)];
})
"""


@pytest.mark.parametrize(
    "zone", ["Europe/Madrid", "America/Argentina/Buenos_Aires", "Asia/Kolkata"]
)
async def test_days_are_counted_in_the_browsers_time_zone(
    serve: Any, journey: Any, zone: str
) -> None:
    server = serve(LLM_PROVIDER="none")
    tab = await journey(server.url, name=zone.replace("/", "-"), timezone_id=zone)
    page = tab.page
    await sign_up(tab, "zoned", first_deck=False)
    # Chromium may name the zone by an older alias (Asia/Calcutta): the same zone.
    reported = await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    moment = datetime.now(UTC)
    assert ZoneInfo(reported).utcoffset(moment) == ZoneInfo(zone).utcoffset(moment)
    await tab.goto("/app/progress")
    await expect(page.locator("main")).to_contain_text(
        f"Days are counted in the time zone {reported}."
    )
    await tab.shot("progress")


async def test_a_refused_form_speaks_plainly_and_leads_to_its_fields(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**fake_llm_settings)
    async for scheme, width, tab in every_screen(journey, server.url):
        page = tab.page
        # Sign-up: every problem at its field, and a summary at the top that has the focus.
        await register(tab, f"ana garcía! {scheme}{width}")
        await page.get_by_label("Password again").fill("something else")
        await page.get_by_label("Email (optional)").fill("not an address")
        await page.get_by_role("button", name="Create account").click()
        summary = page.locator("[data-error-summary]")
        await expect(summary).to_be_focused()
        await expect(summary).to_contain_text("3 things to fix")
        username = page.get_by_label("Username")
        await expect(username).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#username-error")).to_have_text(
            "A username has 3 to 50 letters (of any alphabet), digits, _, . or -, and no spaces."
        )
        await expect(page.locator("main")).not_to_contain_text("should match")
        await tab.shot("register-refused")
        await tab.check_accessibility("register refused")
        await summary.get_by_role("link", name=re.compile("^Enter an email address")).click()
        await expect(page.get_by_label("Email (optional)")).to_be_focused()
        # Letters of any alphabet: maría signs up.
        await username.fill(f"maría_{scheme}{width}")
        for label in ("Password", "Password again"):
            await page.get_by_label(label, exact=True).fill(PASSWORD)
        await page.get_by_label("Email (optional)").fill("")
        await page.get_by_role("button", name="Create account").click()
        await expect(page).to_have_url(re.compile(r"/app/welcome$"))
        await page.get_by_label("Language you want to learn").fill("Spanish")
        await page.evaluate(
            "document.querySelectorAll('input[name=topic]').forEach(i => i.remove())"
        )
        await page.get_by_role("button", name="Make my first deck").click()
        await expect(page).to_have_url(re.compile(r"/app$"))

        # Create with no topic (sent by the page script): the field itself is marked.
        await tab.goto("/app/generate")
        await page.get_by_role("button", name="Generate", exact=True).click()
        topic = page.get_by_label("Topic or request")
        await expect(topic).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#query-error")).to_have_text("Enter a topic or request.")
        await expect(topic).to_have_attribute("aria-describedby", "query-hint query-error")
        await expect(page.locator("#outcome")).not_to_contain_text("query")
        await tab.shot("create-refused")
        await tab.check_accessibility("create refused")
        await page.locator("#outcome [data-error-field=query]").click()
        await expect(topic).to_be_focused()
        await topic.fill("market")
        await page.get_by_label("How many items").fill("2")
        await page.get_by_role("button", name="Generate", exact=True).click()
        await expect(page.locator("[data-deck] [data-counter]")).to_have_text("Card 1 of 2")
        await expect(page.locator("#query-error")).to_have_count(0)
        await expect(topic).not_to_have_attribute("aria-invalid", "true")

        # A failed password change: every problem named, the summary at the top focused.
        await tab.goto("/app/profile")
        await page.get_by_label("Current password").fill("not it")
        await page.get_by_label("New password", exact=True).fill("short")
        await page.get_by_label("New password again").fill("other")
        await page.get_by_role("button", name="Change password").click()
        summary = page.locator("[data-error-summary]")
        await expect(summary).to_be_focused()
        await expect(summary.locator("li")).to_have_count(3)
        await expect(page.locator("#current_password-error")).to_have_text(
            "That is not your current password."
        )
        await tab.shot("password-refused")
        await tab.check_accessibility("password refused")


async def test_review_and_progress_agree_and_a_grade_moves_the_counter(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**fake_llm_settings)
    async for scheme, width, tab in every_screen(journey, server.url):
        page = tab.page
        await sign_up(tab, f"rosa_{scheme}{width}", first_deck=False)
        await tab.goto("/app/generate")
        await generate(tab, "Flashcards", "fruit", count=3)
        await page.get_by_text("Save, rate, details").click()
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(page.get_by_text("Saved as")).to_be_visible()

        await tab.goto("/app/review")
        left = page.locator("[data-left]")
        await expect(left).to_have_text("3 new · 0 due · 0 done today")
        await tab.shot("review-counts")
        await page.locator("[data-show]").click()
        await page.get_by_role("button", name=re.compile(r"^Good, next in")).click()
        # The card comes back in ten minutes: due today, no longer new; one done.
        await expect(left).to_have_text("2 new · 1 due · 1 done today")
        await expect(page.locator("[data-due-badge]")).to_have_text("3")

        await tab.goto("/app/progress")
        await expect(page.locator("[data-stat=left-today]")).to_have_text("2 new · 1 due")
        await expect(page.locator("[data-stat=streak]")).to_have_text("1")
        await tab.shot("progress")
        await tab.check_accessibility("progress")
        await tab.goto("/app")
        await expect(page.locator("#due-heading")).to_have_text("To review today (3)")
        await tab.shot("today")


async def test_the_charts_date_labels_fit_on_a_phone_and_a_desktop(
    serve: Any, journey: Any
) -> None:
    server = serve(LLM_PROVIDER="none")
    for width, options in ((390, PHONE), (1280, DESKTOP)):
        tab = await journey(server.url, name=str(width), **options)
        page = tab.page
        await sign_up(tab, f"lena{width}", first_deck=False)
        for days in ("7", "30", "90", "365"):
            await tab.goto(f"/app/progress?days={days}")
            assert await page.evaluate(OVERLAPPING_LABELS) == [], (width, days)
        await tab.shot("progress-365")


async def test_the_small_things(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    """Each check adds what it finds to `problems`, so that one run names every one."""
    server = serve(**fake_llm_settings)
    problems: list[Any] = []
    async for scheme, width, tab in every_screen(journey, server.url):
        page = tab.page
        screen = f"{scheme} {width}"
        missing: list[str] = []
        page.on("response", lambda r, found=missing: r.status == 404 and found.append(r.url))
        await tab.goto("/")
        await page.wait_for_load_state("networkidle")
        if missing:
            problems.append((screen, "not found on the first load", missing))
        # Headless Chromium fetches no icon itself: the one the page links must be there.
        icon = await page.evaluate(
            "document.querySelector('link[rel=icon]')?.getAttribute('href') || '/favicon.ico'"
        )
        if (await page.request.get(server.url + icon)).status != 200:
            problems.append((screen, "no favicon", icon))
        await sign_up(tab, f"pepe_{scheme}{width}", first_deck=False)

        # The account menu: every item starts where "Profile" does.
        await page.locator(".user-menu summary").click()
        lefts = await page.evaluate(MENU_TEXT_LEFT)
        assert [name for name, _ in lefts] == ["Profile", "Classes", "Log out"]
        if any(abs(left - lefts[0][1]) > 1 for _, left in lefts):
            problems.append((screen, "menu items start apart", lefts))
        await tab.shot("menu")
        await page.keyboard.press("Escape")

        # A result; then a failed request: the folded line no longer names the first one.
        await tab.goto("/app/generate")
        await generate(tab, "Flashcards", "market", count=2)
        line = page.locator("[data-create-summary] .summary-text")
        await expect(line).to_contain_text("market")
        fake_llm.then("invalid_json").then("invalid_json")
        await generate(tab, "Flashcards", "weather", count=2)
        failed = page.locator("#outcome [data-banner=model_failed]")
        await expect(failed).to_be_visible()
        if "market" in (await line.text_content() or ""):
            problems.append(
                (screen, "the Create line names the request before", await line.text_content())
            )
        # "Details" shows that it opens, as every other summary does.
        if unmarked := await page.evaluate(SUMMARIES_WITHOUT_A_SIGN):
            problems.append((screen, "summaries without a sign", unmarked))
        await tab.shot("model-failed")
        await failed.get_by_role("button", name="Try again").click()
        await expect(page.locator("[data-deck] [data-counter]")).to_have_text("Card 1 of 2")
        await expect(line).to_contain_text("weather")

        # Back links tall enough for a thumb; summaries with their sign (Manage).
        await page.get_by_text("Save, rate, details").click()
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(page.get_by_text("Saved as")).to_be_visible()
        await tab.goto("/app/library")
        await page.locator(".library-list a.item-title").first.click()
        await expect(page.get_by_role("link", name="← Library")).to_be_visible()
        await page.locator(".manage > summary").click()
        await tab.shot("item-manage-open")
        for path in (page.url, "/app/library/2147483647", "/app/progress"):
            if not path.startswith("http"):
                await tab.goto(path)
            if short := await page.evaluate(SHORT_LONE_LINKS):
                problems.append((screen, path, "short lone links", short))
            if unmarked := await page.evaluate(SUMMARIES_WITHOUT_A_SIGN):
                problems.append((screen, path, "summaries without a sign", unmarked))
            await tab.shot("page-" + path.rstrip("/").rsplit("/", 1)[-1])
    assert not problems, problems


async def test_the_learner_plays_the_customer_in_the_browser(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object]
) -> None:
    server = serve(**fake_llm_settings)
    tab = await journey(server.url)
    page = tab.page
    await sign_up(tab, "hans", first_deck=False)
    async with httpx.AsyncClient(base_url=server.url) as api:
        token = (
            await api.post("/auth/token", data={"username": "hans", "password": PASSWORD})
        ).json()["access_token"]
        changed = await api.patch(
            "/users/me",
            headers={"Authorization": f"Bearer {token}"},
            # The scene in German, the pages in English (else they would follow the base
            # language).
            json={"default_base_language": "de", "interface_language": "en"},
        )
        assert changed.status_code == 200
    await tab.goto("/app/generate")
    await generate(tab, "Role-play simulation", "tapas")
    await expect(page.get_by_label("Your role")).to_have_value("Cliente")
    await page.get_by_role("button", name="Play this scene").click()
    await expect(page.get_by_label("Your line, as Cliente")).to_be_visible()
    assert await page.evaluate(SHORT_LONE_LINKS) == []
    await tab.shot("chat")
