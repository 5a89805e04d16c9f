"""The study plan's pages: My plan (make or replace a plan, see its units and steps) and a
step started from a button (Today's or My plan's). Today's own part is in `home_routes`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts.learner import Learner
from langtutor.config import Settings
from langtutor.deps import NowDep, PlansDep, SettingsDep
from langtutor.errors import AppError, Conflict, NotFound, TooManyRequests
from langtutor.generation.providers.base import LLMNotConfigured
from langtutor.plan.schemas import DEFAULT_MINUTES_PER_DAY, DEFAULT_WEEKS, PlanCreate
from langtutor.plan.service import Plans
from langtutor.plan.syllabus import Unit
from langtutor.routing import JSONRoute
from langtutor.web.deps import CheckedForm, PageLearner, numbers, optional, redirect
from langtutor.web.forms import problems
from langtutor.web.i18n import N_, gettext
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
WEEK_CHOICES = (4, 6, 8, 12, 16)
MINUTE_CHOICES = (10, 15, 20, 30, 45, 60)
STEP_NO_MODEL = N_(
    "This step needs a language model, which this server has not set up. Your reviews need none."
)
STEP_TOO_MANY = N_(
    "You have made a lot in a short time. Wait a little, then start this step again."
)
STEP_FAILED = N_("The language model could not make this step just now. Try again in a moment.")
StepId = Annotated[int, Path(ge=1, le=2_147_483_647)]
# A started step's set, named in the library as on the plan's pages.
STEP_NAMES = {
    "deck": N_("Deck: %(unit)s"),
    "exercises": N_("Exercises: %(unit)s"),
    "conversation": N_("Role-play: %(unit)s"),
}


def step_name(kind: str, unit: Unit) -> str:
    return gettext(STEP_NAMES[kind]) % {"unit": gettext(unit.title)}


async def plan_page(
    request: Request,
    settings: Settings,
    learner: Learner,
    plans: Plans,
    now: datetime,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """My plan: the learner's plan as it stands (None before they make one), the form to
    make or replace it, and what `context` adds (a refused form's problems, a banner)."""
    return render(
        request,
        "plan.html",
        settings=settings,
        status_code=status_code,
        user=learner,
        plan=await plans.current(learner, now=now),
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
    return await plan_page(request, settings, learner, plans, now)


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
    page = (request, settings, learner, plans, now)
    try:
        data = PlanCreate.model_validate(numbers(sent, "weeks", "minutes_per_day"))
    except ValidationError as error:
        return await plan_page(*page, status_code=422, errors=problems(error), values=values)
    try:
        await plans.create(learner, data=data, now=now)
    except Conflict:  # no level or no language in the profile
        if learner.default_target_language is None:
            problem = gettext("A plan needs the language you learn: set it on your profile.")
        else:
            problem = gettext(
                "A plan needs your level: set it on your profile, or find it with the "
                "placement test."
            )
        return await plan_page(*page, status_code=409, problem=problem, values=values)
    return redirect("/app")


@router.post("/app/plan/steps/{step_id}/start")
async def start_step(
    request: Request,
    step_id: StepId,
    form: CheckedForm,
    learner: PageLearner,
    plans: PlansDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """The step's set made and saved, then its page; what went wrong said on My plan (a
    step not in the learner's plan is the 404 page)."""
    try:
        step = await plans.start_step(learner, step_id=step_id, now=now, name=step_name)
    except NotFound:
        raise
    except AppError as error:  # no model, the model failed, the learner's rate limit
        page = (request, settings, learner, plans, now)
        # The page's own words, by the kind of refusal (the API's detail is for programs).
        if isinstance(error, LLMNotConfigured):
            problem = gettext(STEP_NO_MODEL)
        elif isinstance(error, TooManyRequests):
            problem = gettext(STEP_TOO_MANY)
        else:
            problem = gettext(STEP_FAILED)
        return await plan_page(*page, status_code=error.status_code, problem=problem)
    return redirect(step.href)
