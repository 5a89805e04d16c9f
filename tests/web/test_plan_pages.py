"""The study plan's pages over HTTP, read with an HTML parser, on both databases: Today
invites to make a plan, then leads with it; My plan makes and replaces one and starts a
step; refused forms say why; another learner's step is a 404 page."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import AppFactory
from tests.web.html import Page, parse
from tests.web.test_pages import page, sign_up


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings


def words(text: str) -> str:
    return " ".join(text.split())


def plan_part(today: Page) -> str:
    """Today's plan section, as its words."""
    return words(today.find("section", **{"data-plan-today": ""}).text)


def start_forms(shown: Page) -> list[str]:
    return [
        form.attrs["action"]
        for form in shown.find_all("form")
        if form.attrs.get("action", "").startswith("/app/plan/steps/")
    ]


async def make_plan(client: httpx.AsyncClient, csrf: str, **fields: str) -> httpx.Response:
    return await client.post("/app/plan", data={"csrf_token": csrf, **fields})


async def test_today_invites_then_leads_with_the_plan(client: httpx.AsyncClient) -> None:
    csrf = await sign_up(client, "ana", default_target_language="es", self_assessed_level="A2")
    today = await page(client, "/app")
    assert "Follow a plan" in plan_part(today)
    assert today.find("a", href="/app/plan").text.strip() == "Make my plan"
    made = await make_plan(client, csrf, weeks="6", minutes_per_day="30")
    assert made.status_code == 303
    assert made.headers["location"] == "/app"
    today = await page(client, "/app")
    shown = plan_part(today)
    assert "Today's plan" in shown
    assert "Week 1 of 6 · Unit 1 of 12 · 0 done · A2" in shown
    assert "Start: Deck: Last weekend" in shown
    assert "Reviews" in shown
    assert "Role-play: Last weekend" in shown
    [action] = start_forms(today)
    # Started: the deck's page, and Today's next step is its reviews.
    answer = await client.post(action, data={"csrf_token": csrf})
    assert answer.status_code == 303
    assert re.fullmatch(r"/app/library/\d+#study", answer.headers["location"])
    assert re.search(r"Review \d+ cards", plan_part(await page(client, "/app")))
    mine = await page(client, "/app/plan")
    assert "Replace my plan" in words(mine.find("main").text)
    assert len(start_forms(mine)) == 12 * 3 - 1  # every step but the deck started


async def test_refused_forms_say_why(client: httpx.AsyncClient) -> None:
    csrf = await sign_up(client, "bea", default_target_language="es")
    no_level = await make_plan(client, csrf, weeks="8")
    assert no_level.status_code == 409
    assert "placement" in parse(no_level.text).find("div", **{"data-banner": "plan"}).text
    await client.post(
        "/app/profile",
        data={"csrf_token": csrf, "default_target_language": "es", "self_assessed_level": "B1"},
    )
    bad = await make_plan(client, csrf, weeks="99", minutes_per_day="1")
    assert bad.status_code == 422
    shown = parse(bad.text)
    assert "from 1 to 52" in shown.find("p", id="weeks-error").text
    assert "from 5 to 240" in shown.find("p", id="minutes_per_day-error").text


async def test_another_learners_step_is_a_404_page(client: httpx.AsyncClient) -> None:
    csrf = await sign_up(client, "cai", default_target_language="es", self_assessed_level="A1")
    await make_plan(client, csrf)
    answer = await client.post("/app/plan/steps/2000000000/start", data={"csrf_token": csrf})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")


async def test_without_a_model_the_steps_say_so(app_factory: AppFactory) -> None:
    async with app_factory(LLM_PROVIDER="none") as client:
        csrf = await sign_up(client, "dan", default_target_language="es", self_assessed_level="A1")
        await make_plan(client, csrf)
        today = await page(client, "/app")
        assert "needs a language model" in plan_part(today)
        assert not start_forms(today)
        mine = await page(client, "/app/plan")
        assert "Needs a language model" in words(mine.find("li", **{"data-unit": "a1-01"}).text)
        assert not start_forms(mine)


async def test_the_plan_reads_in_the_interface_language(client: httpx.AsyncClient) -> None:
    """The syllabus is in the catalogs: a German interface shows the units in German, on
    Today and on My plan."""
    csrf = await sign_up(client, "eva", default_target_language="es", self_assessed_level="A2")
    chosen = await client.patch(
        "/users/me", json={"interface_language": "de"}, headers={"X-CSRF-Token": csrf}
    )
    assert chosen.status_code == 200
    assert (await make_plan(client, csrf, weeks="6", minutes_per_day="30")).status_code == 303
    today = plan_part(await page(client, "/app"))
    assert "Einheit 1: Das letzte Wochenende" in today
    assert "Sagen, was du am letzten Wochenende gemacht hast." in today
    unit = words((await page(client, "/app/plan")).find("li", **{"data-unit": "a2-01"}).text)
    assert "Das letzte Wochenende" in unit
    assert "Jemanden nach einem vergangenen Ereignis fragen und auf die Antwort reagieren" in unit
    assert "Freizeitaktivitäten, Zeitangaben für die Vergangenheit, Orte zum Ausgehen" in unit
    assert "Last weekend" not in unit
    # A started step's set is named in German in the library too.
    [action] = start_forms(await page(client, "/app"))
    started = await client.post(action, data={"csrf_token": csrf})
    assert started.status_code == 303
    deck = await page(client, started.headers["location"].split("#")[0])
    assert words(deck.find("h1").text) == "Stapel: Das letzte Wochenende"
