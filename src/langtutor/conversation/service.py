"""Conversations: a scene from a simulation or a topic, the model opening it (`scene`), then
turns (the learner's line, the model's reply in character with corrections of that line),
streamed or not (`turns`), and at the end a summary whose corrections can become review cards
(`summary`).

No transaction is held while the model works: a turn is checked in one short transaction and
stored in another. The learner's words reach the model as data between delimiters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.learner import Learner
from langtutor.activity.logger import BatchLogger
from langtutor.conversation import repository, scene, summary, turns
from langtutor.conversation.models import Conversation
from langtutor.conversation.schemas import (
    ConversationOut,
    ConversationStart,
    CorrectionsAdded,
    TurnOut,
    TurnReply,
)
from langtutor.conversation.turns import StreamEvent
from langtutor.db import Database
from langtutor.generation.service import Generation

__all__ = ["Conversations", "StreamEvent"]


@dataclass(frozen=True)
class Conversations:
    """Conversations, built once at start-up: the model through `Generation`, the activity
    log, the database, and the limits of a conversation."""

    generation: Generation
    activity: BatchLogger
    db: Database
    max_turns: int
    context_chars: int

    async def start(self, learner: Learner, *, data: ConversationStart) -> ConversationOut:
        """A new conversation, opened by the model."""
        conversation_id = await scene.start(self, learner, data)
        return await self.get(learner, conversation_id=conversation_id)

    async def take_turn(self, learner: Learner, *, conversation_id: int, text: str) -> TurnReply:
        """The learner's line, answered at once (not streamed)."""
        return await turns.take_turn(self, learner, conversation_id, text)

    async def stream_turn(
        self, learner: Learner, *, conversation_id: int, text: str
    ) -> AsyncIterator[StreamEvent]:
        """The learner's line, the reply streamed as it arrives; what can refuse it
        (ownership, limit, calls under way, rate) refuses before the first event."""
        return await turns.stream_turn(self, learner, conversation_id, text)

    async def finish(self, learner: Learner, *, conversation_id: int) -> ConversationOut:
        """The summary (once: a finished conversation answers the one it has); corrections
        go to review when the learner's profile says so."""
        await summary.finish(self, learner, conversation_id)
        return await self.get(learner, conversation_id=conversation_id)

    async def add_corrections(self, learner: Learner, *, conversation_id: int) -> CorrectionsAdded:
        """Each correction of the learner's lines as a review card, once each."""
        return await summary.add_corrections(self, learner, conversation_id)

    async def list(self, learner: Learner, *, limit: int) -> list[ConversationOut]:
        async with self.db.transaction() as session:
            rows = await repository.recent(session, learner.user_id, limit)
            return [await self._out(session, row, with_turns=False) for row in rows]

    async def get(self, learner: Learner, *, conversation_id: int) -> ConversationOut:
        async with self.db.transaction() as session:
            conversation = await repository.owned(session, learner.user_id, conversation_id)
            return await self._out(session, conversation, with_turns=True)

    async def delete(self, learner: Learner, *, conversation_id: int) -> None:
        async with self.db.transaction() as session:
            conversation = await repository.owned(session, learner.user_id, conversation_id)
            await repository.delete(session, conversation)

    async def _out(
        self, session: AsyncSession, conversation: Conversation, *, with_turns: bool
    ) -> ConversationOut:
        lines = None
        if with_turns:
            lines = [
                TurnOut.model_validate(turn)
                for turn in await repository.turns_of(session, conversation)
            ]
        return ConversationOut(
            conversation_id=conversation.conversation_id,
            title=conversation.title,
            scenario=conversation.scenario,
            roles=conversation.roles,
            learner_role=conversation.learner_role,
            target_language=conversation.target_language,
            base_language=conversation.base_language,
            level=conversation.level,
            learner_turns=conversation.learner_turns,
            max_turns=self.max_turns,
            finished=conversation.finished_at is not None,
            summary=conversation.summary,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
            turns=lines,
        )
