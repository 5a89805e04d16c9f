""" "Find my level": the placement test's pages, over the same `Placement` service as
`/placement*`. The words are a checklist (ticked: known), the gap texts a form of small
inputs, the result a choice of level to keep; each post answers with the next page."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from langtutor.deps import PlacementDep, SettingsDep
from langtutor.errors import AppError, BadRequest, Conflict
from langtutor.placement.schemas import (
    AcceptRequest,
    GapAnswers,
    PlacementStart,
    PlacementView,
    VocabularyAnswers,
)
from langtutor.routing import JSONRoute
from langtutor.web import i18n
from langtutor.web.deps import CheckedForm, PageLearner, redirect, text_field
from langtutor.web.i18n import gettext as _
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
PlacementPath = Path(ge=1, le=2_147_483_647)


def language_name(code: str) -> str:
    """The language tested, named in the page's language."""
    return i18n.language_name(code, i18n.current().tag)


@router.get("/app/placement")
async def placement_intro(
    request: Request, learner: PageLearner, settings: SettingsDep
) -> Response:
    """What the test is, and a button to start it (or to skip it: "I know my level")."""
    if learner.default_target_language is None:
        return redirect("/app/welcome")
    return _intro(request, settings, learner)


@router.post("/app/placement")
async def start_placement(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    placement: PlacementDep,
    settings: SettingsDep,
) -> Response:
    try:
        started = await placement.start(learner, data=PlacementStart())
    except AppError as error:  # no test for this language here, the model failed...
        # The service's detail is English, for the API: the page says its own.
        language = language_name(learner.default_target_language or "und")
        if isinstance(error, Conflict):
            problem = _(
                "There is no placement test for %(language)s on this server (no word list for "
                "it, and no language model connected for gap texts). Choose your level yourself "
                "on your profile."
            ) % {"language": language}
        else:
            problem = _(
                "The test could not be made just now: the language model did not answer. Try "
                "again in a moment, or choose your level yourself on your profile."
            )
        return _intro(request, settings, learner, problem=problem, status_code=409)
    return redirect(f"/app/placement/{started.placement_id}")


@router.get("/app/placement/{placement_id}")
async def placement_page(
    request: Request,
    learner: PageLearner,
    placement: PlacementDep,
    settings: SettingsDep,
    placement_id: int = PlacementPath,
) -> Response:
    view = await placement.view(learner, placement_id=placement_id)
    return _page(request, settings, learner, view)


@router.post("/app/placement/{placement_id}/answers")
async def answer_placement(
    form: CheckedForm,
    learner: PageLearner,
    placement: PlacementDep,
    placement_id: int = PlacementPath,
) -> Response:
    """The ticked words (the others unknown), or the gaps written; then the next page. A
    form of items no longer shown (answered in another tab) answers nothing: the page as
    it stands instead."""
    view = await placement.view(learner, placement_id=placement_id)
    shown = {value for value in form.getlist("shown") if isinstance(value, str)}
    if shown == {str(item.item_id) for item in view.items}:
        await placement.answer(learner, placement_id=placement_id, data=_answers(form, view))
    return redirect(f"/app/placement/{placement_id}")


@router.post("/app/placement/{placement_id}/accept")
async def accept_placement(
    form: CheckedForm,
    learner: PageLearner,
    placement: PlacementDep,
    placement_id: int = PlacementPath,
) -> Response:
    try:
        data = AcceptRequest.model_validate({"level": text_field(form, "level") or None})
    except ValidationError:
        raise BadRequest(_("Choose a level from A1 to C2.")) from None
    await placement.accept(learner, placement_id=placement_id, data=data)
    return redirect("/app/profile?saved=level")


def _answers(form: FormData, view: PlacementView) -> VocabularyAnswers | GapAnswers:
    """The form as the API's answers to the items shown now (a stale form: 409 from the
    service, which finds other items waiting)."""
    if view.stage == "gaps":
        written = [
            {"item_id": item.item_id, "text": text_field(form, f"gap-{item.item_id}")[:100]}
            for item in view.items
        ]
        return GapAnswers.model_validate({"answers": written})
    ticked = {value for value in form.getlist("known") if isinstance(value, str)}
    answers = [
        {"item_id": item.item_id, "known": str(item.item_id) in ticked} for item in view.items
    ]
    if not answers:
        raise BadRequest(_("This placement has nothing more to answer."))
    return VocabularyAnswers.model_validate({"answers": answers})


def _intro(
    request: Request,
    settings: SettingsDep,
    learner: PageLearner,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "placement.html",
        settings=settings,
        status_code=status_code,
        user=learner,
        view=None,
        language=language_name(learner.default_target_language or "und"),
        problem=problem,
    )


def _page(
    request: Request, settings: SettingsDep, learner: PageLearner, view: PlacementView
) -> Response:
    texts: list[list[object]] = [[], []]
    if view.stage == "gaps":
        for item in view.items:
            texts[getattr(item, "text", 0)].append(item)
    return render(
        request,
        "placement.html",
        settings=settings,
        user=learner,
        view=view,
        texts=[text for text in texts if text],
        language=language_name(view.language),
        levels=["A1", "A2", "B1", "B2", "C1", "C2"],
    )
