"""What every answer of the server carries, whoever makes it (a route, an exception handler,
Starlette's own size limit or its last-resort 500): the security headers, the error in the
app's form (JSON `{"detail": ...}`, a page under /app), and JSON read as RFC 8259 has it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import AppFactory
from tests.factories import register, saved_flashcards, user_with_token
from tests.web.test_pages import sign_up

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
NON_FINITE = ["NaN", "Infinity", "-Infinity"]


def assert_secured(answer: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (answer.request.url, name, answer.headers)
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def assert_json_error(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json", answer.headers
    assert "detail" in answer.json()
    assert_secured(answer)


def assert_error_page(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html"), answer.headers
    assert "<!doctype html>" in answer.text.lower()
    assert_secured(answer)


def json_operations(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path with ids filled in) of every operation that takes a JSON body."""
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


@pytest.fixture
async def loose_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets the server's 500 answer rather than the exception behind it."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_non_finite_numbers_are_invalid_json_on_every_operation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # The unauthenticated sign-up first: NaN here used to be a 500 with a traceback.
    for constant in NON_FINITE:
        body = f'{{"username": "ana", "password": "correct horse", "daily_goal": {constant}}}'
        answer = await client.post(
            "/auth/register", content=body, headers={"Content-Type": "application/json"}
        )
        assert_json_error(answer, 422)
        (problem,) = answer.json()["detail"]
        assert problem["type"] == "json_invalid"
        assert problem["loc"] == ["body", body.index(constant)]
        assert constant in problem["ctx"]["error"]
    # Nested in a free-form field, and on every operation that takes a body.
    _, headers = await user_with_token(client)
    nested = '{"rating": 4, "context_details": {"snippet": {"score": NaN}}}'
    answer = await client.post(
        "/feedback", content=nested, headers=headers | {"Content-Type": "application/json"}
    )
    assert_json_error(answer, 422)
    with_body = json_operations(app)
    assert len(with_body) >= 15
    for method, path in with_body:
        answer = await client.request(
            method,
            path,
            content='{"x": [1, -Infinity]}',
            headers=headers | {"Content-Type": "application/json"},
        )
        assert answer.status_code == 422, (method, path, answer.text)
        assert answer.json()["detail"][0]["type"] == "json_invalid", (method, path)
    # The words inside a string are text, as ever.
    assert (await register(client, "NaN"))["username"] == "NaN"


async def test_oversized_bodies_are_413_in_the_apps_form(client: httpx.AsyncClient) -> None:
    """Announced by Content-Length (Starlette's limiter answers before any handler) or
    streamed without it (found while reading): the same answer."""
    big = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 256 * 1024):
            yield big[start : start + 256 * 1024]

    json_headers = {"Content-Type": "application/json"}
    for content in (big, chunks()):
        answer = await client.post("/auth/register", content=content, headers=json_headers)
        assert_json_error(answer, 413)
        assert answer.json() == {"detail": "the request body is larger than 1 MiB"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_error_page(await client.post("/app/login", content=b"a=" + big, headers=form), 413)


async def test_an_unexpected_error_is_a_500_in_the_apps_form(
    app: FastAPI, loose_client: httpx.AsyncClient
) -> None:
    """Starlette's last resort answers an exception no handler takes: the answer still has
    the headers, and no traceback."""

    async def broken() -> None:
        raise RuntimeError("secret detail of a bug")

    app.add_api_route("/broken", broken)
    app.add_api_route("/app/broken", broken)
    answer = await loose_client.get("/broken")
    assert_json_error(answer, 500)
    assert answer.json() == {"detail": "something went wrong on the server; try again in a moment"}
    page = await loose_client.get("/app/broken")
    assert_error_page(page, 500)
    assert "secret detail" not in page.text


async def test_every_kind_of_error_carries_the_headers(client: httpx.AsyncClient) -> None:
    assert_json_error(await client.get("/users/me"), 401)
    assert_json_error(await client.get("/nowhere"), 404)
    assert_json_error(await client.put("/healthz"), 405)
    assert_json_error(await client.get("/content?limit=0", headers={"Authorization": "x"}), 401)
    assert_json_error(await client.post("/auth/register", json={}), 422)
    assert_error_page(await client.get("/app/nowhere"), 404)


async def test_signed_in_pages_and_personal_answers_are_never_stored(
    app_factory: AppFactory, fake_llm_settings: dict[str, object]
) -> None:
    """A signed-in page or an API answer about the learner may not be kept by the browser
    or a proxy (`no-store`): a later user of the same computer must not find it in the
    cache. Static files stay cacheable; the audio keeps its own long, private lifetime."""
    async with app_factory(**fake_llm_settings) as client:
        csrf = await sign_up(client, "ana", default_target_language="es")
        saved = await saved_flashcards(client, {"X-CSRF-Token": csrf}, 2)
        item, generation_id = saved["saved_content_id"], saved["generation_id"]
        pages = [
            "/",
            "/app",
            "/app/generate",
            f"/app/generations/{generation_id}",
            "/app/library",
            f"/app/library/{item}",
            "/app/review",
            "/app/progress",
            "/app/profile",
            "/app/conversations",
            "/app/welcome",
            "/app/library/2147483647",  # not found: the error page
        ]
        for path in pages:
            answer = await client.get(path)
            assert answer.status_code in (200, 404), (path, answer.status_code)
            assert answer.headers["cache-control"] == "no-store", path
            assert_secured(answer)
        _, headers = await user_with_token(client)
        personal = ["/users/me", "/content", "/feedback", "/activity", "/progress", "/review/queue"]
        for path in personal:
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.text)
            assert answer.headers["cache-control"] == "no-store", path
        export = await client.get(f"/content/{item}/export", params={"format": "json"})
        assert export.headers["cache-control"] == "no-store"
        script = await client.get("/static/app.js")
        assert script.status_code == 200
        assert "cache-control" not in script.headers
        audio = await client.get("/audio", headers=headers, params={"text": "hola", "lang": "es"})
        assert audio.headers["cache-control"] == "private, max-age=31536000, immutable"
