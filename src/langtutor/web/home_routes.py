"""The learner's home: Today (the study plan's next step and the day's parts, streak and daily
goal, what is due, where to continue, recent sets, a quick way to make more), the one
onboarding step after sign-up, and study progress recorded as the learner goes through a
set."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts.learner import with_profile
from langtutor.accounts.schemas import UserUpdate
from langtutor.deps import (
    AccountsDep,
    ClassesDep,
    GenerationDep,
    LibraryDep,
    NowDep,
    PlacementDep,
    PlansDep,
    SettingsDep,
)
from langtutor.enums import ContentType, Level
from langtutor.errors import AppError, BadRequest
from langtutor.generation.schemas import CountedGenerationRequest
from langtutor.library.schemas import StudyProgress
from langtutor.routing import JSONRoute
from langtutor.web.deps import (
    CheckedForm,
    PageLearner,
    numbers,
    optional,
    redirect,
    text_field,
)
from langtutor.web.forms import problems
from langtutor.web.i18n import N_, gettext
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)

# Three topics a learner can start with at each level, for the empty home page (shown, and
# asked of the model, in the page's language).
STARTER_TOPICS: dict[Level, tuple[str, str, str]] = {
    Level.A1: (
        N_("Greetings and introductions"),
        N_("Numbers and prices"),
        N_("Food at the market"),
    ),
    Level.A2: (N_("Ordering in a café"), N_("Asking for directions"), N_("My daily routine")),
    Level.B1: (N_("Talking about your weekend"), N_("At the doctor's"), N_("Planning a trip")),
    Level.B2: (N_("Giving your opinion"), N_("A job interview"), N_("News and current events")),
    Level.C1: (
        N_("Idioms in everyday speech"),
        N_("Negotiating a deal"),
        N_("Debating a social issue"),
    ),
    Level.C2: (
        N_("Irony and understatement"),
        N_("Regional expressions"),
        N_("Writing a formal complaint"),
    ),
}
DAILY_GOALS = (10, 20, 30, 50)
FIRST_DECK_CARDS = 8


def starter_topics(level: str | None) -> list[str]:
    topics = STARTER_TOPICS[Level(level) if level and level in Level.__members__ else Level.A2]
    return [gettext(topic) for topic in topics]


@router.get("/app")
@router.get("/app/")
async def today(
    request: Request,
    learner: PageLearner,
    library: LibraryDep,
    plans: PlansDep,
    placement: PlacementDep,
    classes: ClassesDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    if learner.default_target_language is None:
        return redirect("/app/welcome")
    shown = await library.today(learner, now=now)
    assigned = await classes.today(learner, now=now)
    plan = await plans.current(learner, now=now)
    retest = await placement.retest_due(learner, now=now)
    return render(
        request,
        "home.html",
        settings=settings,
        user=learner,
        progress=shown.progress,
        done_today=shown.progress.per_day[-1].done,
        queue=shown.queue,
        resume=shown.resume,
        recent=shown.recent,
        starters=None if shown.started or plan else starter_topics(learner.self_assessed_level),
        first_deck_failed=request.query_params.get("first_deck") == "failed",
        plan=plan,
        retest=retest,
        assigned=assigned,
    )


# -- onboarding -------------------------------------------------------------------------------


def welcome_page(
    request: Request, settings: Any, user: Any, *, status_code: int = 200, **context: Any
) -> Response:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render(
        request,
        "welcome.html",
        settings=settings,
        status_code=status_code,
        user=user,
        goals=DAILY_GOALS,
        topics=[
            gettext(topic) for topic in STARTER_TOPICS[Level.A1][:1] + STARTER_TOPICS[Level.A2][:2]
        ],
        **context,
    )


@router.get("/app/welcome")
async def welcome(request: Request, learner: PageLearner, settings: SettingsDep) -> Response:
    return welcome_page(request, settings, learner)


@router.post("/app/welcome")
async def finish_welcome(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    accounts: AccountsDep,
    generation: GenerationDep,
    settings: SettingsDep,
) -> Response:
    """Languages, level and daily goal saved; then the first deck, on the chosen topic."""
    values: dict[str, Any] = optional(
        form, "default_target_language", "default_base_language", "self_assessed_level"
    )
    goal = text_field(form, "daily_goal")
    topic = text_field(form, "topic")[:2000]
    errors: dict[str, str] = {}
    if not values["default_target_language"]:
        errors["default_target_language"] = gettext("Choose the language you want to learn.")
    try:
        data = UserUpdate.model_validate(
            numbers(values | {"daily_goal": goal or None}, "daily_goal")
        )
    except ValidationError as error:
        errors = problems(error) | errors
    if errors:
        shown = values | {"daily_goal": goal, "topic": topic}
        return welcome_page(
            request, settings, learner, status_code=422, errors=errors, values=shown
        )
    # Kept whatever the model does: the change commits before the model is asked.
    learner = with_profile(learner, await accounts.update(learner, data=data), settings)
    if text_field(form, "next") == "placement":
        return redirect("/app/placement")
    if not topic or settings.LLM_PROVIDER == "none":
        return redirect("/app")
    try:
        result = await generation.generate(
            learner,
            kind=ContentType.flashcards,
            data=CountedGenerationRequest(query=topic, count=FIRST_DECK_CARDS),
        )
    except (AppError, ValidationError):
        return redirect("/app?first_deck=failed")
    return redirect(f"/app/generations/{result.generation_id}")


# -- study progress ---------------------------------------------------------------------------


@router.post("/app/studied")
async def studied(
    form: CheckedForm, learner: PageLearner, library: LibraryDep, now: NowDep
) -> Response:
    """Sent by the page script as the learner moves through a set, and at its end; and with
    `opened` when a set's page opens (Continue goes there: the page's GET writes nothing)."""
    values: dict[str, Any] = optional(
        form, "position", "score", "saved_content_id", "generation_id"
    )
    try:
        data = StudyProgress.model_validate(
            values
            | {
                "opened": text_field(form, "opened") == "true",
                "finished": text_field(form, "finished") == "true",
            }
        )
    except ValidationError:
        raise BadRequest(N_("This study progress cannot be recorded.")) from None
    await library.studied(learner, data=data, now=now)
    return Response(status_code=204)
