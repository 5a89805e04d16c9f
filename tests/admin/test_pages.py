"""The console's figure pages for an operator, on both databases: model health, usage with
its charts and tables, the quality report with its comments linked to their content and its
CSV (the report's own), and a generation as an operator sees it."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor import reports
from langtutor.db import utcnow
from tests.admin.operators import operator_headers
from tests.factories import page_sign_up, user_with_token
from tests.fakellm import FakeLLM
from tests.generation.test_routes import generate
from tests.web.html import Page, parse


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    # The operator is made one after signing up: no cached token may say otherwise.
    return fake_llm_settings | {"ADMIN_FIGURES_CACHE_S": 0, "TOKEN_CACHE_TTL_S": 0}


async def signed_in_operator(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    """The client signed in to the pages (a session cookie) as an operator."""
    answer = await page_sign_up(client, "operator")
    assert answer.status_code in (200, 303), answer.text
    async with db.begin() as connection:
        await connection.execute(
            text("UPDATE users SET is_admin = :yes WHERE username = 'operator'"), {"yes": True}
        )


async def commented_generation(client: httpx.AsyncClient) -> str:
    """A learner's generation of flashcards, rated 1 with a comment: its id."""
    _, headers = await user_with_token(client, default_target_language="es")
    made = await generate(client, headers, count=3)
    assert made.status_code == 200, made.text
    generation_id = str(made.json()["generation_id"])
    rated = await client.post(
        "/feedback",
        headers=headers,
        json={"generation_id": generation_id, "rating": 1, "feedback_text": "=wrong words"},
    )
    assert rated.status_code == 201, rated.text
    return generation_id


async def test_the_quality_page_links_each_comment_to_its_content(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine, fake_llm: FakeLLM
) -> None:
    generation_id = await commented_generation(client)
    await app.state.runtime.activity.flush()
    await signed_in_operator(client, db)
    page = await client.get("/app/admin/quality")
    assert page.status_code == 200, page.text
    html = parse(page.text)
    (link,) = html.find_all("a", **{"data-comment": ""})
    assert link.text.strip() == "=wrong words"
    assert link.attrs["href"] == f"/app/admin/generations/{generation_id}"
    assert html.find("a", **{"data-csv": ""}).attrs["href"] == "/admin/quality?format=csv"

    shown = await client.get(link.attrs["href"])
    assert shown.status_code == 200
    content = parse(shown.text).find("pre", **{"data-content": ""}).text
    assert '"cards"' in content
    assert "fake-model" in shown.text
    assert (await client.get(f"/app/admin/generations/{'0' * 32}")).status_code == 404


async def test_the_quality_csv_and_json_are_the_reports_own(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine, fake_llm: FakeLLM
) -> None:
    generation_id = await commented_generation(client)
    await app.state.runtime.activity.flush()
    headers = await operator_headers(client, db)
    rows = await reports.quality_report(app.state.runtime.db.sessions)

    as_csv = await client.get("/admin/quality", headers=headers, params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    assert as_csv.text == reports.as_csv(rows)
    (row,) = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert row["low_rated_comments"] == "'=wrong words"  # a spreadsheet shows it as text

    as_json = (await client.get("/admin/quality", headers=headers, params={"days": 7})).json()
    assert as_json == [r.as_dict() | {"comment_generations": [generation_id]} for r in rows]
    refused = await client.get("/admin/quality", headers=headers, params={"format": "xml"})
    assert refused.status_code == 422


async def test_health_and_usage_pages_show_the_figures(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    for _ in range(2):
        assert (await generate(client, headers, count=3)).status_code == 200
    await app.state.runtime.activity.flush()
    await signed_in_operator(client, db)

    health = parse((await client.get("/app/admin/health")).text)
    assert stat(health, "day-fake-model-generations") == "2"
    assert stat(health, "day-fake-model-errors") == "0"
    assert stat(health, "month-fake-model-generations") == "2"
    # The console's tab is the current page (and the site menu's Admin link with it).
    current = {link.attrs["href"] for link in health.find_all("a", **{"aria-current": "page"})}
    assert "/app/admin/health" in current
    assert current <= {"/app/admin/health", "/app/admin"}

    usage = parse((await client.get("/app/admin/usage", params={"days": 7})).text)
    today = utcnow().date().isoformat()
    assert stat(usage, "generations") == "2"
    assert stat(usage, f"generations-{today}") == "2"
    assert stat(usage, f"active-{today}") == "1"
    assert len([e for e in usage.find_all("th", scope="row") if e.text.strip()]) >= 7
    for name in ("active_learners", "generations", "answers", "reviews"):
        assert usage.find("desc", id=f"{name}-chart-desc").text.strip()
    assert len(usage.find_all("rect", class_="bar bar-flashcards")) == 1  # today's generations
    assert (await client.get("/app/admin/usage", params={"days": 0})).status_code == 422


def stat(page: Page, name: str) -> str:
    """The text of the one element with this `data-stat`."""
    found = [e for e in page.elements if e.attrs.get("data-stat") == name]
    assert len(found) == 1, (name, found)
    return found[0].text.strip()
