"""Pages to practise: exercise answers checked by the server, explanations, and a generation's
result page (where a set of exercises lives until it is saved)."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from langtutor.deps import GenerationDep, PracticeDep, SettingsDep
from langtutor.errors import BadRequest
from langtutor.practice.schemas import CheckRequest, ExplainRequest
from langtutor.practice.service import Exercise
from langtutor.routing import JSONRoute
from langtutor.web.deps import (
    CheckedForm,
    PageLearner,
    numbers,
    optional,
    text_field,
    wants_fragment,
)
from langtutor.web.forms import problems
from langtutor.web.i18n import gettext as _
from langtutor.web.rendering import content_json, exercise_view, render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
RequestT = TypeVar("RequestT", CheckRequest, ExplainRequest)


def exercise_form(form: FormData, schema: type[RequestT]) -> RequestT:
    """The exercise and answer of a form, as the API's schema takes them; 400 if unusable."""
    values = numbers(
        optional(form, "generation_id", "saved_content_id", "item_index"),
        "saved_content_id",
        "item_index",
    )
    values["answer"] = text_field(form, "answer")
    try:
        return schema.model_validate(values)
    except ValidationError as error:
        found = problems(error)
        if "answer" in found:
            raise BadRequest(_("Type or choose an answer first.")) from None
        message = _("This exercise cannot be checked: %(problems)s") % {
            "problems": "; ".join(found.values())
        }
        raise BadRequest(message) from None


def set_url(exercise: Exercise) -> str:
    """Where the exercise's set is shown: the library item, else the generation's page."""
    if exercise.saved_content_id is not None:
        return f"/app/library/{exercise.saved_content_id}"
    return f"/app/generations/{exercise.generation_id}"


def _context(exercise: Exercise, answer: str) -> dict[str, Any]:
    return {
        "index": exercise.ref.item_index,
        "total": exercise.total,
        "prompt": exercise.prompt,
        "answer": answer,
        "generation_id": exercise.ref.generation_id,
        "saved_content_id": exercise.ref.saved_content_id,
        "target": exercise.target_language,
        "base": exercise.base_language,
        "set_url": set_url(exercise),
        "expected_option": (
            exercise.expected if exercise.item.get("type") == "multiple_choice" else None
        ),
    }


@router.post("/app/exercises/check")
async def check_answer(
    request: Request,
    form: CheckedForm,
    user: PageLearner,
    settings: SettingsDep,
    practice: PracticeDep,
) -> Response:
    data = exercise_form(form, CheckRequest)
    outcome = await practice.check(user, data=data)
    context = _context(outcome.exercise, data.answer) | {"result": outcome.result, "user": user}
    template = "_verdict.html" if wants_fragment(request) else "practice.html"
    return render(request, template, settings=settings, **context)


@router.post("/app/exercises/explain")
async def explain_answer(
    request: Request,
    form: CheckedForm,
    user: PageLearner,
    settings: SettingsDep,
    practice: PracticeDep,
) -> Response:
    data = exercise_form(form, ExplainRequest)
    outcome = await practice.explain(user, data=data)
    if wants_fragment(request):
        return render(
            request,
            "_explanation.html",
            settings=settings,
            explanation=outcome.explanation,
            target=outcome.exercise.target_language,
            base=outcome.exercise.base_language,
        )
    # Without the page script: the exercise on a page of its own, with its explanation.
    context = _context(outcome.exercise, data.answer) | {
        "result": None,
        "explanation": outcome.explanation,
        "user": user,
    }
    return render(request, "practice.html", settings=settings, **context)


@router.get("/app/generations/{generation_id}")
async def generation_page(
    request: Request,
    generation_id: uuid.UUID,
    user: PageLearner,
    settings: SettingsDep,
    generation: GenerationDep,
    card: int = 0,
    view: str = "",
) -> Response:
    """A generation's result again (its cards or exercises to go on with, from `card` on),
    until it is saved; the home page's Continue comes back here (the page script says it was
    opened: a GET writes nothing). `view=list`: every exercise on one page, to print."""
    result = await generation.result(user, generation_id=generation_id)
    card = max(0, min(card, 10_000))
    return render(
        request,
        "generation.html",
        settings=settings,
        user=user,
        generation=result,
        content_json=content_json(result.content),
        start=card,
        view=exercise_view(view),
        values={},
    )
