"""Small things a learner meets on the pages: the favicon, the role a learner plays in a
scene, and the line the Create form folds to."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.generation.schemas import learner_role
from langtutor.web import i18n
from tests.web.html import parse
from tests.web.test_pages import page, sign_up


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"GENERATION_RATE_PER_MINUTE": 100_000}


async def test_every_page_links_a_favicon_that_is_served(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    for path in ("/", "/app/login", "/app/register"):
        icon = next(
            link
            for link in (await page(client, path)).find_all("link")
            if link.attrs["rel"] == "icon"
        )
        answer = await client.get(icon.attrs["href"])
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("image/svg+xml")
    # What a browser asks for a page with no link (the API's JSON, say).
    assert (await client.get("/favicon.ico")).status_code == 200


@pytest.mark.parametrize("base", ["en", "de", "fr", "es"])
async def test_the_learner_plays_the_customer_not_the_waiter(
    client: httpx.AsyncClient, db: AsyncEngine, base: str
) -> None:
    """The scene's roles, described in the learner's own language: the page offers the one
    that speaks to them (the customer), and a conversation started from it casts them so."""
    csrf = await sign_up(client, "ana", default_target_language="es", default_base_language=base)
    answer = await client.post(
        "/app/generate",
        data={"csrf_token": csrf, "content_type": "simulation", "query": "tapas"},
    )
    assert answer.status_code == 200
    shown = parse(answer.text)
    chosen = [o.attrs["value"] for o in shown.find_all("option") if "selected" in o.attrs]
    assert chosen == ["Cliente"]
    gid = shown.find("input", name="generation_id").attrs["value"]
    started = await client.post(
        "/app/conversations", data={"csrf_token": csrf, "generation_id": gid}
    )
    assert started.status_code == 303
    chat = await page(client, started.headers["location"])
    # The pages speak the learner's base language where they have it.
    translations = i18n.negotiate(base).translations
    said = translations.gettext("Your line, as %(role)s") % {"role": "Cliente"}
    assert chat.find("label", for_="line").text == said


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([("Camarero", "The waiter"), ("Cliente", "You, the customer")], "Cliente"),
        ([("Cliente", "You: a hungry guest"), ("Camarero", "The waiter")], "Cliente"),
        ([("Kellner", "Der Kellner"), ("Gast", "Du, der Gast")], "Gast"),
        ([("Médica", "La médica"), ("Paciente", "Tú, el paciente")], "Paciente"),
        # Nothing speaks to the learner: the last role, as the prompts ask.
        ([("Waiter", "Takes the order"), ("Guest", "Orders dinner")], "Guest"),
        ([("Young man", "A student"), ("Usher", "Shows the way")], "Usher"),
    ],
)
def test_the_learners_role(roles: list[tuple[str, str]], expected: str) -> None:
    assert learner_role([{"name": n, "description": d} for n, d in roles]) == expected
