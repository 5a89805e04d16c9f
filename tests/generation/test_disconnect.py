"""A learner who gives up waiting cancels the model call (real uvicorn server, real sockets)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from langtutor.app import create_app
from langtutor.config import Settings
from tests.factories import user_with_token
from tests.fakellm import FakeLLM
from tests.servers import ThreadedServer


async def test_client_disconnect_cancels_the_llm_call(
    settings: Settings, fake_llm: FakeLLM, db: object
) -> None:
    fake_llm.then("delay", 30)
    with ThreadedServer(create_app(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            _, headers = await user_with_token(http, default_target_language="es")
            with pytest.raises(httpx.ReadTimeout):
                await http.post(
                    "/generate/flashcards",
                    headers=headers,
                    json={"query": "tapas", "count": 2},
                    timeout=1.0,
                )
        for _ in range(100):
            if fake_llm.requests and fake_llm.requests[-1].disconnected:
                break
            await asyncio.sleep(0.05)
    assert len(fake_llm.requests) == 1
    assert fake_llm.requests[0].disconnected
