"""The `Conversations` service object called directly with a `Learner` (no HTTP in between),
on both databases and with the fake model: a conversation started from a topic, a turn, a
streamed turn, finishing with its summary, corrections made into review cards (once)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.conversation.schemas import ConversationStart
from langtutor.conversation.service import Conversations
from langtutor.errors import NotFound
from tests.factories import learner_of_headers, user_with_token
from tests.fakellm import FakeLLM


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"GENERATION_RATE_PER_MINUTE": 100_000}


async def test_a_conversation_from_a_topic_to_its_review_cards(
    app: FastAPI, client: httpx.AsyncClient, fake_llm: FakeLLM, db: AsyncEngine
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    await client.patch("/users/me", headers=headers, json={"review_auto_cards": False})
    learner = await learner_of_headers(app, headers)
    assert learner.review_auto_cards is False
    conversations: Conversations = app.state.runtime.conversations

    started = await conversations.start(learner, data=ConversationStart(topic="the market"))
    assert started.title == "En el mercado"  # the scene the model set for the topic
    assert started.learner_role == "Cliente"
    assert started.target_language == "es"
    assert [turn.speaker for turn in started.turns or []] == ["model"]
    cid = started.conversation_id

    turn = await conversations.take_turn(
        learner, conversation_id=cid, text="Hola, soy cansado. Quiero naranjas."
    )
    assert [c.corrected for c in turn.corrections] == ["estoy cansado"]
    assert (turn.learner_turn.position, turn.model_turn.position) == (1, 2)

    events = await conversations.stream_turn(learner, conversation_id=cid, text="Gracias.")
    streamed = [event async for event in events]
    assert streamed[-1].event == "turn"
    shown = "".join(e.data["text"] for e in streamed if e.event == "reply")
    assert shown == streamed[-1].data["reply"]
    assert streamed[-1].data["corrections"] == []

    finished = await conversations.finish(learner, conversation_id=cid)
    assert finished.finished is True
    assert finished.summary is not None
    assert finished.summary["mistakes"][0]["corrected"] == "estoy cansado"
    assert finished.learner_turns == 2
    assert len(finished.turns or []) == 5

    added = await conversations.add_corrections(learner, conversation_id=cid)
    assert (added.added, added.total) == (1, 1)
    again = await conversations.add_corrections(learner, conversation_id=cid)
    assert (again.added, again.total) == (0, 1)
    async with db.connect() as connection:
        cards = (
            await connection.execute(text("SELECT front, back, source FROM review_cards"))
        ).all()
    assert [(c.front, c.back, c.source) for c in cards] == [
        ("soy cansado", "estoy cansado", "correction")
    ]

    listed = await conversations.list(learner, limit=10)
    assert [c.conversation_id for c in listed] == [cid]
    assert listed[0].turns is None


async def test_another_learners_conversation_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    _, other_headers = await user_with_token(client, default_target_language="es")
    learner = await learner_of_headers(app, headers)
    other = await learner_of_headers(app, other_headers)
    conversations: Conversations = app.state.runtime.conversations
    started = await conversations.start(learner, data=ConversationStart(topic="the market"))
    cid = started.conversation_id
    for call in (
        conversations.get(other, conversation_id=cid),
        conversations.take_turn(other, conversation_id=cid, text="Hola"),
        conversations.finish(other, conversation_id=cid),
        conversations.delete(other, conversation_id=cid),
    ):
        with pytest.raises(NotFound):
            await call
    assert await conversations.list(other, limit=10) == []
    await conversations.delete(learner, conversation_id=cid)
    assert await conversations.list(learner, limit=10) == []
