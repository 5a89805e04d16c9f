"""The statements of conversations and their turns. Every read of a learner's conversation
goes through `owned` (another learner's id finds nothing: 404)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.conversation.models import Conversation, ConversationTurn
from langtutor.errors import NotFound


async def owned(session: AsyncSession, user_id: int, conversation_id: int) -> Conversation:
    """The learner's conversation; 404 if there is none of theirs with this id."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None or conversation.user_id != user_id:
        raise NotFound(f"no conversation {conversation_id} of yours")
    return conversation


async def turns_of(session: AsyncSession, conversation: Conversation) -> list[ConversationTurn]:
    """The conversation's turns in order."""
    return list(
        await session.scalars(
            select(ConversationTurn)
            .where(ConversationTurn.conversation_id == conversation.conversation_id)
            .order_by(ConversationTurn.position)
        )
    )


async def learner_turns(
    session: AsyncSession, conversation: Conversation
) -> Sequence[ConversationTurn]:
    """The learner's lines of the conversation (with their corrections)."""
    return (
        await session.scalars(
            select(ConversationTurn).where(
                ConversationTurn.conversation_id == conversation.conversation_id,
                ConversationTurn.speaker == "learner",
            )
        )
    ).all()


async def recent(session: AsyncSession, user_id: int, limit: int) -> Sequence[Conversation]:
    """The learner's conversations, the most recently used first."""
    return (
        await session.scalars(
            select(Conversation)
            .where(Conversation.user_id == user_id)
            .order_by(Conversation.updated_at.desc(), Conversation.conversation_id.desc())
            .limit(limit)
        )
    ).all()


async def add(session: AsyncSession, conversation: Conversation, *turns: ConversationTurn) -> None:
    """A new conversation with its first turns (their conversation id set here)."""
    session.add(conversation)
    await session.flush()
    for turn in turns:
        turn.conversation_id = conversation.conversation_id
    session.add_all(turns)


async def add_turns(session: AsyncSession, *turns: ConversationTurn) -> None:
    """Turns of a conversation, written now (a position taken twice fails here)."""
    session.add_all(turns)
    await session.flush()


async def delete(session: AsyncSession, conversation: Conversation) -> None:
    await session.delete(conversation)
