"""The learner's home: Today (streak and daily goal, what is due, where to continue, recent
sets, a quick way to make more), the one onboarding step after sign-up, and study progress
recorded as the learner goes through a set."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts import service as accounts
from langtutor.accounts.schemas import UserUpdate
from langtutor.accounts.service import Authenticated
from langtutor.activity import service as activity_service
from langtutor.deps import ActivityLogDep, GeneratorDep, NowDep, SessionDep, SettingsDep, TokensDep
from langtutor.enums import ContentType, Level
from langtutor.errors import AppError, BadRequest, Conflict, NotFound
from langtutor.generation.schemas import CountedGenerationRequest
from langtutor.generation.service import item_count
from langtutor.library import service as library
from langtutor.library.schemas import MAX_ID
from langtutor.progress import progress_report
from langtutor.review import service as review
from langtutor.routing import JSONRoute
from langtutor.web.deps import (
    CheckedForm,
    PageToken,
    PageUser,
    numbers,
    optional,
    page_review_settings,
    page_zone,
    redirect,
    text_field,
)
from langtutor.web.forms import problems
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)

# Three topics a learner can start with at each level, for the empty home page.
STARTER_TOPICS: dict[Level, tuple[str, str, str]] = {
    Level.A1: ("Greetings and introductions", "Numbers and prices", "Food at the market"),
    Level.A2: ("Ordering in a café", "Asking for directions", "My daily routine"),
    Level.B1: ("Talking about your weekend", "At the doctor's", "Planning a trip"),
    Level.B2: ("Giving your opinion", "A job interview", "News and current events"),
    Level.C1: ("Idioms in everyday speech", "Negotiating a deal", "Debating a social issue"),
    Level.C2: ("Irony and understatement", "Regional expressions", "Writing a formal complaint"),
}
DAILY_GOALS = (10, 20, 30, 50)
FIRST_DECK_CARDS = 8


def starter_topics(level: str | None) -> tuple[str, str, str]:
    return STARTER_TOPICS[Level(level) if level and level in Level.__members__ else Level.A2]


@dataclass(frozen=True)
class ContinuePoint:
    url: str
    title: str
    kind: str
    position: int
    total: int


async def continue_point(session: Any, activity: Any, auth: Authenticated) -> ContinuePoint | None:
    """The set the learner last opened, at the card reached; None when it is gone."""
    user = auth.user
    position = user.continue_position
    try:
        if user.continue_saved_content_id is not None:
            item = await library.get_content(
                session=session,
                user_id=user.user_id,
                saved_content_id=user.continue_saved_content_id,
            )
            return ContinuePoint(
                url=f"/app/library/{item.saved_content_id}?card={position}#study",
                title=item.user_label or item.original_query,
                kind=item.content_type,
                position=position,
                total=item_count(item.content_data),
            )
        if user.continue_generation_id is not None:
            output = await activity_service.generation_output(
                session=session,
                activity=activity,
                user_id=user.user_id,
                generation_id=user.continue_generation_id,
            )
            return ContinuePoint(
                url=f"/app/generations/{user.continue_generation_id}?card={position}#study",
                title=output.query_text,
                kind=output.content_type.value,
                position=position,
                total=item_count(output.content),
            )
    except (NotFound, Conflict):
        return None
    return None


@router.get("/app")
@router.get("/app/")
async def today(
    request: Request,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    activity: ActivityLogDep,
    now: NowDep,
) -> Response:
    user = auth.user
    if user.default_target_language is None:
        return redirect("/app/welcome")
    report = await progress_report(
        connection=await session.connection(),
        activity=activity,
        user_id=user.user_id,
        days=1,
        tz=page_zone(request, auth),
        now=now,
    )
    queue = await review.queue(
        session=session,
        user_id=user.user_id,
        settings=page_review_settings(request, auth, settings),
        limit=1,
        now=now,
    )
    recent, saved_total = await library.list_content(
        connection=await session.connection(),
        user_id=user.user_id,
        content_type=None,
        q=None,
        limit=3,
        offset=0,
    )
    started = saved_total > 0 or any(report.all_time_totals.values())
    return render(
        request,
        "home.html",
        settings=settings,
        user=user,
        progress=report,
        done_today=report.per_day[-1].done,
        queue=queue,
        resume=await continue_point(session, activity, auth),
        recent=recent,
        starters=None if started else starter_topics(user.self_assessed_level),
        first_deck_failed=request.query_params.get("first_deck") == "failed",
    )


# -- onboarding -------------------------------------------------------------------------------


def welcome_page(
    request: Request, settings: Any, auth: Authenticated, *, status_code: int = 200, **context: Any
) -> Response:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render(
        request,
        "welcome.html",
        settings=settings,
        status_code=status_code,
        user=auth.user,
        goals=DAILY_GOALS,
        topics=STARTER_TOPICS[Level.A1][:1] + STARTER_TOPICS[Level.A2][:2],
        **context,
    )


@router.get("/app/welcome")
async def welcome(request: Request, auth: PageUser, settings: SettingsDep) -> Response:
    return welcome_page(request, settings, auth)


@router.post("/app/welcome")
async def finish_welcome(
    request: Request,
    form: CheckedForm,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    generator: GeneratorDep,
    tokens: TokensDep,
) -> Response:
    """Languages, level and daily goal saved; then the first deck, on the chosen topic."""
    values: dict[str, Any] = optional(
        form, "default_target_language", "default_base_language", "self_assessed_level"
    )
    goal = text_field(form, "daily_goal")
    topic = text_field(form, "topic")[:2000]
    errors: dict[str, str] = {}
    if not values["default_target_language"]:
        errors["default_target_language"] = "Choose the language you want to learn."
    try:
        data = UserUpdate.model_validate(
            numbers(values | {"daily_goal": goal or None}, "daily_goal")
        )
    except ValidationError as error:
        errors = problems(error) | errors
    if errors:
        shown = values | {"daily_goal": goal, "topic": topic}
        return welcome_page(request, settings, auth, status_code=422, errors=errors, values=shown)
    user = await accounts.update_user(session=session, tokens=tokens, user=auth.user, data=data)
    profile = accounts.profile_of(user)
    await session.commit()  # kept whatever the model does; no transaction held while it works
    if not topic or settings.LLM_PROVIDER == "none":
        return redirect("/app")
    try:
        result = await generator.generate(
            kind=ContentType.flashcards,
            user=profile,
            data=CountedGenerationRequest(query=topic, count=FIRST_DECK_CARDS),
        )
    except (AppError, ValidationError):
        return redirect("/app?first_deck=failed")
    return redirect(f"/app/generations/{result.generation_id}")


# -- study progress ---------------------------------------------------------------------------


@router.post("/app/studied")
async def studied(
    form: CheckedForm,
    auth: PageToken,
    session: SessionDep,
    activity: ActivityLogDep,
    now: NowDep,
) -> Response:
    """Sent by the page script as the learner moves through a set, and at its end; and with
    `opened` when a set's page opens (Continue goes there: the page's GET writes nothing)."""
    position_text, score_text = text_field(form, "position"), text_field(form, "score")
    try:
        position = min(int(position_text or "0"), 10_000)
        score = float(score_text) if score_text else None
        saved_id = int(text_field(form, "saved_content_id") or "0") or None
        raw_generation = text_field(form, "generation_id")
        generation_id = uuid.UUID(raw_generation) if raw_generation else None
    except ValueError:
        raise BadRequest("This study progress cannot be recorded.") from None
    if (
        position < 0
        or (score is not None and not 0.0 <= score <= 1.0)
        or (saved_id is not None and not 0 < saved_id <= MAX_ID)
    ):
        raise BadRequest("This study progress cannot be recorded.")
    opened = text_field(form, "opened") == "true"
    finished = not opened and text_field(form, "finished") == "true"
    if saved_id is not None and opened:
        await library.open_content(
            session=session, user_id=auth.user_id, saved_content_id=saved_id, position=position
        )
    elif saved_id is not None:
        await library.record_study(
            session=session,
            activity=activity,
            user_id=auth.user_id,
            saved_content_id=saved_id,
            position=position,
            finished=finished,
            score=score,
            now=now,
        )
    elif generation_id is not None:
        await _studied_generation(
            session, activity, auth.user_id, generation_id, position, finished, score
        )
    else:
        raise BadRequest("This study progress names no set.")
    return Response(status_code=204)


async def _studied_generation(
    session: Any,
    activity: Any,
    user_id: int,
    generation_id: uuid.UUID,
    position: int,
    finished: bool,
    score: float | None,
) -> None:
    """A generation not saved: Continue comes back to it until it is finished, which is a
    day of study."""
    output = await activity_service.generation_output(
        session=session, activity=activity, user_id=user_id, generation_id=generation_id
    )
    await accounts.set_continue_point(
        session=session,
        user_id=user_id,
        saved_content_id=None,
        generation_id=None if finished else generation_id,
        position=position,
    )
    if finished:
        await activity.buffered_log_query(
            library.study_entry(
                user_id=user_id,
                content_type=output.content_type.value,
                query=output.query_text,
                target_language=output.target_language,
                generation_id=generation_id,
                items=item_count(output.content),
                score=score,
                saved_content_id=None,
            )
        )
