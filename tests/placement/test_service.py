"""The `Placement` service object called directly with a `Learner` (no HTTP in between), on
both databases: what it stores beside what it shows (a word's rank and whether it is made
up stay on the server), the level accepted onto the profile in the same transaction, and
another learner's placement."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.errors import Conflict, NotFound
from langtutor.placement.schemas import (
    AcceptRequest,
    PlacementStart,
    VocabularyAnswer,
    VocabularyAnswers,
)
from langtutor.placement.service import Placement
from tests.factories import learner_of_headers, user_with_token


async def stored_items(db: AsyncEngine, placement_id: int) -> list[dict[str, object]]:
    async with db.connect() as connection:
        items = await connection.scalar(
            text("SELECT items FROM placements WHERE placement_id = :p"), {"p": placement_id}
        )
    return json.loads(items) if isinstance(items, str) else items


async def test_the_server_keeps_what_the_learner_is_not_shown(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="fr")
    learner = await learner_of_headers(app, headers)
    placement: Placement = app.state.runtime.placement
    view = await placement.start(learner, data=PlacementStart(language="ar"))
    assert view.language == "ar"
    stored = await stored_items(db, view.placement_id)
    assert [item["word"] for item in stored] == [item.word for item in view.items]
    ranks = [item["rank"] for item in stored]
    assert ranks.count(-1) == 4  # the first round's pseudowords
    assert all(-1 <= rank < 6000 for rank in ranks)
    assert "rank" not in view.model_dump_json()
    with pytest.raises(Conflict):
        await placement.accept(learner, placement_id=view.placement_id, data=AcceptRequest())
    _, other_headers = await user_with_token(client)
    other = await learner_of_headers(app, other_headers)
    with pytest.raises(NotFound):
        await placement.view(other, placement_id=view.placement_id)
    unknown = VocabularyAnswers(answers=[VocabularyAnswer(item_id=1, known=True)])
    with pytest.raises(NotFound):
        await placement.answer(other, placement_id=view.placement_id, data=unknown)


async def test_an_accepted_level_is_the_profiles(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncEngine
) -> None:
    user, headers = await user_with_token(client, default_target_language="es")
    learner = await learner_of_headers(app, headers)
    placement: Placement = app.state.runtime.placement
    view = await placement.start(learner, data=PlacementStart())
    while view.stage == "vocabulary":
        answers = [VocabularyAnswer(item_id=item.item_id, known=False) for item in view.items]
        view = await placement.answer(
            learner, placement_id=view.placement_id, data=VocabularyAnswers(answers=answers)
        )
    profile = await placement.accept(
        learner, placement_id=view.placement_id, data=AcceptRequest(level="C1")
    )
    assert profile.self_assessed_level == "C1"
    async with db.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT level, accepted_level, self_assessed_level FROM placements"
                    " JOIN users USING (user_id) WHERE placement_id = :p"
                ),
                {"p": view.placement_id},
            )
        ).one()
    assert tuple(row) == ("A1", "C1", "C1")
    # The token cache hears of the change: the next request's learner has the new level.
    assert (await learner_of_headers(app, headers)).self_assessed_level == "C1"
    assert user["user_id"] == learner.user_id
