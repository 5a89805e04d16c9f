"""`/placement*` routes: "Find my level"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from langtutor.accounts.schemas import UserPublic
from langtutor.deps import CurrentLearner, PlacementDep
from langtutor.placement.schemas import (
    AcceptRequest,
    GapAnswers,
    PlacementStart,
    PlacementView,
    VocabularyAnswers,
)
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, prefix="/placement", tags=["placement"])
# Ids are database integers: anything beyond is simply not found, and must not overflow.
PlacementId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a placement's id")]


@router.post(
    "",
    status_code=201,
    response_model=PlacementView,
    responses=error_responses(401, 403, 409, 422, 429, 502, 503, 504),
)
async def start_placement(
    learner: CurrentLearner, placement: PlacementDep, data: PlacementStart | None = None
) -> PlacementView:
    """Start a placement test in a language (default: your target language): yes/no words
    first; gap texts when a language model is connected; 409 when the server has neither
    a word list for the language nor a model (choose your level yourself)."""
    return await placement.start(learner, data=data or PlacementStart())


@router.get(
    "/{placement_id:int}", response_model=PlacementView, responses=error_responses(401, 404)
)
async def get_placement(
    placement_id: PlacementId, learner: CurrentLearner, placement: PlacementDep
) -> PlacementView:
    """Your placement as it stands: the items to answer now, or its result."""
    return await placement.view(learner, placement_id=placement_id)


@router.post(
    "/{placement_id:int}/answers",
    response_model=PlacementView,
    responses=error_responses(401, 403, 404, 409, 422, 429, 502, 503, 504),
)
async def answer_placement(
    placement_id: PlacementId,
    data: VocabularyAnswers | GapAnswers,
    learner: CurrentLearner,
    placement: PlacementDep,
) -> PlacementView:
    """Answer every item shown now: `{item_id, known}` for words, `{item_id, text}` for gaps
    (409 for answers to the other stage, or items not shown now, left out or twice)."""
    return await placement.answer(learner, placement_id=placement_id, data=data)


@router.post(
    "/{placement_id:int}/accept",
    response_model=UserPublic,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def accept_placement(
    placement_id: PlacementId,
    learner: CurrentLearner,
    placement: PlacementDep,
    data: AcceptRequest | None = None,
) -> UserPublic:
    """Put the result's level (or the `level` you choose instead) on your profile; 409
    before the test is finished."""
    return await placement.accept(learner, placement_id=placement_id, data=data or AcceptRequest())
