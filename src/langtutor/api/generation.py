"""`/generate/*` routes."""

from __future__ import annotations

from fastapi import APIRouter

from langtutor.deps import CurrentLearner, GenerationDep
from langtutor.generation.schemas import (
    CountedGenerationRequest,
    GenerationRequest,
    GenerationResponse,
)
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, prefix="/generate", tags=["generation"])
RESPONSES = error_responses(401, 403, 409, 422, 429, 502, 503, 504)


@router.post("/flashcards", response_model=GenerationResponse, responses=RESPONSES)
async def generate_flashcards(
    data: CountedGenerationRequest, learner: CurrentLearner, generation: GenerationDep
) -> GenerationResponse:
    """Generate flashcards on a topic: front in the target language, back in the base language."""
    return await generation.generate_flashcards_service(learner, data=data)


@router.post("/exercises", response_model=GenerationResponse, responses=RESPONSES)
async def generate_exercises(
    data: CountedGenerationRequest, learner: CurrentLearner, generation: GenerationDep
) -> GenerationResponse:
    """Generate practice exercises: multiple choice, fill in the blank and translation."""
    return await generation.generate_exercises_service(learner, data=data)


@router.post("/simulation", response_model=GenerationResponse, responses=RESPONSES)
async def generate_simulation(
    data: GenerationRequest, learner: CurrentLearner, generation: GenerationDep
) -> GenerationResponse:
    """Generate a role-play: scenario, roles, dialogue with translations, vocabulary, questions."""
    return await generation.generate_simulation_service(learner, data=data)
