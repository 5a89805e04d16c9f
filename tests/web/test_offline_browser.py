"""Review anywhere, in headless Chromium against a real server: the app installable (manifest,
icons, the service worker in control), review from the copy kept on the device with the
network gone, and the grades given offline synced once, from one device or two. Screenshots
land in test-output/browser/."""

from __future__ import annotations

import re
import struct
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest
from playwright.async_api import expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import PASSWORD, login, register, saved_flashcards
from tests.fakellm import FakeLLM
from tests.web.screens import PHONE, SCREENS

pytestmark = pytest.mark.slow
expect.set_options(timeout=15_000)
# What the device keeps, read in the page: the rows of one IndexedDB store.
STORED = """name => new Promise((resolve, reject) => {
  const open = indexedDB.open("langtutor-offline", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const request = db.transaction(name).objectStore(name).getAll();
    request.onsuccess = () => { db.close(); resolve(request.result); };
    request.onerror = () => reject(request.error);
  };
})"""
SEND_AGAIN = """async reviews => {
  const token = document.querySelector("input[name=csrf_token]").value;
  const response = await fetch("/review/sync", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
    body: JSON.stringify({ reviews: reviews }) });
  return { status: response.status, body: await response.json() };
}"""
WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


async def learner_with_cards(url: str, username: str, count: int) -> dict[str, str]:
    """A learner (Spanish) with `count` new review cards, made through the API: their headers."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await register(client, username, default_target_language="es")
        headers = await login(client, username)
        await saved_flashcards(client, headers, count)
    return headers


async def log_in(tab: Any, username: str) -> None:
    page = tab.page
    await tab.goto("/app/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/app"))
    await expect(page.locator("body.signed-in")).to_be_attached()


async def review_kept_offline(tab: Any) -> None:
    """The Review page opened online: the worker in control and the copy kept."""
    page = tab.page
    await tab.goto("/app/review")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await page.wait_for_function("() => document.documentElement.dataset.offlineCopy === 'ready'")


async def reload_offline(page: Any) -> None:
    """The network gone, the page loaded again: from the worker, the review from the copy."""
    await page.context.set_offline(True)
    await page.reload()
    await expect(page.locator("[data-offline-review]")).to_be_visible()


async def grade(page: Any, rating: str, then: str | None) -> None:
    """Space, then the grade's key; `then`: the front of the card that follows."""
    await page.keyboard.press("Space")
    await expect(page.locator("[data-answer]")).to_be_visible()
    await page.keyboard.press(rating)
    if then:
        await expect(page.locator("[data-front]")).to_have_text(then)
        await expect(page.locator("[data-answer]")).to_be_hidden()


async def test_the_app_is_installable(serve: Any, journey: Any) -> None:
    server = serve()
    tab = await journey(server.url)
    page = tab.page
    await tab.goto("/")
    href = await page.locator("link[rel=manifest]").get_attribute("href")
    answer = await page.request.get(server.url + href)
    assert answer.headers["content-type"] == "application/manifest+json"
    manifest = await answer.json()
    for field in ("name", "short_name", "start_url", "display", "icons", "theme_color"):
        assert manifest[field], field
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/app"
    purposes = set()
    for icon in manifest["icons"]:
        body = await (await page.request.get(server.url + icon["src"])).body()
        assert body[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", body[16:24])
        assert icon["sizes"] == f"{width}x{height}"
        purposes.add((width, icon["purpose"]))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= purposes
    themes = await page.locator("meta[name=theme-color]").evaluate_all(
        "metas => metas.map(m => [m.media, m.content])"
    )
    assert len(themes) == 2
    assert themes[0][1] != themes[1][1]
    worker = await page.request.get(server.url + "/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    assert worker.headers["content-type"].startswith("text/javascript")
    await page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    await page.reload()
    assert await page.evaluate("navigator.serviceWorker.controller.scriptURL") == (
        server.url + "/sw.js"
    )
    scope = await page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == server.url + "/"


async def offline_screens(tab: Any, name: str) -> None:
    """The page as it stands, on a desktop and a phone's width, light and dark."""
    page = tab.page
    for scheme, width, options in SCREENS:
        await page.set_viewport_size(options["viewport"])
        await page.emulate_media(color_scheme=scheme)
        await tab.shot(f"{name}-{width}-{scheme}", full_page=False)
        overflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, (name, width, scheme)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.emulate_media(color_scheme="light")


async def test_review_offline_then_sync_once(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object], db: Any
) -> None:
    """Online once, then offline: the Review page comes back from the worker, ten grades
    (an Again that comes back, an undo) wait in the outbox, the offline page stands in for
    the rest; online again, the server has each grade once, and sending them again changes
    nothing."""
    server = serve(**fake_llm_settings)
    await learner_with_cards(server.url, "olga", 9)
    tab = await journey(server.url)
    page = tab.page
    await log_in(tab, "olga")
    await review_kept_offline(tab)

    await reload_offline(page)
    front = page.locator("[data-front]")
    await expect(front).to_have_text("la palabra 1")
    await expect(front).to_have_attribute("lang", "es")
    await expect(page.locator("[data-left]")).to_have_text("9 new · 0 due")
    await page.keyboard.press("Space")
    await expect(page.locator("[data-back]")).to_have_text("word 1")
    await expect(
        page.get_by_role("button", name=re.compile(r"^Again, next in \d+"))
    ).to_be_visible()
    await tab.check_accessibility("offline review, answer")
    await page.keyboard.press("1")  # Again: back at the end of the session
    await expect(front).to_have_text("la palabra 2")
    bar = page.locator("[data-sync-bar]")
    await expect(bar).to_contain_text("1 review waiting to sync")
    await page.keyboard.press("Space")
    await offline_screens(tab, "offline-review")
    await page.keyboard.press("3")
    await expect(front).to_have_text("la palabra 3")
    await grade(page, "3", "la palabra 4")
    await page.keyboard.press("u")  # the last grade, not sent yet, undone: card 3 again
    await expect(front).to_have_text("la palabra 3")
    await expect(bar).to_contain_text("2 reviews waiting to sync")
    await grade(page, "4", "la palabra 4")
    for number in range(4, 10):
        await grade(page, "3", f"la palabra {number + 1}" if number < 9 else "la palabra 1")
    # The Again card: its next intervals are the server's to say.
    await page.keyboard.press("Space")
    await expect(page.get_by_role("button", name="Good", exact=True)).to_be_visible()
    await page.keyboard.press("3")
    await expect(page.get_by_role("heading", name="All done for today")).to_be_visible()
    await expect(bar).to_contain_text("10 reviews waiting to sync")
    outbox = await page.evaluate(STORED, "outbox")
    assert len(outbox) == 10
    assert [entry["rating"] for entry in outbox] == [1, 3, 4, 3, 3, 3, 3, 3, 3, 3]
    assert len({uuid.UUID(entry["client_review_id"]) for entry in outbox}) == 10
    assert all(WITH_OFFSET.match(entry["reviewed_at"]) for entry in outbox), outbox

    # Another page offline: the offline page, which offers Review.
    await page.get_by_role("link", name="Library").click()
    await expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    await tab.check_accessibility("offline page")
    await offline_screens(tab, "offline-page")
    await page.get_by_role("link", name="Review", exact=True).last.click()
    await expect(page.get_by_role("heading", name="All done for today")).to_be_visible()
    await offline_screens(tab, "offline-done-waiting")

    await page.context.set_offline(False)  # online again: the outbox goes
    await expect(bar).to_be_hidden()
    await expect(page.locator("[data-offline-review]")).to_have_count(0)
    assert await page.evaluate(STORED, "outbox") == []
    async with db.connect() as connection:
        per_card = (
            await connection.execute(
                text("SELECT card_id, count(*) FROM review_logs GROUP BY card_id ORDER BY 2")
            )
        ).all()
        assert sorted(count for _, count in per_card) == [1] * 8 + [2]
        again = await page.evaluate(SEND_AGAIN, [wire(entry) for entry in outbox])
        assert again["status"] == 200
        assert {result["status"] for result in again["body"]["results"]} == {"duplicate"}
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 10


def wire(entry: dict[str, Any]) -> dict[str, Any]:
    names = ("client_review_id", "card_id", "rating", "reviewed_at", "duration_ms")
    return {name: entry[name] for name in names}


async def test_two_devices_grade_the_same_card_offline(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object], db: Any
) -> None:
    """A phone in Madrid and a laptop in New York grade the same card offline, the laptop
    later; the laptop syncs first. Both reviews are kept, and the card is as the later one
    left it."""
    server = serve(**fake_llm_settings)
    headers = await learner_with_cards(server.url, "teo", 1)
    phone = await journey(server.url, "phone", timezone_id="Europe/Madrid", **PHONE)
    laptop = await journey(server.url, "laptop", timezone_id="America/New_York")
    for tab in (phone, laptop):
        await log_in(tab, "teo")
        await review_kept_offline(tab)
        await reload_offline(tab.page)
        await expect(tab.page.locator("[data-front]")).to_have_text("la palabra 1")
    await phone.shot("offline-review-phone")
    await grade(phone.page, "3", None)
    await expect(phone.page.get_by_role("heading", name="All done for today")).to_be_visible()
    await phone.page.wait_for_timeout(2500)  # later, by more than a double press
    await grade(laptop.page, "1", "la palabra 1")
    (earlier,) = await phone.page.evaluate(STORED, "outbox")
    (later,) = await laptop.page.evaluate(STORED, "outbox")
    assert earlier["reviewed_at"].endswith(("+01:00", "+02:00"))
    assert later["reviewed_at"].endswith(("-05:00", "-04:00"))
    for tab in (laptop, phone):
        await tab.page.context.set_offline(False)
        await expect(tab.page.locator("[data-sync-bar]")).to_be_hidden()
    await laptop.shot("synced")
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 2
        card_id = await connection.scalar(text("SELECT card_id FROM review_cards"))
    async with httpx.AsyncClient(base_url=server.url) as client:
        shown = (await client.get(f"/review/cards/{card_id}", headers=headers)).json()
    assert shown["reps"] == 2
    last = datetime.fromisoformat(shown["last_review"])
    assert abs((last - datetime.fromisoformat(later["reviewed_at"])).total_seconds()) < 0.002


async def test_a_refused_grade_is_told_and_logging_out_leaves_nothing(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object], db: Any
) -> None:
    """A card deleted elsewhere while its grade waited: the grade leaves the outbox and the
    learner is told why. Logging out takes the learner's copy and pages off the device."""
    server = serve(**fake_llm_settings)
    headers = await learner_with_cards(server.url, "ines", 2)
    async with httpx.AsyncClient(base_url=server.url) as client:
        first = (await client.get("/review/queue?limit=5", headers=headers)).json()["cards"][0]
    tab = await journey(server.url)
    page = tab.page
    await log_in(tab, "ines")
    await review_kept_offline(tab)
    assert len(await page.evaluate(STORED, "cards")) == 2
    await reload_offline(page)
    await grade(page, "3", "la palabra 2")
    async with httpx.AsyncClient(base_url=server.url) as client:
        deleted = await client.delete(f"/review/cards/{first['card_id']}", headers=headers)
        assert deleted.status_code == 204
    await page.context.set_offline(False)
    refused = page.locator("[data-banner=refused]")
    await expect(refused).to_contain_text("1 review could not be saved: ")
    await expect(page.locator("[data-sync-bar]")).to_be_hidden()
    assert await page.evaluate(STORED, "outbox") == []
    await tab.shot("refused")

    await page.locator("details.user-menu summary").click()
    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(server.url + "/")
    await page.wait_for_function("() => sessionStorage.getItem('langtutor-forget') === null")
    assert await page.evaluate(STORED, "cards") == []
    kept = await page.evaluate("caches.keys()")
    assert "langtutor-pages" not in kept
    assert "langtutor-audio" not in kept
    assert any(name.startswith("langtutor-shell-") for name in kept)  # the app, no one's data
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 0


async def test_audio_is_kept_for_offline_review(
    serve: Any,
    journey: Any,
    fake_llm: FakeLLM,
    fake_llm_settings: dict[str, object],
    db: AsyncEngine,
) -> None:
    """Each card's audio is fetched into the device's cache, and the play button reads it
    from there offline."""
    server = serve(**fake_llm_settings)
    await learner_with_cards(server.url, "ugo", 2)
    tab = await journey(server.url)
    page = tab.page
    await log_in(tab, "ugo")
    await review_kept_offline(tab)
    await page.wait_for_function("() => document.documentElement.dataset.offlineAudio === 'ready'")
    cards = await page.evaluate(STORED, "cards")
    urls = [card["audio_url"] for card in cards if card["audio_url"]]
    if not urls:
        pytest.skip("no voice for Spanish on this machine")
    kept = await page.evaluate(
        "caches.open('langtutor-audio').then(c => c.keys()).then(k => k.length)"
    )
    assert kept == len(urls)
    await reload_offline(page)
    play = page.locator("[data-review-card] button.play")
    await expect(play).to_have_attribute("aria-label", "Listen to the card: la palabra 1")
    status = await page.evaluate(
        """async () => {
          const button = document.querySelector("[data-review-card] button.play");
          const url = "/audio?text=" + encodeURIComponent(button.dataset.speak) +
            "&lang=" + encodeURIComponent(button.dataset.lang);
          const response = await fetch(url);
          return [response.status, response.headers.get("content-type")];
        }"""
    )
    assert status[0] == 200
    assert status[1].startswith("audio/")


async def test_a_grade_the_server_does_not_get_goes_to_the_outbox(
    serve: Any, journey: Any, fake_llm: FakeLLM, fake_llm_settings: dict[str, object], db: Any
) -> None:
    """The server's own card on screen when the connection goes: its grade is kept on the
    device and the review goes on from the copy; "Sync now" sends it once the server answers
    again, and the server's review takes over."""
    server = serve(**fake_llm_settings)
    await learner_with_cards(server.url, "yuki", 3)
    tab = await journey(server.url)
    page = tab.page
    await log_in(tab, "yuki")
    await review_kept_offline(tab)
    await expect(page.locator("[data-offline-review]")).to_have_count(0)

    async def unreachable(route: Any) -> None:
        await route.abort("connectionrefused")

    # The network says it is up, but the server does not answer a grade.
    await page.route("**/app/review/*", unreachable)
    await grade(page, "1", "la palabra 2")
    await expect(page.locator("[data-offline-review]")).to_be_visible()
    await expect(page.locator("[data-banner=error]")).to_have_count(0)
    await expect(page.locator("[data-left]")).to_have_text("2 new · 1 due")  # Again: it comes back
    (entry,) = await page.evaluate(STORED, "outbox")
    assert entry["rating"] == 1
    await page.unroute("**/app/review/*")
    await page.get_by_role("button", name="Sync now").click()
    await expect(page.locator("[data-sync-bar]")).to_be_hidden()
    await expect(page.locator("[data-offline-review]")).to_have_count(0)
    await expect(page.locator("[data-front]")).to_have_text("la palabra 2")
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 1

    # The network gone in the middle of a card: Space, then a grade, without a reload.
    await page.context.set_offline(True)
    await grade(page, "4", "la palabra 3")
    await expect(page.locator("[data-offline-review]")).to_be_visible()
    await page.context.set_offline(False)
    await expect(page.locator("[data-sync-bar]")).to_be_hidden()
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 2

    # Logging out with a grade waiting: it goes to the server first.
    await expect(page.locator("[data-offline-review]")).to_have_count(0)
    await page.route("**/app/review/*", unreachable)
    await grade(page, "3", None)
    await expect(page.locator("[data-sync-bar]")).to_contain_text("1 review waiting to sync")
    await page.unroute("**/app/review/*")
    await page.locator("details.user-menu summary").click()
    await page.get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(server.url + "/")
    await page.wait_for_function("() => sessionStorage.getItem('langtutor-forget') === null")
    assert await page.evaluate(STORED, "outbox") == []
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 3
