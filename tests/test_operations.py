"""Health and readiness, the settings' own rules, and the command line."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.mmap_dict import MmapedDict
from sqlalchemy import event, make_url, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from langtutor.accounts.models import User
from langtutor.app import create_app
from langtutor.cli import app as cli_app
from langtutor.config import Settings
from tests.conftest import TEST_SECRET, make_settings, serve_in_process
from tests.databases import throwaway_database
from tests.factories import user_with_token
from tests.fakellm import FakeLLM
from tests.servers import ServerProcess
from tests.tcpproxy import TCPProxy


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ok"}


async def test_ready_is_503_when_the_database_is_down() -> None:
    settings = make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json() == {"detail": "database unavailable"}


def test_secret_key_is_generated_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANGTUTOR_SECRET_KEY", raising=False)
    url = f"sqlite+aiosqlite:///{tmp_path}/app.db"
    first = Settings(DATABASE_URL=url)
    second = Settings(DATABASE_URL=url)
    assert len(first.SECRET_KEY) > 40
    assert first.SECRET_KEY == second.SECRET_KEY
    assert (tmp_path / "app.db.secret_key").read_text() == first.SECRET_KEY
    assert (tmp_path / "app.db.secret_key").stat().st_mode & 0o077 == 0


def test_settings_normalize_urls_and_refuse_placeholders() -> None:
    assert Settings(DATABASE_URL="postgresql://u@h/d", SECRET_KEY="k" * 40).DATABASE_URL == (
        "postgresql+psycopg://u@h/d"
    )
    assert Settings(CORS_ORIGINS="http://a, http://b", SECRET_KEY="k" * 40).CORS_ORIGINS == [
        "http://a",
        "http://b",
    ]
    with pytest.raises(ValueError, match="placeholder"):
        Settings(SECRET_KEY="changeme")


async def test_cli_user_create(
    database_url: str, db: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGTUTOR_DATABASE_URL", database_url)
    monkeypatch.setenv("LANGTUTOR_SECRET_KEY", "k" * 40)
    from langtutor.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(args: list[str], password: str) -> Result:
        return runner.invoke(cli_app, args, env={"LANGTUTOR_NEW_PASSWORD": password})

    try:
        # The command runs its own event loop, so it goes to a thread of its own.
        ok = await asyncio.to_thread(
            invoke,
            ["user", "create", "cli_user", "--target", "French", "--level", "b2"],
            "long enough password",
        )
        assert ok.exit_code == 0, ok.output
        duplicate = await asyncio.to_thread(invoke, ["user", "create", "cli_user"], "x" * 10)
        assert duplicate.exit_code == 1
        assert "already taken" in duplicate.output
        bad = await asyncio.to_thread(
            invoke, ["user", "create", "other", "--target", "Klingonish"], "x" * 10
        )
        assert bad.exit_code == 2
        assert "Klingonish" in bad.output
    finally:
        get_settings.cache_clear()
    async with db.connect() as connection:
        user = (await connection.execute(select(User).where(User.username == "cli_user"))).one()
    assert (user.default_target_language, user.self_assessed_level) == ("fr", "B2")


# Bodies that pass validation, so that the request reaches the database.
VALID_BODIES: dict[str, Any] = {
    "/auth/register": {"username": "abc", "password": "x" * 10},
    "/auth/token": {"username": "abc", "password": "x" * 10},
    "/users/me": {"email": "a@example.org"},
    "/users/me/password": {"current_password": "x", "new_password": "y" * 10},
    "/auth/reset-password": {"username": "abc", "code": "ABCD-EFGH", "new_password": "y" * 10},
    "/generate": {"query": "q", "target_language": "es"},
    "/content/save": {
        "content_type": "flashcards",
        "original_query": "q",
        "content_data": {"cards": [{"front": "a", "back": "b"}]},
    },
    "/content/{saved_content_id}": {"user_label": "x"},
    "/feedback": {"rating": 3},
}


async def test_database_down_is_503_not_500() -> None:
    """Requests that reach a database which is gone get a clear 503."""
    settings = make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.post(
                "/auth/register", json={"username": "abc", "password": "x" * 10}
            )
            assert answer.status_code == 503
            assert answer.headers["retry-after"] == "5"
            # Every operation that needs the database says so, and documents that it may.
            schema = app.openapi()
            headers = {"Authorization": "Bearer some-token"}
            for path, item in schema["paths"].items():
                for method, operation in item.items():
                    if path in ("/healthz", "/metrics"):
                        continue
                    # A shared link's token has the shape of one (else 422, before any read).
                    concrete = re.sub(r"\{[^}]+\}", "1", path.replace("{token}", "A" * 32))
                    body = VALID_BODIES.get(path.rsplit("/", 1)[0] if "generate" in path else path)
                    answer = await client.request(
                        method,
                        concrete,
                        headers=headers,
                        params={"format": "json"},
                        json=body if "requestBody" in operation and path != "/auth/token" else None,
                        data=body if path == "/auth/token" else None,
                    )
                    assert answer.status_code == 503, (method, path, answer.text)
                    assert "503" in operation["responses"], (method, path)
            client.cookies.set("langtutor_token", "some-token")
            page = await client.get("/app/library")
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")


async def test_the_transaction_commits_before_the_answer_is_sent(app: FastAPI) -> None:
    """A client told 201 can read its write at once, from any process."""
    order: list[str] = []
    event.listen(
        app.state.runtime.engine.sync_engine, "commit", lambda _conn: order.append("commit")
    )

    async def recording_app(scope: Any, receive: Any, send: Any) -> None:
        async def recording_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                order.append(f"answer {message['status']}")
            await send(message)

        await app(scope, receive, recording_send)

    transport = httpx.ASGITransport(app=recording_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post(
            "/auth/register", json={"username": "early", "password": "x" * 10}
        )
    assert answer.status_code == 201
    assert order == ["commit", "answer 201"]


@pytest.fixture
def postgresql_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own on PostgreSQL, the one of the two that a network can cut off."""
    with throwaway_database("postgresql", tmp_path) as url:
        yield url


async def test_connections_the_server_dropped_cost_one_503_then_the_pool_recovers(
    postgresql_url: str,
) -> None:
    """Pooled connections are not pinged before each use (a round trip per request): when
    PostgreSQL drops them (a restart, a failover; here a proxy cutting every connection), the
    request that meets one gets a 503, and SQLAlchemy replaces the whole pool for the next."""
    url = make_url(postgresql_url)
    proxy = TCPProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(make_settings(proxied, TOKEN_CACHE_TTL_S=0))
    try:
        async with serve_in_process(app) as client:
            _, headers = await user_with_token(client)
            # Several pooled connections, all of which the cut will break.
            answers = await asyncio.gather(
                *(client.get("/content", headers=headers) for _ in range(5))
            )
            assert all(answer.status_code == 200 for answer in answers)
            await proxy.stop()
            await proxy.start()
            statuses = [
                (await client.get("/content", headers=headers)).status_code for _ in range(6)
            ]
            assert statuses.count(503) <= 1, statuses
            assert statuses[-5:] == [200] * 5, statuses
    finally:
        await proxy.stop()


GENERATIONS_TOTAL = 'langtutor_generations_total{content_type="flashcards",outcome="ok"}'


def generations_per_worker(metrics_dir: Path) -> dict[str, float]:
    """The flashcard generations each worker counted in its own file (counter_<pid>.db)."""
    counted: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        for key, value, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            name, sample, labels, _help = json.loads(key)
            if sample == "langtutor_generations_total" and labels == {
                "content_type": "flashcards",
                "outcome": "ok",
            }:
                counted[path.stem] = counted.get(path.stem, 0.0) + value
    return counted


def scraped(body: str) -> float:
    return float(re.search(rf"^{re.escape(GENERATIONS_TOTAL)} (\S+)$", body, re.MULTILINE)[1])  # type: ignore[index]


@pytest.mark.slow
async def test_metrics_add_up_the_generations_of_every_worker(
    database_url: str, db: AsyncEngine, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    """`langtutor serve --workers 2`: the generations are spread over both workers (each
    counts its own, in its own file), and /metrics, whichever worker answers it, counts all."""
    fake_llm.latency_s = 0.2  # calls overlap, so that both workers take some
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": fake_llm.openai_url,
        "GENERATION_RATE_PER_MINUTE": "100000",
        "MODEL_CALLS_PER_LEARNER": "100",  # one learner's calls, all at once
        "DATA_DIR": str(tmp_path),
    }
    with ServerProcess(settings, workers=2, log=tmp_path / "server.log") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            _, headers = await user_with_token(http, default_target_language="es")

        async def generate(n: int, http: httpx.AsyncClient) -> int:
            # A connection of its own each time: the kernel hands it to either worker.
            async with http:
                answer = await http.post(
                    "/generate/flashcards",
                    headers=headers,
                    json={"query": f"topic {n}", "count": 1},
                )
                return answer.status_code

        # The clients made first (tens of ms each), so that the 40 calls go out at once.
        clients = [httpx.AsyncClient(base_url=server.url, timeout=60) for _ in range(40)]
        statuses = await asyncio.gather(*(generate(n, http) for n, http in enumerate(clients)))
        assert statuses == [200] * 40
        per_worker = generations_per_worker(tmp_path / "metrics")
        assert len([n for n in per_worker.values() if n > 0]) == 2, per_worker
        assert sum(per_worker.values()) == 40
        for _ in range(6):  # whichever worker answers
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                assert scraped((await http.get("/metrics")).text) == 40.0
