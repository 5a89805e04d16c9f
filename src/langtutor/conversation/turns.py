"""A conversation's turns: the learner's line, the model's reply in character with
corrections of that line, answered whole or streamed; the context (scene, roles, recent
turns) trimmed to a budget, oldest turns first."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import from_json
from sqlalchemy.exc import IntegrityError

from langtutor.accounts.learner import Learner
from langtutor.activity.logger import LogEntry
from langtutor.conversation import repository
from langtutor.conversation.models import ConversationTurn
from langtutor.conversation.parts import Parts
from langtutor.conversation.scene import OPENING, log_reply, reply_check, safe, system_for
from langtutor.conversation.schemas import TurnContent, TurnOut, TurnReply
from langtutor.db import utcnow
from langtutor.enums import ContentType, LogEvent
from langtutor.errors import Conflict
from langtutor.generation.providers.base import Message
from langtutor.generation.service import Ask, Generated, Retry
from langtutor.text import clean_json_text


def learner_message(text: str) -> str:
    return f"<learner>\n{safe(text, 'learner')}\n</learner>"


def turn_messages(turns: list[ConversationTurn]) -> list[Message]:
    """Earlier turns as chat messages: the learner's as user messages, the model's replies as
    the JSON it answered (so that it keeps answering in that form)."""
    messages = [Message("user", OPENING)]
    for turn in turns:
        if turn.speaker == "learner":
            messages.append(Message("user", learner_message(turn.text)))
        else:
            reply = {"reply": turn.text, "translation": turn.translation}
            messages.append(Message("assistant", json.dumps(reply, ensure_ascii=False)))
    return messages


def trimmed(system: str, history: list[Message], last: str, budget: int) -> list[Message]:
    """The history that fits the budget with the system message (the scene) and the last
    line, which are always kept: oldest turns go first, and it always starts with a line of
    the learner's (as the chat APIs require)."""
    size = len(system) + len(last) + sum(len(m.content) for m in history)
    kept = list(history)
    while kept and (size > budget or kept[0].role != "user"):
        size -= len(kept.pop(0).content)
    if kept and kept[-1].role == "user":  # two user messages in a row: drop the older one
        size -= len(kept.pop().content)
    return kept


def context_size(system: str, messages: list[Message]) -> int:
    return len(system) + sum(len(m.content) for m in messages)


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event of a streamed turn: `reply` (more of the reply's text),
    `retry` (the answer was unusable and is asked again: start the text over), `turn`
    (the validated turn)."""

    event: str
    data: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        return f"event: {self.event}\ndata: {json.dumps(self.data, ensure_ascii=False)}\n\n"


@dataclass
class PreparedTurn:
    conversation_id: int
    key: uuid.UUID
    position: int
    ask: Ask
    text: str
    target_language: str
    base_language: str


def partial_reply(text: str) -> str | None:
    """The `reply` of a JSON object still arriving, as far as it has come (pydantic-core's
    partial JSON parsing); None until it starts."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        value = from_json(text[start:], allow_partial="trailing-strings")
    except ValueError:
        return None
    reply = value.get("reply") if isinstance(value, dict) else None
    return reply if isinstance(reply, str) else None


async def prepare(
    conversations: Parts, learner: Learner, conversation_id: int, text: str
) -> PreparedTurn:
    """The turn to ask for: the conversation the learner's and still open, the context
    trimmed to its budget; 503 after those checks when no model is set up."""
    async with conversations.db.transaction() as session:
        conversation = await repository.owned(session, learner.user_id, conversation_id)
        if conversation.finished_at is not None:
            raise Conflict("this conversation is finished: start a new one to go on")
        if conversation.learner_turns >= conversations.max_turns:
            raise Conflict(
                f"this conversation has reached its limit of {conversations.max_turns} turns: "
                "finish it for your summary, and start a new one to go on"
            )
        turns = await repository.turns_of(session, conversation)
    system = system_for(conversation)
    user = learner_message(text)
    prepared = PreparedTurn(
        conversation_id=conversation_id,
        key=conversation.key,
        position=turns[-1].position + 1 if turns else 0,
        ask=Ask(
            system=system,
            user=user,
            name="conversation",
            model_class=TurnContent,
            history=trimmed(system, turn_messages(turns), user, conversations.context_chars),
            check=reply_check(conversation.target_language, conversation.base_language),
            unusable="an unusable conversation turn",
        ),
        text=text,
        target_language=conversation.target_language,
        base_language=conversation.base_language,
    )
    conversations.generation.require_model()
    return prepared


async def take_turn(
    conversations: Parts, learner: Learner, conversation_id: int, text: str
) -> TurnReply:
    """The learner's line, answered at once (not streamed)."""
    prepared = await prepare(conversations, learner, conversation_id, text)
    generated = await conversations.generation.ask(learner, prepared.ask)
    content = TurnContent.model_validate(generated.content)
    return await store(conversations, learner, prepared, content, generated)


async def stream_turn(
    conversations: Parts, learner: Learner, conversation_id: int, text: str
) -> AsyncIterator[StreamEvent]:
    """The learner's line, the reply streamed as it arrives. Checks (ownership, limit,
    calls under way, rate) happen before the first event, so that they answer as plain
    HTTP errors."""
    prepared = await prepare(conversations, learner, conversation_id, text)
    pieces = await conversations.generation.stream(learner, prepared.ask)
    return streamed(conversations, learner, prepared, pieces)


async def streamed(
    conversations: Parts,
    learner: Learner,
    prepared: PreparedTurn,
    pieces: AsyncGenerator[str | Retry | Generated, None],
) -> AsyncGenerator[StreamEvent, None]:
    """The reply's text as it comes (cleaned as the whole answer will be: what is shown is
    what is kept), then the stored turn; the model's call ends with the stream."""
    parts: list[str] = []
    shown = ""
    async with contextlib.aclosing(pieces):
        async for piece in pieces:
            if isinstance(piece, Retry):
                yield StreamEvent("retry", {"reason": "the answer was unusable; asking again"})
                parts, shown = [], ""
            elif isinstance(piece, str):
                parts.append(piece)
                reply = partial_reply(clean_json_text("".join(parts)))
                if reply is not None and len(reply) > len(shown) and reply.startswith(shown):
                    yield StreamEvent("reply", {"text": reply[len(shown) :]})
                    shown = reply
            else:
                content = TurnContent.model_validate(piece.content)
                if content.reply != shown:  # what did not stream as it came (a fenced answer)
                    rest = content.reply[len(shown) :] if content.reply.startswith(shown) else None
                    yield StreamEvent(
                        "reply", {"text": rest} if rest is not None else {"replace": content.reply}
                    )
                stored = await store(conversations, learner, prepared, content, piece)
                yield StreamEvent("turn", stored.model_dump(mode="json"))


async def store(
    conversations: Parts,
    learner: Learner,
    prepared: PreparedTurn,
    content: TurnContent,
    generated: Generated,
) -> TurnReply:
    """Both lines stored (409 when another line took the place meanwhile), then logged."""
    now = utcnow()
    learner_turn = ConversationTurn(
        conversation_id=prepared.conversation_id,
        position=prepared.position,
        speaker="learner",
        text=prepared.text,
        translation=None,
        corrections=[c.model_dump() for c in content.corrections],
        created_at=now,
    )
    model_turn = ConversationTurn(
        conversation_id=prepared.conversation_id,
        position=prepared.position + 1,
        speaker="model",
        text=content.reply,
        translation=content.translation,
        corrections=None,
        created_at=now,
    )
    try:
        async with conversations.db.transaction() as session:
            conversation = await repository.owned(
                session, learner.user_id, prepared.conversation_id
            )
            await repository.add_turns(session, learner_turn, model_turn)
            conversation.learner_turns += 1
            conversation.updated_at = now
            reply = TurnReply(
                reply=content.reply,
                translation=content.translation,
                corrections=content.corrections,
                finished=content.finished,
                learner_turn=TurnOut.model_validate(learner_turn),
                model_turn=TurnOut.model_validate(model_turn),
            )
    except IntegrityError:
        raise Conflict(
            "another line was sent to this conversation at the same time; reload it"
        ) from None
    await log_turn(conversations, learner, prepared, content, generated)
    return reply


async def log_turn(
    conversations: Parts,
    learner: Learner,
    prepared: PreparedTurn,
    content: TurnContent,
    generated: Generated,
) -> None:
    """The `turn` entry of the learner's line (with the context's size), the `reply` entry."""
    ask = prepared.ask
    languages = (prepared.target_language, prepared.base_language)
    await conversations.activity.buffered_log_query(
        LogEntry(
            user_id=learner.user_id,
            content_type=ContentType.simulation.value,
            query_text=prepared.text,
            target_language=prepared.target_language,
            base_language=prepared.base_language,
            generation_id=prepared.key,
            event=LogEvent.turn.value,
            request_metadata={
                "conversation_id": prepared.conversation_id,
                "position": prepared.position,
                "context_chars": context_size(
                    ask.system, [*ask.history, Message("user", ask.user)]
                ),
            },
        )
    )
    await log_reply(
        conversations.activity,
        key=prepared.key,
        user_id=learner.user_id,
        languages=languages,
        content=content,
        generated=generated,
        position=prepared.position + 1,
    )
