"""Operators for the console's tests: a learner made an operator in the database, then
signed in (the login holds their cached tokens back, so the role is read afresh)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import login, register


async def make_operator(db: AsyncEngine, user_id: int) -> None:
    async with db.begin() as connection:
        await connection.execute(
            text("UPDATE users SET is_admin = :yes WHERE user_id = :id"),
            {"yes": True, "id": user_id},
        )


async def operator_with_token(
    client: httpx.AsyncClient, db: AsyncEngine, username: str = "olga"
) -> tuple[dict[str, Any], dict[str, str]]:
    user = await register(client, username)
    await make_operator(db, user["user_id"])
    return user, await login(client, username)


async def audit_actions(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    answer = await client.get("/admin/audit", headers=headers)
    assert answer.status_code == 200, answer.text
    return [entry["action"] for entry in answer.json()["entries"]]
