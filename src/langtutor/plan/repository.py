"""The plan domain's statements. Every read of a learner's plan or steps goes through
`owned`: another learner's id finds nothing (and the service answers 404)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.plan.models import STEP_KINDS, Plan, PlanStep


def owned(user_id: int, model: type[Plan] | type[PlanStep] = Plan) -> Any:
    """The condition every read of a learner's plan (or steps) carries: theirs only."""
    condition: ColumnElement[bool] = model.user_id == user_id
    return condition


async def plan(session: AsyncSession, *, user_id: int) -> Plan | None:
    return await session.scalar(select(Plan).where(owned(user_id)))


async def steps(session: AsyncSession, *, user_id: int, plan_id: int) -> list[PlanStep]:
    """The plan's steps in the order they are taken: by unit, then deck, exercises,
    role-play."""
    found = await session.scalars(
        select(PlanStep).where(owned(user_id, PlanStep), PlanStep.plan_id == plan_id)
    )
    return sorted(found, key=lambda step: (step.unit_index, STEP_KINDS.index(step.kind)))


async def step(session: AsyncSession, *, user_id: int, step_id: int) -> PlanStep | None:
    return await session.scalar(
        select(PlanStep).where(owned(user_id, PlanStep), PlanStep.step_id == step_id)
    )


async def replace_plan(
    session: AsyncSession, *, values: dict[str, Any], steps: Sequence[dict[str, Any]]
) -> Plan:
    """The learner's plan, the old one (and its steps) deleted: one plan a learner."""
    # Its steps go with it (ON DELETE CASCADE); the sets they made stay in the library.
    await session.execute(delete(Plan).where(owned(values["user_id"])))
    created = Plan(**values)
    session.add(created)
    await session.flush()
    await session.execute(insert(PlanStep), [{"plan_id": created.plan_id, **row} for row in steps])
    return created


async def mark_started(session: AsyncSession, *, step_id: int, values: dict[str, Any]) -> bool:
    """Compare-and-set: a step starts once (of two starts at the same time, one counts); a
    step whose set the learner deleted may start again."""
    started = await session.execute(
        update(PlanStep)
        .where(PlanStep.step_id == step_id, PlanStep.saved_content_id.is_(None))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return bool(started.rowcount == 1)  # type: ignore[attr-defined]
