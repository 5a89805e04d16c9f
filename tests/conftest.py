"""Test databases (SQLite and PostgreSQL, each a throwaway built by Alembic) and an app client.

Every test that uses `client` or `db` runs once per database. Rows are removed after each
test rather than rolled back: the batch logger and the server-process tests write on their own
connections, which a per-test outer transaction could not see or undo.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.app import create_app
from langtutor.config import Settings
from langtutor.db import create_engine
from tests.databases import PG_ADMIN_DSN, pg_problem, throwaway_database
from tests.fakellm import FakeLLM
from tests.servers import ThreadedServer

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hmac-0123456789"
TABLES = [
    "assignment_copies",
    "class_assignments",
    "class_members",
    "classes",
    "audit_log",
    "password_reset_codes",
    "server_settings",
    "plan_steps",
    "plans",
    "activity_days",
    "quality_days",
    "conversation_turns",
    "conversations",
    "invite_codes",
    "review_logs",
    "review_cards",
    "feedback",
    "content_shares",
    "saved_content",
    "activity_log",
    "activity_quarantine",
    "auth_tokens",
    "login_attempts",
    "sign_up_attempts",
    "client_rate_limits",
    "users",
]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per backend and run, migrated to head, dropped afterwards."""
    if request.param == "postgresql" and (problem := pg_problem()) is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required when CI is set: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_DSN}: {problem}")
    with throwaway_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "LLM_PROVIDER": "none",
        # A lookup of an unknown generation waits about this long for other workers.
        "LOG_FLUSH_INTERVAL_S": 0.2,
        # Audio files of each test in a folder of their own, never in the repository.
        "DATA_DIR": tempfile.mkdtemp(prefix="langtutor-data-"),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module (or parametrize) to change the app's settings."""
    return {}


@pytest.fixture
def settings(database_url: str, settings_overrides: dict[str, object]) -> Settings:
    return make_settings(database_url, **settings_overrides)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test database for direct checks; every row is removed afterwards."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        async with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execute(
                    text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
                )
            else:
                for table in TABLES:
                    await connection.execute(text(f"DELETE FROM {table}"))
        await engine.dispose()


@pytest.fixture
async def app(settings: Settings, db: AsyncEngine) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def serve_in_process(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


AppFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def app_factory(
    database_url: str, db: AsyncEngine, settings_overrides: dict[str, object]
) -> AppFactory:
    """`async with app_factory(SETTING=value) as client:` an app with changed settings."""

    def factory(**overrides: object) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        settings = make_settings(database_url, **(settings_overrides | overrides))
        return serve_in_process(create_app(settings))

    return factory


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM) -> FakeLLM:
    """The fake model server, reset for this test: valid answers, no latency, no history."""
    fake_llm_server.requests.clear()
    fake_llm_server.script.clear()
    fake_llm_server.latency_s = fake_llm_server.fail_rate = fake_llm_server.timeout_rate = 0.0
    fake_llm_server.transcript = FakeLLM.transcript
    return fake_llm_server


@pytest.fixture
def fake_llm_settings(fake_llm: FakeLLM) -> dict[str, object]:
    """Settings that point the app at the fake model server (OpenAI protocol)."""
    return {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": fake_llm.openai_url,
        "LLM_MODEL": "fake-model",
    }


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def serve(database_url: str, db: Any) -> Iterator[Callable[..., ThreadedServer]]:
    """`serve(SETTING=value)`: the app under uvicorn on 127.0.0.1, stopped after the test."""
    servers: list[ThreadedServer] = []

    def start(**overrides: object) -> ThreadedServer:
        settings: Settings = make_settings(database_url, **overrides)
        server = ThreadedServer(create_app(settings)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
