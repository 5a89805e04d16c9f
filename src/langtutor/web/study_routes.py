"""Pages to study: generate, then save, rate and mark single items of a result."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts.learner import Learner
from langtutor.deps import (
    GenerationDep,
    LibraryDep,
    RequestGeneration,
    SettingsDep,
)
from langtutor.enums import ContentType
from langtutor.errors import BadRequest, Conflict, TooManyRequests
from langtutor.generation.providers.base import LLMError, LLMNotConfigured
from langtutor.generation.ratelimit import ModelCallsBusy
from langtutor.generation.schemas import CountedGenerationRequest, GenerationRequest
from langtutor.library.schemas import FeedbackCreate, SaveContent
from langtutor.routing import JSONRoute, parse_json
from langtutor.web.deps import (
    CONTENT_TYPES,
    CheckedForm,
    PageLearner,
    numbers,
    optional,
    redirect,
    text_field,
    wants_fragment,
)
from langtutor.web.forms import problems
from langtutor.web.i18n import N_
from langtutor.web.i18n import gettext as _
from langtutor.web.rendering import content_json, render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)

# What went wrong with the model, in a sentence a learner can act on (the technical text
# goes under "Details"), translated where it is shown.
FAILURES = {
    "timeout": N_(
        "The language model took too long to answer. Trying again usually works; "
        "a shorter request or fewer items helps too."
    ),
    "unavailable": N_(
        "The language model's server could not be reached or had a problem. Try again in a moment."
    ),
    "rate_limited": N_("The language model's server is busy right now. Try again in a minute."),
    "invalid_output": N_(
        "The language model answered with something unusable, twice. This "
        "happens now and then; trying again usually works."
    ),
    "refusal": N_("The language model declined this request. Try wording the topic differently."),
}


# -- generation -------------------------------------------------------------------------------


@router.get("/app/generate")
async def generate_page(
    request: Request, user: PageLearner, settings: SettingsDep, content_type: str | None = None
) -> Response:
    values = {
        "content_type": content_type if content_type in CONTENT_TYPES else "flashcards",
        "target_language": user.default_target_language,
        "base_language": user.default_base_language,
        "level": user.self_assessed_level,
        "count": "10",
    }
    return render(request, "generate.html", settings=settings, user=user, values=values, errors={})


def generation_request(
    kind: ContentType, values: dict[str, str | None]
) -> GenerationRequest | CountedGenerationRequest:
    fields: dict[str, Any] = {
        name: values[name] for name in ("query", "target_language", "base_language", "level")
    }
    if kind is ContentType.simulation:
        return GenerationRequest.model_validate(fields)
    fields["count"] = values.get("count") or "10"
    return CountedGenerationRequest.model_validate(numbers(fields, "count"))


@router.post("/app/generate")
async def generate_from_form(
    request: Request,
    form: CheckedForm,
    user: PageLearner,
    settings: SettingsDep,
    generation: GenerationDep,
) -> Response:
    values = optional(
        form, "content_type", "query", "target_language", "base_language", "level", "count"
    )
    context: dict[str, Any] = {"user": user, "values": values, "errors": {}}
    status = 200
    try:
        kind = ContentType(values["content_type"] or "")
    except ValueError:
        kind = None
        context["errors"] = {"content_type": _("Choose flashcards, exercises or a simulation.")}
        status = 422
    if kind is not None:
        status, outcome = await _outcome(generation, kind, values, user)
        context.update(outcome)
    context["fragment"] = wants_fragment(request)
    template = "_outcome.html" if context["fragment"] else "generate.html"
    return render(request, template, settings=settings, status_code=status, **context)


async def _outcome(
    generation: RequestGeneration,
    kind: ContentType,
    values: dict[str, str | None],
    user: Learner,
) -> tuple[int, dict[str, Any]]:
    """The status and what the page shows: the result, field errors, or a banner."""
    try:
        data = generation_request(kind, values)
    except ValidationError as error:
        return 422, {"errors": problems(error)}
    try:
        result = await generation.generate(user, kind=kind, data=data)
    except TooManyRequests as error:
        busy = isinstance(error, ModelCallsBusy)  # calls under way, not the minute's limit
        return 429, {"alert": "rate_limited", "retry_after": error.retry_after, "busy": busy}
    except LLMNotConfigured:
        return 503, {"alert": "no_provider"}
    except LLMError as error:
        return error.status_code, {
            "alert": "model_failed",
            "problem": error.detail,
            "failure_sentence": _(FAILURES[error.kind]) if error.kind in FAILURES else None,
        }
    except Conflict:  # no target language in the form nor in the profile
        message = _("Choose the language to practise, or set a default on your profile page.")
        return 400, {"errors": {"target_language": message}}
    return 200, {"generation": result, "content_json": content_json(result.content)}


# -- saving and feedback ----------------------------------------------------------------------


@router.post("/app/save")
async def save(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    library: LibraryDep,
    settings: SettingsDep,
) -> Response:
    try:
        content = parse_json(text_field(form, "content_data") or "null")
        data = SaveContent.model_validate(
            {
                **optional(form, "content_type", "original_query", "user_label", "generation_id"),
                "user_notes": text_field(form, "user_notes") or None,
                "content_data": content,
            }
        )
    except (ValueError, ValidationError) as error:
        if isinstance(error, ValidationError):
            message = _("This result cannot be saved: %(problems)s") % {
                "problems": "; ".join(problems(error).values())
            }
        else:
            message = _("This result cannot be saved: the content is not valid JSON.")
        raise BadRequest(message) from None
    saved = await library.save(learner, data=data)
    item = saved.item
    if not wants_fragment(request):
        return redirect(f"/app/library/{item.saved_content_id}")
    return render(
        request,
        "_saved.html",
        settings=settings,
        status_code=201 if saved.created else 200,
        item=item,
        user=learner,
    )


@router.post("/app/feedback")
async def feedback(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    library: LibraryDep,
    settings: SettingsDep,
) -> Response:
    thumb = text_field(form, "thumb")
    values = numbers(
        optional(
            form, "generation_id", "feedback_text", "saved_content_id", "rating", "item_index"
        ),
        "saved_content_id",
        "rating",
        "item_index",
    )
    index = values.pop("item_index")
    if thumb in ("up", "down"):
        values["feedback_text"] = values["feedback_text"] or f"thumbs {thumb}"
        values["context_details"] = {"item_index": index, "thumb": thumb}
    try:
        data = FeedbackCreate.model_validate(values)
    except ValidationError as error:
        message = _("This feedback cannot be recorded: %(problems)s") % {
            "problems": "; ".join(problems(error).values())
        }
        raise BadRequest(message) from None
    await library.create_feedback(learner, data=data)
    if not wants_fragment(request):
        return redirect(
            f"/app/library/{data.saved_content_id}" if data.saved_content_id else "/app/library"
        )
    return render(request, "_thanks.html", settings=settings, status_code=201, thumb=thumb or None)
