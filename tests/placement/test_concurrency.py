"""The same answers posted twice at once (a double click, two tabs): one is taken, the other
is told so; the placement holds one set of answers (PostgreSQL: a row lock; SQLite: the row's
version)."""

from __future__ import annotations

import asyncio

import httpx

from tests.factories import user_with_token


async def test_answers_posted_twice_at_once_are_taken_once(
    client: httpx.AsyncClient, db: object
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    view = (await client.post("/placement", headers=headers)).json()
    answers = {"answers": [{"item_id": i["item_id"], "known": True} for i in view["items"]]}
    path = f"/placement/{view['placement_id']}/answers"
    first, second = await asyncio.gather(
        client.post(path, json=answers, headers=headers),
        client.post(path, json=answers, headers=headers),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    now = (await client.get(f"/placement/{view['placement_id']}", headers=headers)).json()
    taken = first if first.status_code == 200 else second
    assert now == taken.json()
