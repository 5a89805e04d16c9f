"""`/plan` routes: the learner's study plan, made or replaced, read, and its steps started."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from langtutor.deps import CurrentLearner, NowDep, PlansDep
from langtutor.plan.schemas import PlanCreate, PlanOut, StepOut, TodayItem, UnitOut, WeekUnit
from langtutor.plan.views import REVIEW_PAGE, PlanView, StepView
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, prefix="/plan", tags=["plan"])
StepId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a step of your plan")]
MODEL_ERRORS = (401, 403, 404, 409, 422, 429, 502, 503, 504)


@router.get("", response_model=PlanOut, responses=error_responses(401, 404))
async def read_plan(learner: CurrentLearner, plans: PlansDep, now: NowDep) -> PlanOut:
    """Your plan: its level, the unit you are in, today's reviews and steps, this week's
    units (404 before you make one)."""
    return plan_out(await plans.view(learner, now=now))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PlanOut,
    responses=error_responses(401, 403, 409, 422),
)
async def create_plan(
    learner: CurrentLearner, plans: PlansDep, now: NowDep, data: PlanCreate | None = None
) -> PlanOut:
    """A new plan at your level in your language (409 if your profile has neither): the
    level's units over `weeks` (default 8), sized for `minutes_per_day` (default 20). It
    replaces your plan; the sets its steps made stay in your library."""
    return plan_out(await plans.create(learner, data=data or PlanCreate(), now=now))


@router.post(
    "/steps/{step_id:int}/start", response_model=StepOut, responses=error_responses(*MODEL_ERRORS)
)
async def start_step(
    step_id: StepId, learner: CurrentLearner, plans: PlansDep, now: NowDep
) -> StepOut:
    """Start a step: its deck, exercise set or role-play made by the model on the unit's
    theme and saved to your library (its cards go to review). A step already started
    answers as it is; without a language model, 503."""
    return step_out(await plans.start_step(learner, step_id=step_id, now=now))


def step_out(step: StepView) -> StepOut:
    return StepOut(
        step_id=step.step_id,
        kind=step.kind,
        title=step.title,
        started=step.started,
        done=step.done,
        progress=step.progress,
        href=step.href,
        saved_content_id=step.saved_content_id,
        needs_model=not step.started,
    )


def plan_out(view: PlanView) -> PlanOut:
    current = view.current
    review = TodayItem(
        kind="review",
        title=view.reviews_title,
        done=not view.reviews_left,
        href=REVIEW_PAGE,
    )
    steps = [TodayItem(kind=s.kind, title=s.title, done=s.done, href=s.href) for s in current.steps]
    return PlanOut(
        level=view.plan.level,
        unit=UnitOut(
            unit_id=current.unit.unit_id,
            title=current.unit.title,
            can_do=list(current.unit.can_do),
            progress=current.progress,
        ),
        today=[review, *steps],
        week=[
            WeekUnit(
                unit_id=unit.unit.unit_id,
                title=unit.unit.title,
                week=unit.week,
                progress=unit.progress,
                done=unit.done,
                steps=[step_out(step) for step in unit.steps],
            )
            for unit in view.this_week
        ],
    )
