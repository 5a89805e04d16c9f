"""Usernames are one name in any case: `VICTIM` cannot sign up beside `victim`, and a learner
logs in by any case of their name; accounts that differed only in case before keep working."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import create_engine, text

from langtutor.accounts.security import password_hash
from langtutor.accounts.usernames import username_key
from langtutor.app import create_app
from langtutor.migrations import alembic_config
from tests.conftest import make_settings, serve_in_process
from tests.databases import pg_problem, throwaway_database
from tests.factories import PASSWORD, page_sign_up, register
from tests.web.html import parse


async def test_a_username_is_taken_in_any_case(client: httpx.AsyncClient, db: object) -> None:
    await register(client, "victim")
    for name in ("VICTIM", "Victim", "vIcTiM"):
        answer = await client.post("/auth/register", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 409, (name, answer.text)
        assert "already taken" in answer.json()["detail"]
    page = await page_sign_up(client, "VICTIM")
    assert page.status_code == 409
    assert "already taken" in parse(page.text).find("div", role="alert").text


async def test_a_learner_logs_in_by_any_case_of_their_name(
    client: httpx.AsyncClient, db: object
) -> None:
    user = await register(client, "Ana_Garcia")
    for name in ("Ana_Garcia", "ana_garcia", "ANA_GARCIA"):
        answer = await client.post("/auth/token", data={"username": name, "password": PASSWORD})
        assert answer.status_code == 200, (name, answer.text)
        me = await client.get(
            "/users/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
        )
        assert me.json()["user_id"] == user["user_id"]
        assert me.json()["username"] == "Ana_Garcia"  # shown as chosen
    form = parse((await client.get("/app/login")).text)
    page = await client.post(
        "/app/login",
        data={"csrf_token": form.csrf_token(), "username": "ANA_garcia", "password": PASSWORD},
    )
    assert page.status_code == 303


def test_the_key_folds_case_in_every_script() -> None:
    pairs = [
        ("VICTIM", "victim"),
        ("Straße", "STRASSE"),
        ("ｖｉｃｔｉｍ", "victim"),  # full-width letters
        ("ΣΟΦΙΑ", "σοφια"),
        ("ΣΟΦΊΑΣ", "σοφίας"),  # final sigma
        ("ИВАН", "иван"),
        ("Ǆemal", "ǆemal"),
        ("e\u0301", "É"),  # decomposed and composed accents
    ]
    for first, second in pairs:
        assert username_key(first) == username_key(second), (first, second)
    assert username_key("ana") != username_key("anna")


@pytest.fixture(params=["sqlite", "postgresql"])
def at_revision_0008(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, migrated to the revision before case-insensitive names."""
    if request.param == "postgresql" and (problem := pg_problem()) is not None:
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    with throwaway_database(request.param, tmp_path) as url:
        command.downgrade(alembic_config(url), "0009")
        yield url


async def test_names_that_differed_only_in_case_before_keep_their_accounts(
    at_revision_0008: str,
) -> None:
    url = at_revision_0008
    stored = password_hash.hash(PASSWORD)
    sync = create_engine(url.replace("+aiosqlite", ""))
    with sync.begin() as connection:
        for name in ("victim", "Victim", "other", "VICTIM"):
            connection.execute(
                text("INSERT INTO users (username, password_hash) VALUES (:u, :h)"),
                {"u": name, "h": stored},
            )
    # Alembic runs its own event loop: in a thread of its own, off this test's loop.
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")
    with sync.connect() as connection:
        keys = dict(connection.execute(text("SELECT username, username_key FROM users")).all())
        ids = dict(connection.execute(text("SELECT username, user_id FROM users")).all())
    sync.dispose()
    # The oldest of the three keeps every spelling; the others keep their exact name.
    assert keys == {"victim": "victim", "Victim": None, "other": "other", "VICTIM": None}
    async with serve_in_process(create_app(make_settings(url))) as client:
        for typed, owner in [
            ("victim", "victim"),
            ("vICTIM", "victim"),
            ("Victim", "Victim"),
            ("VICTIM", "VICTIM"),
            ("OTHER", "other"),
        ]:
            answer = await client.post(
                "/auth/token", data={"username": typed, "password": PASSWORD}
            )
            assert answer.status_code == 200, (typed, answer.text)
            me = await client.get(
                "/users/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"}
            )
            assert me.json()["user_id"] == ids[owner], typed
        taken = await client.post(
            "/auth/register", json={"username": "viCTim", "password": PASSWORD}
        )
        assert taken.status_code == 409
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0009")
