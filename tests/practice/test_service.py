"""The `Practice` service object called directly with a `Learner` (no HTTP in between), on
both databases and with the fake model: an exact, an almost and a wrong answer (and its one
review card), a translation graded by the model, an explanation, another learner's set."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.errors import NotFound
from langtutor.practice.schemas import CheckRequest, ExplainRequest
from langtutor.practice.service import Practice
from tests.factories import learner_of_headers, saved_exercises, user_with_token
from tests.fakellm import FakeLLM
from tests.practice.test_routes import EXERCISES


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings


async def test_answers_checked_cards_made_and_explained(
    app: FastAPI, client: httpx.AsyncClient, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    item = await saved_exercises(client, headers, EXERCISES)
    learner = await learner_of_headers(app, headers)
    practice: Practice = app.state.runtime.practice

    def answer(index: int, text: str) -> CheckRequest:
        return CheckRequest(saved_content_id=item, item_index=index, answer=text)

    exact = await practice.check(learner, data=answer(0, "está"))
    assert (exact.result.verdict, exact.result.score) == ("correct", 1.0)
    assert exact.result.graded_by == "rules"
    assert exact.result.review_card_id is None
    assert exact.exercise.total == 5
    assert exact.exercise.target_language == "es"

    almost = (await practice.check(learner, data=answer(2, "esta"))).result
    assert (almost.verdict, almost.score) == ("almost", 0.5)
    assert "accent" in almost.feedback

    wrong = (await practice.check(learner, data=answer(1, "va"))).result
    assert (wrong.verdict, wrong.expected) == ("wrong", "voy")
    assert wrong.review_card_id is not None
    # The mistake's card, once: the same exercise answered wrong again makes no second one.
    again = (await practice.check(learner, data=answer(1, "vas"))).result
    assert again.review_card_id == wrong.review_card_id
    async with db.connect() as connection:
        card = (
            await connection.execute(
                text("SELECT front, back, source, user_id FROM review_cards WHERE card_id = :c"),
                {"c": wrong.review_card_id},
            )
        ).one()
    assert (card.front, card.back) == ("Mañana ___ (ir, yo) al mercado.", "voy")
    assert (card.source, card.user_id) == ("mistake", learner.user_id)

    graded = (await practice.check(learner, data=answer(3, "Quisiera dos manzanas."))).result
    assert graded.graded_by == "model"

    explained = await practice.explain(
        learner, data=ExplainRequest(saved_content_id=item, item_index=1, answer="va")
    )
    assert explained.explanation.explanation
    assert explained.exercise.expected == "voy"
    assert fake_llm.requests[-1].body["response_format"]["json_schema"]["name"] == "explanation"


async def test_another_learners_set_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    _, other_headers = await user_with_token(client, default_target_language="es")
    item = await saved_exercises(client, headers, EXERCISES)
    other = await learner_of_headers(app, other_headers)
    practice: Practice = app.state.runtime.practice
    with pytest.raises(NotFound):
        await practice.check(
            other, data=CheckRequest(saved_content_id=item, item_index=0, answer="está")
        )
