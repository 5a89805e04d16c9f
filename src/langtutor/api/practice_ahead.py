"""`/review/practice*`: practice outside the schedule (a saved set's cards, or your hardest),
graded as practice; no card's schedule changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from langtutor.deps import CurrentLearner, NowDep, PracticeAheadDep
from langtutor.responses import error_responses
from langtutor.review.practice_ahead import PracticeSet
from langtutor.review.practice_schemas import (
    DEFAULT_HARDEST,
    MAX_HARDEST,
    MAX_ID,
    PracticeGrade,
    PracticeOut,
    PracticeSetOut,
)
from langtutor.review.schemas import ReviewCardOut
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, prefix="/review/practice", tags=["review"])
SetId = Annotated[int, Path(ge=1, le=MAX_ID, description="a saved set's id")]


def _set_out(found: PracticeSet) -> PracticeSetOut:
    return PracticeSetOut(
        cards=[ReviewCardOut.of(card) for card in found.cards],
        saved_content_id=found.saved_content_id,
        title=found.title,
        hardest=found.hardest,
    )


@router.get(
    "/sets/{saved_content_id:int}",
    response_model=PracticeSetOut,
    responses=error_responses(401, 404, 422),
)
async def practice_set(
    saved_content_id: SetId, learner: CurrentLearner, ahead: PracticeAheadDep
) -> PracticeSetOut:
    """A saved set's cards to practise outside the schedule, in the set's order."""
    return _set_out(await ahead.set_cards(learner, saved_content_id=saved_content_id))


@router.get("/hardest", response_model=PracticeSetOut, responses=error_responses(401, 422))
async def practice_hardest(
    learner: CurrentLearner,
    ahead: PracticeAheadDep,
    limit: Annotated[int, Query(ge=1, le=MAX_HARDEST)] = DEFAULT_HARDEST,
) -> PracticeSetOut:
    """Your hardest cards to practise outside the schedule: most forgotten first."""
    return _set_out(await ahead.hardest(learner, limit=limit))


@router.post("", response_model=PracticeOut, responses=error_responses(401, 403, 404, 422))
async def practise(
    data: PracticeGrade, learner: CurrentLearner, ahead: PracticeAheadDep, now: NowDep
) -> PracticeOut:
    """Grade a card in practice: logged as practice; its schedule and review log unchanged."""
    done = await ahead.grade(learner, data=data, now=now)
    return PracticeOut(
        card=ReviewCardOut.of(done.card),
        rating=done.grade.rating,
        duration_ms=done.grade.duration_ms,
    )
