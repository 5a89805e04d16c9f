"""The study plan's pages: My plan (make or replace a plan, see its units and steps) and a
step started from a button (Today's or My plan's). Today's own part is in `home_routes`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.deps import NowDep, PlansDep, SettingsDep
from langtutor.errors import AppError, Conflict, NotFound
from langtutor.plan.schemas import DEFAULT_MINUTES_PER_DAY, DEFAULT_WEEKS, PlanCreate
from langtutor.routing import JSONRoute
from langtutor.web.deps import CheckedForm, PageLearner, numbers, optional, redirect
from langtutor.web.forms import problems
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
WEEK_CHOICES = (4, 6, 8, 12, 16)
MINUTE_CHOICES = (10, 15, 20, 30, 45, 60)


def plan_page(
    request: Request, settings: Any, user: Any, *, status_code: int = 200, **context: Any
) -> Response:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render(
        request,
        "plan.html",
        settings=settings,
        status_code=status_code,
        user=user,
        week_choices=WEEK_CHOICES,
        minute_choices=MINUTE_CHOICES,
        default_weeks=DEFAULT_WEEKS,
        default_minutes=DEFAULT_MINUTES_PER_DAY,
        **context,
    )


@router.get("/app/plan")
async def my_plan(
    request: Request, learner: PageLearner, plans: PlansDep, settings: SettingsDep, now: NowDep
) -> Response:
    return plan_page(request, settings, learner, plan=await plans.current(learner, now=now))


@router.post("/app/plan")
async def make_plan(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    plans: PlansDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """A new plan from the form (it replaces the learner's), then Today, which it leads."""
    values: dict[str, Any] = optional(form, "weeks", "minutes_per_day")
    sent = {name: value for name, value in values.items() if value is not None}
    shown: dict[str, Any] = {"values": values, "plan": await plans.current(learner, now=now)}
    try:
        data = PlanCreate.model_validate(numbers(sent, "weeks", "minutes_per_day"))
    except ValidationError as error:
        return plan_page(
            request, settings, learner, status_code=422, errors=problems(error), **shown
        )
    try:
        await plans.create(learner, data=data, now=now)
    except Conflict as error:  # no level or no language in the profile
        return plan_page(request, settings, learner, status_code=409, problem=error.detail, **shown)
    return redirect("/app")


@router.post("/app/plan/steps/{step_id}/start")
async def start_step(
    request: Request,
    step_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    form: CheckedForm,
    learner: PageLearner,
    plans: PlansDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """The step's set made and saved, then its page; what went wrong said on My plan."""
    try:
        step = await plans.start_step(learner, step_id=step_id, now=now)
    except NotFound:
        raise
    except AppError as error:
        return plan_page(
            request,
            settings,
            learner,
            status_code=error.status_code,
            plan=await plans.current(learner, now=now),
            problem=error.detail,
        )
    return redirect(step.href)
