"""What keeps one review from counting twice, or a card from being reviewed when it should not,
through the real HTTP app and database (on SQLite, a write that waits out the lock is a 409,
any other failed write a 503); and the learner's own FSRS parameters (fitted by `langtutor
review optimize`) scheduling their cards."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fsrs import Scheduler
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.clock import Clock
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM

GOOD = 3


async def one_card(client: httpx.AsyncClient) -> tuple[dict[str, str], int]:
    _, headers = await user_with_token(client, default_target_language="es")
    await saved_flashcards(client, headers, 1)
    queue = (await client.get("/review/queue", headers=headers)).json()
    return headers, queue["cards"][0]["card_id"]


async def test_a_rating_counts_once(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock
) -> None:
    headers, card_id = await one_card(client)

    async def rate(**body: object) -> httpx.Response:
        return await client.post(
            f"/review/{card_id}", headers=headers, json={"rating": GOOD} | body
        )

    # With the review count the card had when shown: a second submission of it is refused.
    assert (await rate(reps=0)).status_code == 200
    stale = await rate(reps=0)
    assert stale.status_code == 409
    assert stale.json()["detail"] == (
        "this card was reviewed since it was shown; undo that review to change it"
    )
    clock.now += timedelta(minutes=1)
    assert (await rate(reps=1)).status_code == 200
    # Without it: a rating within two seconds of the last is a double submission.
    clock.now += timedelta(seconds=1.9)
    double = await rate()
    assert double.status_code == 409
    assert double.json()["detail"] == (
        "this card was rated a moment ago; undo that rating to change it"
    )
    clock.now += timedelta(seconds=0.1)
    assert (await rate()).status_code == 200

    suspended = await client.patch(
        f"/review/cards/{card_id}", headers=headers, json={"suspended": True}
    )
    assert suspended.status_code == 200
    refused = await rate()
    assert refused.status_code == 409
    assert refused.json()["detail"] == "this card is suspended; unsuspend it to review it"


async def test_the_learners_own_parameters_schedule_their_cards(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine
) -> None:
    headers, card_id = await one_card(client)
    parameters = list(Scheduler().parameters)
    parameters[2] = 5.0  # a first Good remembered for 5 days, where the default says 2.3
    async with db.begin() as connection:
        await connection.execute(
            text("UPDATE users SET fsrs_parameters = :p"), {"p": str(parameters)}
        )
    rated = await client.post(f"/review/{card_id}", headers=headers, json={"rating": GOOD})
    assert rated.status_code == 200, rated.text
    assert rated.json()["stability"] == 5.0


async def test_a_rating_that_cannot_take_the_write_lock_in_time_is_a_conflict(
    app: FastAPI,
    client: httpx.AsyncClient,
    fake_llm: FakeLLM,
    clock: Clock,
    db: AsyncEngine,
    backend: str,
) -> None:
    """On SQLite one write at a time: a rating whose write waits out the lock (another
    process writing, here a transaction that holds it) is refused as a 409, to be sent again,
    and applies nothing; on PostgreSQL rows are locked one by one, so there is no such wait."""
    if backend != "sqlite":
        pytest.skip("SQLite's database-wide write lock")
    headers, card_id = await one_card(client)

    def short_wait(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=100")  # not the app's 30 s
        cursor.close()

    engine = app.state.runtime.db.engine
    event.listen(engine.sync_engine, "checkout", short_wait)
    try:
        async with db.connect() as holder:
            await holder.exec_driver_sql("BEGIN IMMEDIATE")
            refused = await client.post(
                f"/review/{card_id}", headers=headers, json={"rating": GOOD}
            )
            await holder.rollback()
    finally:
        event.remove(engine.sync_engine, "checkout", short_wait)
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "this card was rated by another request at the same moment"
    card = (await client.get(f"/review/cards/{card_id}", headers=headers)).json()
    assert card["reps"] == 0


async def test_a_rating_whose_write_fails_otherwise_is_no_conflict(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine, backend: str
) -> None:
    """Only a lock is taken for another rating at the same moment: a write that SQLite refuses
    for another reason (here a trigger that reads a table that is not there) answers 503, as
    any database failure does."""
    if backend != "sqlite":
        pytest.skip("SQLite's error for a lock, told apart from its other errors")
    headers, card_id = await one_card(client)
    async with db.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TRIGGER broken BEFORE UPDATE ON review_cards"
            " BEGIN SELECT * FROM no_such_table; END"
        )
    try:
        failed = await client.post(f"/review/{card_id}", headers=headers, json={"rating": GOOD})
    finally:
        async with db.begin() as connection:
            await connection.exec_driver_sql("DROP TRIGGER broken")
    assert failed.status_code == 503, failed.text


async def test_of_two_ratings_read_together_one_applies(
    client: httpx.AsyncClient, fake_llm: FakeLLM, clock: Clock, db: AsyncEngine, backend: str
) -> None:
    """Two ratings of one card that both read it before either writes (their writes wait for
    another transaction, which holds the card's row or SQLite's lock): the first applies, the
    second is refused by the compare-and-set on the review count, and one review is logged."""
    headers, card_id = await one_card(client)
    async with db.connect() as holder:
        if backend == "sqlite":
            await holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            await holder.execute(
                text("SELECT card_id FROM review_cards WHERE card_id = :c FOR UPDATE"),
                {"c": card_id},
            )
        ratings = [
            asyncio.create_task(
                client.post(f"/review/{card_id}", headers=headers, json={"rating": GOOD})
            )
            for _ in range(2)
        ]
        await asyncio.sleep(0.5)  # both have read the card, and wait to write
        await holder.rollback()
        answers = await asyncio.gather(*ratings)
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    (refused,) = [answer for answer in answers if answer.status_code == 409]
    assert refused.json()["detail"] == "this card was rated by another request at the same moment"
    async with db.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM review_logs")) == 1
