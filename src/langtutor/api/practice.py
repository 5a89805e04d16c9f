"""`/exercises/*` routes."""

from __future__ import annotations

from fastapi import APIRouter

from langtutor.deps import CurrentLearner, PracticeDep
from langtutor.practice.schemas import CheckRequest, CheckResult, ExplainRequest, Explanation
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, prefix="/exercises", tags=["practice"])


@router.post(
    "/check", response_model=CheckResult, responses=error_responses(401, 403, 404, 409, 422)
)
async def check_answer(
    data: CheckRequest, learner: CurrentLearner, practice: PracticeDep
) -> CheckResult:
    """Check an answer to one exercise of your generation or saved set, record it, and make a
    wrong or almost-right answer into a review card (once per exercise). Translations are
    graded by the model; without one, letter by letter (`graded_by: approximate`)."""
    return (await practice.check(learner, data=data)).result


@router.post(
    "/explain",
    response_model=Explanation,
    responses=error_responses(401, 403, 404, 409, 422, 429, 502, 503, 504),
)
async def explain_answer(
    data: ExplainRequest, learner: CurrentLearner, practice: PracticeDep
) -> Explanation:
    """Why the answer is what it is (and yours is not, if it differs), with one more example,
    in your base language. Counts against the generation rate limit."""
    return (await practice.explain(learner, data=data)).explanation
