"""`/generate/*` routes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from fastapi import APIRouter, Request

from langtutor.accounts.service import Profile
from langtutor.deps import StandaloneUser
from langtutor.enums import ContentType
from langtutor.errors import AppError
from langtutor.generation.schemas import (
    CountedGenerationRequest,
    GenerationRequest,
    GenerationResponse,
)
from langtutor.generation.service import GENERATION_SERVICES
from langtutor.responses import error_responses

T = TypeVar("T")

router = APIRouter(prefix="/generate", tags=["generation"])
RESPONSES = error_responses(400, 401, 403, 422, 429, 502, 503, 504)


class ClientDisconnected(AppError):
    status_code = 499  # nginx's "client closed request": nobody is left to read it


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """Run the work, cancelling it (and so the LLM call) when the client goes away."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_client_gone(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        raise ClientDisconnected("the client closed the request")
    finally:
        for pending in (task, watcher):
            if not pending.done():
                pending.cancel()


async def _client_gone(request: Request) -> None:
    # The body has been read, so the next ASGI message is the disconnect, whenever it comes.
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def generate_for(
    request: Request, *, kind: ContentType, user: Profile, data: GenerationRequest
) -> GenerationResponse:
    """A generation asked over HTTP (API or page): the learner's rate limit, then the service,
    cancelled when the client goes away."""
    state = request.app.state
    state.rate_limiter.check(user.user_id)
    return await unless_disconnected(
        request,
        GENERATION_SERVICES[kind](
            user=user,
            data=data,
            provider=state.provider,
            instructions=state.instructions,
            activity=state.activity_logger,
        ),
    )


@router.post("/flashcards", response_model=GenerationResponse, responses=RESPONSES)
async def generate_flashcards(
    data: CountedGenerationRequest, user: StandaloneUser, request: Request
) -> GenerationResponse:
    """Generate flashcards on a topic: front in the target language, back in the base language."""
    return await generate_for(request, kind=ContentType.flashcards, user=user, data=data)


@router.post("/exercises", response_model=GenerationResponse, responses=RESPONSES)
async def generate_exercises(
    data: CountedGenerationRequest, user: StandaloneUser, request: Request
) -> GenerationResponse:
    """Generate practice exercises: multiple choice, fill in the blank and translation."""
    return await generate_for(request, kind=ContentType.exercises, user=user, data=data)


@router.post("/simulation", response_model=GenerationResponse, responses=RESPONSES)
async def generate_simulation(
    data: GenerationRequest, user: StandaloneUser, request: Request
) -> GenerationResponse:
    """Generate a role-play: scenario, roles, dialogue with translations, vocabulary, questions."""
    return await generate_for(request, kind=ContentType.simulation, user=user, data=data)
