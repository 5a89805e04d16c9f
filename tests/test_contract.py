"""The API contract from outside: Schemathesis's own command line against a real server
(`langtutor serve` on PostgreSQL, the fake model), with every check it has. A request the
schema allows must be accepted, one it forbids refused, every answer documented, and every
method a path lacks answered 405 with `Allow`.

Left out, and why:
- `ignored_auth`: the check sends requests without the token and expects a 401; `/auth/register`,
  `/auth/token`, `/healthz`, `/readyz` and `/audio` are public by design, and `/metrics` answers
  this machine without a token (LANGTUTOR_METRICS_TOKEN unset).
- `POST /speech/transcribe` and `POST /speech/read-aloud`: their `audio` is a recording, which
  the schema can only call binary; the bytes Schemathesis makes are not audio, and are refused
  (415, 422) as they should be. Their every status is tested in tests/speech.
- Operations that end the run's token: `POST /auth/logout`, `POST /auth/refresh` (revokes the
  token it replaces), `POST /users/me/password` (revokes every token) and `DELETE /users/me`.
  Their behaviour is tested in tests/accounts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.databases import pg_problem, throwaway_database
from tests.fakellm import FakeLLM
from tests.servers import ServerProcess

DELETE_ACCOUNT = "delete_me_users_me_delete"
EXAMPLES = int(os.environ.get("LANGTUTOR_CONTRACT_EXAMPLES", "10"))
TOKEN_ENDING = ["/auth/logout", "/auth/refresh", "/users/me/password"]
RECORDINGS = ["/speech/transcribe", "/speech/read-aloud"]
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output" / "contract"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if (problem := pg_problem()) is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required when CI is set: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    workdir = tmp_path_factory.mktemp("contract")
    with (
        FakeLLM(record=False) as fake,
        throwaway_database("postgresql", workdir, prefix="langtutor_contract") as url,
        ServerProcess(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": TEST_SECRET,
                "LLM_PROVIDER": "openai",
                "LLM_BASE_URL": fake.openai_url,
                "LLM_API_KEY": "test",
                "GENERATION_RATE_PER_MINUTE": "1000000",
                "AUDIO_RATE_PER_MINUTE": "1000000",
                "FEEDBACK_RATE_PER_MINUTE": "1000000",
                # Speaking on, against the fake server's transcription endpoint.
                "STT_PROVIDER": "openai",
                "STT_BASE_URL": fake.openai_url,
                "STT_RATE_PER_MINUTE": "1000000",
                # Every case comes from 127.0.0.1: the per-address limits would answer 429.
                "LOGIN_FAILURES_PER_CLIENT": "1000000",
                "SIGNUP_RATE_PER_HOUR": "1000000",
                "SHARE_VIEWS_PER_MINUTE": "1000000",
                "DATA_DIR": str(workdir / "data"),
            },
            log=workdir / "server.log",
        ) as server,
    ):
        yield server.url


def test_schemathesis_command_line_finds_nothing(live_server: str, tmp_path: Path) -> None:
    http = httpx.Client(base_url=live_server, timeout=30)
    http.post("/auth/register", json={"username": "contract", "password": "contract pass"})
    token = http.post(
        "/auth/token", data={"username": "contract", "password": "contract pass"}
    ).json()["access_token"]
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{live_server}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--exclude-checks",
        "ignored_auth",
        *[arg for path in TOKEN_ENDING + RECORDINGS for arg in ("--exclude-path", path)],
        "--exclude-operation-id",
        DELETE_ACCOUNT,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "20261127",
        # One worker: with two, Hypothesis's lambda-source cache raced between the threads in
        # two runs (a KeyError, then "AST constructor recursion depth mismatch" on CPython
        # 3.11) and the run ended in a runtime error of the tool itself.
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--generation-allow-x00",
        "false",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    # The hooks say what the schema's `format: language` and `x-rule` notes mean.
    env = os.environ | {"SCHEMATHESIS_HOOKS": "tests.contract_hooks", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "schemathesis.txt").write_text(run.stdout + run.stderr)
    summary = f"{run.stdout[-4000:]}\n(whole output: {OUTPUT / 'schemathesis.txt'})"
    assert run.returncode == 0, summary
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts is not None, summary
    assert counts[1] == counts[2], summary  # every case passed every check
    # The run used the token throughout: it still works.
    assert http.get("/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
