"""`add_mistake_card` as the other domains call it, inside their own transaction on the real
database: the card holds the item's whole text (an example's translation included, which
neither practice nor conversations send today) and starts as a new card; the same item answered
wrong again is the same card."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.db import create_sessionmaker, session_scope
from langtutor.review.models import ReviewCard
from langtutor.review.service import CardSource, CardText, add_mistake_card

TEXT = CardText(
    CardSource.mistake,
    2,
    front="Voy ___ mercado.",
    back="al",
    example="a + el = al",
    example_translation="to the",
)


async def test_a_mistake_card_holds_the_whole_item_once(db: AsyncEngine) -> None:
    async with db.begin() as connection:
        user_id = (
            await connection.execute(
                text(
                    "INSERT INTO users (username, password_hash) VALUES ('u', 'x') RETURNING user_id"
                )
            )
        ).scalar_one()
    generation = uuid.uuid4()
    sessions = create_sessionmaker(db)

    async def add() -> int:
        async with session_scope(sessions) as session:
            return await add_mistake_card(
                session=session,
                user_id=user_id,
                generation_id=generation,
                saved_content_id=None,
                item_index=2,
                text=TEXT,
                target_language="es",
                base_language="en",
            )

    card_id = await add()
    assert await add() == card_id
    async with session_scope(sessions) as session:
        card = await session.get(ReviewCard, card_id)
        assert card is not None
        made = {
            name: getattr(card, name)
            for name in ("user_id", "generation_id", "saved_content_id", "source", "item_index")
        }
        assert made == {
            "user_id": user_id,
            "generation_id": generation,
            "saved_content_id": None,
            "source": "mistake",
            "item_index": 2,
        }
        assert (card.front, card.back, card.example, card.example_translation) == (
            TEXT.front,
            TEXT.back,
            TEXT.example,
            TEXT.example_translation,
        )
        assert (card.target_language, card.base_language) == ("es", "en")
        assert (card.state_name, card.step, card.reps, card.lapses, card.suspended) == (
            "new",
            0,
            0,
            0,
            False,
        )
