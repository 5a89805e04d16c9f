"""`Plans` called directly with a `Learner`, on both databases: a plan made, read and
replaced; no plan is None for Today; another learner's step finds nothing."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from langtutor.db import utcnow
from langtutor.errors import Conflict, NotFound
from langtutor.plan.schemas import PlanCreate
from langtutor.plan.service import Plans, set_sizes
from tests.factories import learner_of_headers, user_with_token


def test_the_time_a_day_sizes_the_sets_within_bounds() -> None:
    assert set_sizes(5) == {"deck": 6, "exercises": 5}
    assert set_sizes(20) == {"deck": 10, "exercises": 6}
    assert set_sizes(240) == {"deck": 20, "exercises": 15}


async def test_a_plan_is_made_read_and_replaced(app: FastAPI, client: httpx.AsyncClient) -> None:
    plans: Plans = app.state.runtime.plans
    _, headers = await user_with_token(
        client, default_target_language="fr", self_assessed_level="C1"
    )
    learner = await learner_of_headers(app, headers)
    now = utcnow()
    assert await plans.current(learner, now=now) is None
    made = await plans.create(learner, data=PlanCreate(weeks=3, minutes_per_day=45), now=now)
    assert (made.plan.level, made.plan.target_language, made.plan.weeks) == ("C1", "fr", 3)
    assert len(made.units) == 12
    assert [unit.week for unit in made.units] == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    assert made.current.unit.unit_id == "c1-01"
    again = await plans.create(learner, data=PlanCreate(), now=now)
    read = await plans.view(learner, now=now)
    assert read.plan.plan_id == again.plan.plan_id
    assert read.plan.weeks == 8


async def test_another_learners_step_and_a_missing_level(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    plans: Plans = app.state.runtime.plans
    _, ana_headers = await user_with_token(
        client, default_target_language="es", self_assessed_level="A1"
    )
    _, bob_headers = await user_with_token(client, default_target_language="es")
    ana = await learner_of_headers(app, ana_headers)
    bob = await learner_of_headers(app, bob_headers)
    made = await plans.create(ana, data=PlanCreate(), now=utcnow())
    with pytest.raises(Conflict, match="placement"):
        await plans.create(bob, data=PlanCreate(), now=utcnow())
    with pytest.raises(NotFound):
        await plans.start_step(bob, step_id=made.units[0].steps[0].step_id, now=utcnow())
    with pytest.raises(NotFound):
        await plans.view(bob, now=utcnow())
