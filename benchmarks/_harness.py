"""Shared by the benchmarks: throwaway databases, the fake LLM and `langtutor serve` as real
processes on 127.0.0.1, and users with tokens."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_DSN = os.environ.get("LANGTUTOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "benchmark-secret-key-0123456789-0123456789-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated throwaway database URL, dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir}/bench.db"
        migrate(url)
        yield url
        return
    name = f"langtutor_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = (
        PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        + "/"
        + name
    )
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> None:
    env = os.environ | {"LANGTUTOR_DATABASE_URL": url, "LANGTUTOR_SECRET_KEY": SECRET}
    subprocess.run([BIN / "langtutor", "db", "upgrade"], env=env, check=True, capture_output=True)


def wait_http(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.post(url, json={}, timeout=1).status_code < 600:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@contextlib.contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if log:
            out.close()  # type: ignore[union-attr]


@contextlib.contextmanager
def fake_llm(latency_s: float, fail_rate: float = 0.0, timeout_rate: float = 0.0) -> Iterator[str]:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "tests.fakellm",
        "--port",
        str(port),
        "--latency",
        str(latency_s),
        "--fail-rate",
        str(fail_rate),
        "--timeout-rate",
        str(timeout_rate),
    ]
    with process(args):
        wait_http(f"http://127.0.0.1:{port}/v1/chat/completions")
        yield f"http://127.0.0.1:{port}/v1"


@contextlib.contextmanager
def langtutor_server(
    database_url: str, llm_url: str, workers: int = 1, log: Path | None = None, **settings: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = (
        os.environ
        | {
            "LANGTUTOR_DATABASE_URL": database_url,
            "LANGTUTOR_SECRET_KEY": SECRET,
            "LANGTUTOR_LLM_PROVIDER": "openai",
            "LANGTUTOR_LLM_BASE_URL": llm_url,
            "LANGTUTOR_LLM_MODEL": "fake-model",
        }
        | {f"LANGTUTOR_{name}": value for name, value in settings.items()}
    )
    args = [str(BIN / "langtutor"), "serve", "--port", str(port), "--workers", str(workers)]
    with process(args, env=env, log=log) as proc:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("langtutor serve did not come up")
            time.sleep(0.1)
        yield url, proc


def user_token(url: str, username: str, **profile: str) -> dict[str, str]:
    password = "benchmark password"
    body = {"username": username, "password": password} | profile
    httpx.post(f"{url}/auth/register", json=body, timeout=30).raise_for_status()
    answer = httpx.post(
        f"{url}/auth/token", data={"username": username, "password": password}, timeout=30
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False
