"""Shared by the benchmarks: throwaway databases, the fake model and `langtutor serve` as
real processes on 127.0.0.1 (the tests' own helpers), and users with tokens."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
from tests.databases import pg_problem, throwaway_database
from tests.servers import ServerProcess

SECRET = "benchmark-secret-key-0123456789-0123456789-0123456789"


def database(kind: str, workdir: Path) -> contextlib.AbstractContextManager[str]:
    return throwaway_database(kind, workdir, prefix="langtutor_bench")


def pg_available() -> bool:
    return pg_problem() is None


@contextlib.contextmanager
def fake_llm(latency_s: float, fail_rate: float = 0.0, timeout_rate: float = 0.0) -> Iterator[str]:
    """The fake model server as a process of its own: the load must not share our GIL."""
    command = [sys.executable, "-m", "tests.fakellm", "--latency", str(latency_s)]
    command += ["--fail-rate", str(fail_rate), "--timeout-rate", str(timeout_rate)]
    with ServerProcess(command=command, ready_path="/v1/chat/completions") as server:
        yield f"{server.url}/v1"


@contextlib.contextmanager
def langtutor_server(
    database_url: str, llm_url: str, workers: int = 1, log: Path | None = None, **settings: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": llm_url,
        "LLM_MODEL": "fake-model",
        # Every learner of a benchmark signs up from the one address of the load generator.
        "SIGNUP_RATE_PER_HOUR": "1000000",
    } | settings
    with ServerProcess(settings, workers=workers, log=log) as server:
        assert server.proc is not None
        yield server.url, server.proc


def user_token(url: str, username: str, **profile: str) -> dict[str, str]:
    password = "benchmark password"
    body = {"username": username, "password": password} | profile
    httpx.post(f"{url}/auth/register", json=body, timeout=30).raise_for_status()
    answer = httpx.post(
        f"{url}/auth/token", data={"username": username, "password": password}, timeout=30
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}
