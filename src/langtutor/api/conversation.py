"""`/conversations/*` routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import InterfaceError, OperationalError

from langtutor.conversation.schemas import (
    ConversationOut,
    ConversationPage,
    ConversationStart,
    CorrectionsAdded,
    TurnReply,
    TurnRequest,
)
from langtutor.conversation.service import StreamEvent
from langtutor.deps import ConversationsDep, CurrentLearner
from langtutor.errors import AppError
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

logger = logging.getLogger("langtutor")
router = APIRouter(route_class=JSONRoute, prefix="/conversations", tags=["conversations"])
ConversationId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a conversation's id")]
MODEL_ERRORS = (401, 403, 404, 409, 422, 429, 502, 503, 504)
STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "model": TurnReply,
        "content": {
            "text/event-stream": {
                "schema": {"type": "string"},
                "example": 'event: reply\ndata: {"text": "¡Cla"}\n\n'
                'event: reply\ndata: {"text": "ro!"}\n\n'
                'event: turn\ndata: {"reply": "¡Claro!", ...}\n\n',
            }
        },
        "description": "The turn; with `Accept: text/event-stream`, server-sent events: "
        "`reply` ({text}: more of the reply as it arrives), `retry` (the model's answer was "
        "unusable and is asked again: start the text over), `turn` (the validated turn, as "
        "the JSON answer), or `error` ({status, detail}) if anything fails mid-stream",
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConversationOut,
    responses=error_responses(*MODEL_ERRORS),
)
async def start_conversation(
    data: ConversationStart, learner: CurrentLearner, conversations: ConversationsDep
) -> ConversationOut:
    """Start a role-play from a saved or generated simulation (you pick your `role`; by
    default the one described as "you") or from a `topic` (the model sets the scene). The
    model opens. Counts against the generation rate limit."""
    return await conversations.start(learner, data=data)


@router.get("", response_model=ConversationPage, responses=error_responses(401, 422))
async def list_conversations(
    learner: CurrentLearner,
    conversations: ConversationsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationPage:
    """Your conversations, the most recently used first (without their turns)."""
    return ConversationPage(items=await conversations.list(learner, limit=limit))


@router.get(
    "/{conversation_id:int}",
    response_model=ConversationOut,
    responses=error_responses(401, 404, 422),
)
async def read_conversation(
    conversation_id: ConversationId, learner: CurrentLearner, conversations: ConversationsDep
) -> ConversationOut:
    """One conversation with all its turns (and its summary once finished)."""
    return await conversations.get(learner, conversation_id=conversation_id)


@router.delete(
    "/{conversation_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 422),
)
async def delete_conversation(
    conversation_id: ConversationId, learner: CurrentLearner, conversations: ConversationsDep
) -> Response:
    """Delete a conversation and its turns (review cards made from it stay)."""
    await conversations.delete(learner, conversation_id=conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{conversation_id:int}/turns",
    response_model=TurnReply,
    responses=error_responses(*MODEL_ERRORS) | STREAM_RESPONSE,
)
async def take_turn(
    conversation_id: ConversationId,
    data: TurnRequest,
    request: Request,
    learner: CurrentLearner,
    conversations: ConversationsDep,
) -> Any:
    """Send your line: the model answers in character with a translation and corrections of
    your line. A turn counts as a generation; a conversation takes at most
    `LANGTUTOR_CONVERSATION_MAX_TURNS` of your lines (then 409)."""
    if "text/event-stream" not in request.headers.get("accept", ""):
        return await conversations.take_turn(
            learner, conversation_id=conversation_id, text=data.text
        )
    events = await conversations.stream_turn(
        learner, conversation_id=conversation_id, text=data.text
    )
    return StreamingResponse(
        sse(events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def sse(events: AsyncIterator[StreamEvent]) -> AsyncIterator[str]:
    """The events as server-sent events; any failure once streaming has begun is an `error`
    event (the status line has gone out already), never a connection dropped without a word.
    A client that hangs up cancels this, and with it the model call."""
    try:
        async for event in events:
            yield event.encode()
    except AppError as error:
        yield failure(error.status_code, error.detail)
    except (OperationalError, InterfaceError) as error:
        logger.error("database unavailable during a streamed turn: %s", error)
        yield failure(503, "The database is unavailable; try again in a few seconds.")
    except Exception:
        logger.exception("a streamed turn failed")
        yield failure(500, "the turn failed on the server; try again")


def failure(status: int, detail: str) -> str:
    return StreamEvent("error", {"status": status, "detail": detail}).encode()


@router.post(
    "/{conversation_id:int}/finish",
    response_model=ConversationOut,
    responses=error_responses(*MODEL_ERRORS),
)
async def finish_conversation(
    conversation_id: ConversationId, learner: CurrentLearner, conversations: ConversationsDep
) -> ConversationOut:
    """End the conversation: a summary (what went well, the mistakes with corrections, new
    vocabulary). With automatic review cards on (the profile's `review_auto_cards`), the
    corrections become review cards."""
    return await conversations.finish(learner, conversation_id=conversation_id)


@router.post(
    "/{conversation_id:int}/review",
    response_model=CorrectionsAdded,
    responses=error_responses(401, 403, 404, 422),
)
async def add_corrections_to_review(
    conversation_id: ConversationId, learner: CurrentLearner, conversations: ConversationsDep
) -> CorrectionsAdded:
    """Make each correction of your lines a review card: never twice."""
    return await conversations.add_corrections(learner, conversation_id=conversation_id)
