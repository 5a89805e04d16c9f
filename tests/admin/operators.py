"""Operators for the console's tests: a learner made one in the database, then logged in."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import login, register


async def operator_headers(client: httpx.AsyncClient, db: AsyncEngine) -> dict[str, str]:
    user = await register(client)
    async with db.begin() as connection:
        await connection.execute(
            text("UPDATE users SET is_admin = :yes WHERE user_id = :id"),
            {"yes": True, "id": user["user_id"]},
        )
    return await login(client, user["username"])
