"""Corrections of a conversation as review cards, through the real HTTP app, database and
fake tutor: each corrected line of the learner is a card of its own, even when two lines made
the same mistake (the same words corrected the same way in two turns are two cards)."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import user_with_token
from tests.fakellm import SLIP, FakeLLM


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings | {"GENERATION_RATE_PER_MINUTE": 100_000}


async def test_corrections_in_two_turns_make_two_cards(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    await client.patch("/users/me", headers=headers, json={"review_auto_cards": False})
    started = await client.post("/conversations", headers=headers, json={"topic": "a café"})
    assert started.status_code == 201, started.text
    cid = started.json()["conversation_id"]
    for line in (f"Hola, {SLIP}.", "Un café, por favor.", f"Perdón, {SLIP} hoy."):
        turn = await client.post(
            f"/conversations/{cid}/turns", headers=headers, json={"text": line}
        )
        assert turn.status_code == 200, turn.text
        assert len(turn.json()["corrections"]) == (SLIP in line)

    added = await client.post(f"/conversations/{cid}/review", headers=headers)
    assert added.json() == {"added": 2, "total": 2}
    assert (await client.post(f"/conversations/{cid}/review", headers=headers)).json() == {
        "added": 0,
        "total": 2,
    }
    queue = (await client.get("/review/queue", headers=headers)).json()
    cards = [(card["front"], card["back"], card["source"]) for card in queue["cards"]]
    assert cards == [("soy cansado", "estoy cansado", "correction")] * 2
    assert len({card["card_id"] for card in queue["cards"]}) == 2
