"""Accounts through the real HTTP app and database: register, login, tokens, profile."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.accounts.models import AuthToken, LoginAttempt, User
from langtutor.db import utcnow
from tests.factories import PASSWORD, login, register, user_with_token


async def count(db: AsyncEngine, table: str) -> int:
    async with db.connect() as connection:
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_register_normalizes_languages_and_level(client: httpx.AsyncClient) -> None:
    user = await register(
        client,
        username="ana",
        email="Ana@Example.ORG",
        default_target_language="Spanish",
        default_base_language="EN",
        self_assessed_level="Beginner",
    )
    assert user["default_target_language"] == "es"
    assert user["default_base_language"] == "en"
    assert user["self_assessed_level"] == "A2"
    assert user["email"] == "ana@example.org"
    assert "password_hash" not in user


@pytest.mark.parametrize(
    ("value", "code"), [("spanish", "es"), ("ES", "es"), ("es", "es"), ("zh-Hant", "zh-Hant")]
)
async def test_language_inputs(client: httpx.AsyncClient, value: str, code: str) -> None:
    user = await register(client, default_target_language=value)
    assert user["default_target_language"] == code


async def test_password_is_argon2id_and_never_returned(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    user, headers = await user_with_token(client)
    async with db.connect() as connection:
        stored = (
            await connection.execute(
                select(User.password_hash).where(User.user_id == user["user_id"])
            )
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    answers = [
        await client.get("/users/me", headers=headers),
        await client.patch("/users/me", headers=headers, json={"self_assessed_level": "B1"}),
        await client.post("/auth/token", data={"username": user["username"], "password": PASSWORD}),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert "password_hash" not in answer.text
        assert "$argon2" not in answer.text


async def test_login_updates_last_login_and_token_works(client: httpx.AsyncClient) -> None:
    user = await register(client)
    assert user["last_login"] is None
    headers = await login(client, user["username"])
    me = await client.get("/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["last_login"] is not None
    token = await client.post(
        "/auth/token", data={"username": user["username"], "password": PASSWORD}
    )
    assert token.json()["token_type"] == "bearer"
    assert token.json()["expires_in"] == 86400


async def test_forged_and_missing_tokens_get_401(client: httpx.AsyncClient) -> None:
    await user_with_token(client)
    for headers in ({}, {"Authorization": "Bearer forged-token"}, {"Authorization": "Bearer "}):
        answer = await client.get("/users/me", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "detail" in answer.json()


async def test_logout_revokes_token(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    assert (await client.post("/auth/logout", headers=headers)).status_code == 204
    answer = await client.get("/users/me", headers=headers)
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]


async def test_password_change_revokes_other_tokens(client: httpx.AsyncClient) -> None:
    user, first = await user_with_token(client)
    second = await login(client, user["username"])
    wrong = await client.post(
        "/users/me/password",
        headers=second,
        json={"current_password": "not my password", "new_password": "a new password"},
    )
    assert wrong.status_code == 403
    changed = await client.post(
        "/users/me/password",
        headers=second,
        json={"current_password": PASSWORD, "new_password": "a new password"},
    )
    assert changed.status_code == 204
    assert (await client.get("/users/me", headers=first)).status_code == 401
    assert (await client.get("/users/me", headers=second)).status_code == 200
    assert (
        await client.post("/auth/token", data={"username": user["username"], "password": PASSWORD})
    ).status_code == 401
    await login(client, user["username"], "a new password")


@pytest.mark.parametrize("settings_overrides", [{"ACCESS_TOKEN_TTL_S": 1}])
async def test_expired_token_gets_401(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    assert (await client.get("/users/me", headers=headers)).status_code == 200
    await asyncio.sleep(1.2)
    answer = await client.get("/users/me", headers=headers)
    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "x" * 51}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "semi;colon"}, "username"),
        ({"password": "short"}, "password"),
        ({"password": "p" * 1025}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@" + "b" * 250 + ".org"}, "email"),
        ({"default_target_language": "Klingonish"}, "default_target_language"),
        ({"default_base_language": ""}, "default_base_language"),
        ({"self_assessed_level": "D9"}, "self_assessed_level"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_register_rejects_bad_fields(
    client: httpx.AsyncClient, db: AsyncEngine, body: dict[str, object], field: str
) -> None:
    before = await count(db, "users")
    answer = await client.post(
        "/auth/register", json={"username": "valid_name", "password": PASSWORD} | body
    )
    assert answer.status_code == 422
    problems = answer.json()["detail"]
    assert any(problem["loc"][-1] == field for problem in problems), problems
    if field == "password":
        assert "p" * 1025 not in answer.text
        assert "input" not in problems[0]
    if field == "default_target_language":
        assert "Klingonish" in problems[0]["msg"]
    assert await count(db, "users") == before


async def test_duplicates_give_409_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    await register(client, username="taken", email="taken@example.org")
    before = await count(db, "users")
    same_name = await client.post(
        "/auth/register", json={"username": "taken", "password": PASSWORD}
    )
    assert same_name.status_code == 409
    assert "taken" in same_name.json()["detail"]
    same_email = await client.post(
        "/auth/register",
        json={"username": "other", "password": PASSWORD, "email": "TAKEN@example.org"},
    )
    assert same_email.status_code == 409
    assert await count(db, "users") == before
    _, headers = await user_with_token(client)
    patch = await client.patch("/users/me", headers=headers, json={"email": "taken@example.org"})
    assert patch.status_code == 409


async def test_patch_profile(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client, default_target_language="fr")
    answer = await client.patch(
        "/users/me",
        headers=headers,
        json={"default_target_language": "German", "self_assessed_level": "C1", "email": None},
    )
    assert answer.status_code == 200
    assert answer.json()["default_target_language"] == "de"
    assert answer.json()["self_assessed_level"] == "C1"
    bad = await client.patch(
        "/users/me", headers=headers, json={"default_base_language": "Klingonish"}
    )
    assert bad.status_code == 422
    assert (await client.get("/users/me", headers=headers)).json()["default_base_language"] is None


async def test_login_throttling(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    user = await register(client)
    for _ in range(5):
        answer = await client.post(
            "/auth/token", data={"username": user["username"], "password": "wrong!!!"}
        )
        assert answer.status_code == 401
    blocked = await client.post(
        "/auth/token", data={"username": user["username"], "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    # The count lives in the database, where every server process sees it.
    async with db.connect() as connection:
        attempts = (
            await connection.execute(
                select(func.count()).where(LoginAttempt.username == user["username"])
            )
        ).scalar_one()
    assert attempts == 5
    # Once the window has passed, the right password works again and clears the count.
    async with db.begin() as connection:
        await connection.execute(
            update(LoginAttempt).values(attempted_at=utcnow() - timedelta(minutes=16))
        )
    await login(client, user["username"])
    async with db.connect() as connection:
        assert (
            await connection.execute(select(func.count()).select_from(LoginAttempt))
        ).scalar_one() == 0


async def test_unknown_username_takes_as_long_as_wrong_password(client: httpx.AsyncClient) -> None:
    """Timing must not reveal which usernames exist (medians of several tries, wide bounds)."""
    user = await register(client)

    async def timed(username: str) -> float:
        start = time.perf_counter()
        answer = await client.post(
            "/auth/token", data={"username": username, "password": "wrong!!!"}
        )
        assert answer.status_code == 401
        return time.perf_counter() - start

    known, unknown = [], []
    for index in range(4):  # below the throttling limit for the known name
        known.append(await timed(user["username"]))
        unknown.append(await timed(f"nobody{index}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (known, unknown)


async def test_delete_me_removes_only_my_rows(client: httpx.AsyncClient, db: AsyncEngine) -> None:
    mine, my_headers = await user_with_token(client)
    other, _ = await user_with_token(client)
    await client.post("/auth/token", data={"username": mine["username"], "password": "wrong!!!"})
    async with db.begin() as connection:
        for user_id in (mine["user_id"], other["user_id"]):
            log_id = (
                await connection.execute(
                    text(
                        "INSERT INTO activity_log (user_id, content_type, query_text, target_language, event)"
                        " VALUES (:u, 'flashcards', 'tapas', 'es', 'query') RETURNING log_id"
                    ),
                    {"u": user_id},
                )
            ).scalar_one()
            saved_id = (
                await connection.execute(
                    text(
                        "INSERT INTO saved_content (user_id, content_type, original_query, content_data)"
                        " VALUES (:u, 'flashcards', 'tapas', '{}') RETURNING saved_content_id"
                    ),
                    {"u": user_id},
                )
            ).scalar_one()
            await connection.execute(
                text(
                    "INSERT INTO feedback (user_id, related_log_id, related_saved_content_id, rating)"
                    " VALUES (:u, :l, :s, 4)"
                ),
                {"u": user_id, "l": log_id, "s": saved_id},
            )
    assert (await client.delete("/users/me", headers=my_headers)).status_code == 204
    assert (await client.get("/users/me", headers=my_headers)).status_code == 401
    async with db.connect() as connection:
        for table in ("users", "activity_log", "saved_content", "feedback", "auth_tokens"):
            rows = (await connection.execute(text(f"SELECT user_id FROM {table}"))).scalars().all()
            assert mine["user_id"] not in rows, table
            assert other["user_id"] in rows, table
        attempts = (await connection.execute(select(LoginAttempt.username))).scalars().all()
        assert mine["username"] not in attempts
        tokens = (await connection.execute(select(AuthToken.user_id))).scalars().all()
        assert set(tokens) == {other["user_id"]}
