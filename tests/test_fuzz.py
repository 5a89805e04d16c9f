"""Schemathesis over every operation of the OpenAPI schema, in process (ASGI), authenticated
as a real user, with the fake model: no 500, every answer as documented, invalid input
rejected, authentication never ignored."""

from __future__ import annotations

import os
import secrets
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from langtutor.accounts.security import password_hash, token_digest
from langtutor.app import create_app
from tests.conftest import TABLES, TEST_SECRET, make_settings
from tests.fakellm import FakeLLM

EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    use_after_free,
]


@pytest.fixture(scope="module")
def sync_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url.replace("+aiosqlite", ""))  # the same database, sync
    yield engine
    with engine.begin() as connection:  # leave the database as empty as the other tests expect
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture(scope="module")
def fuzz_app(database_url: str, fake_llm_server: FakeLLM, sync_engine: Engine) -> FastAPI:
    return create_app(
        make_settings(
            database_url,
            LLM_PROVIDER="openai",
            LLM_BASE_URL=fake_llm_server.openai_url,
            GENERATION_RATE_PER_MINUTE=1_000_000,
            FEEDBACK_RATE_PER_MINUTE=1_000_000,
            # Speaking on: recordings go to the fake server's transcription endpoint.
            STT_PROVIDER="openai",
            STT_BASE_URL=fake_llm_server.openai_url,
            STT_RATE_PER_MINUTE=1_000_000,
        )
    )


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return password_hash.hash("fuzz password")


def new_user_token(sync_engine: Engine, stored_hash: str, *, admin: bool = False) -> dict[str, str]:
    """A fresh user and token for each case: a case may log out or delete its account. The
    console's operations (`/admin`) are fuzzed as an operator."""
    token = secrets.token_urlsafe(32)
    with sync_engine.begin() as connection:
        user_id = connection.execute(
            text(
                "INSERT INTO users (username, password_hash, default_target_language, is_admin)"
                " VALUES (:u, :h, 'es', :a) RETURNING user_id"
            ),
            {"u": f"fuzz_{secrets.token_hex(6)}", "h": stored_hash, "a": admin},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO auth_tokens (user_id, token_digest, created_at, expires_at)"
                " VALUES (:u, :d, CURRENT_TIMESTAMP, :e)"
            ),
            {"u": user_id, "d": token_digest(token, TEST_SECRET), "e": "2999-01-01 00:00:00+00:00"},
        )
    return {"Authorization": f"Bearer {token}"}


# schemathesis' pytest integration (`from_fixture`) does not run under pytest 9 yet, so the
# operations are driven through Hypothesis directly: the same strategies, cases and checks.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api(api_schema: Any, sync_engine: Engine, stored_hash: str, mode: GenerationMode) -> None:
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            # Reproducible in CI; a new exploration on every run elsewhere.
            derandomize=bool(os.environ.get("CI")),
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            admin = case.operation.path.startswith("/admin")
            headers = new_user_token(sync_engine, stored_hash, admin=admin)
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as error:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {error!r}\n{traceback.format_exc()[-3000:]}")
    assert not failures, "\n\n".join(failures)
