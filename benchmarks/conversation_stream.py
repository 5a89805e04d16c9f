"""A conversation's reply streams through as the model writes it.

The fake model (a process of its own) streams each reply in 50 tokens, 20 ms apart, and puts
the time its first token left (CLOCK_MONOTONIC, shared by every process of this machine) at
the start of the reply. 50 conversations on ONE server process take two turns each (100
turns), all at once, with `Accept: text/event-stream`; for each turn the figure is the delay
between the fake model's first token and the first `reply` event reaching the client. As a
same-run baseline, the same client streams straight from the fake model (100 calls, 50 at a
time): what the client, the loopback and the machine cost without langtutor in between.

    .venv/bin/python -m benchmarks.conversation_stream [--database postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from tests.servers import ServerProcess

from benchmarks._harness import SECRET, database, langtutor_server, pg_available, user_token

CONVERSATIONS = 50
TURNS_EACH = 2
TOKENS = 50
TOKEN_DELAY_S = 0.02
TARGET_MS = 50.0
STAMP_DIGITS = 12


def stamp_of(text: str) -> int:
    """The fake model's first-token time, at the start of a reply."""
    digits = text.lstrip().split(" ", 1)[0]
    return int(digits)


async def first_reply_delay(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], body: dict[str, object]
) -> float:
    """Milliseconds from the fake model's first token to our first `reply` event."""
    async with http.post(url, json=body, headers=headers) as answer:
        assert answer.status == 200, await answer.text()
        reply = ""
        delay: float | None = None
        async for line in answer.content:
            text = line.decode().strip()
            if not text.startswith("data: "):
                continue
            data = json.loads(text[6:])
            if delay is None and "text" in data:
                reply += data["text"]
                if " " in reply.lstrip():  # the whole stamp has arrived
                    delay = (time.monotonic_ns() - stamp_of(reply)) / 1e6
        assert delay is not None, "no reply event"
        return delay


async def direct_delay(http: aiohttp.ClientSession, url: str) -> float:
    """The same, straight from the fake model's OpenAI-style stream."""
    body = {
        "model": "m",
        "stream": True,
        "messages": [
            {"role": "system", "content": "Content type: conversation"},
            {"role": "user", "content": "<learner>\nHola\n</learner>"},
        ],
    }
    async with http.post(url, json=body) as answer:
        content = ""
        delay: float | None = None
        async for line in answer.content:
            text = line.decode().strip()
            if not text.startswith("data: {"):
                continue
            for choice in json.loads(text[6:]).get("choices", []):
                content += choice["delta"].get("content") or ""
            if delay is None and '"reply": "' in content:
                reply = content.split('"reply": "', 1)[1]
                if " " in reply:
                    delay = (time.monotonic_ns() - stamp_of(reply)) / 1e6
        assert delay is not None
        return delay


async def run(url: str, llm_url: str, headers: dict[str, str]) -> tuple[list[float], list[float]]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        ids = []
        for _ in range(CONVERSATIONS):
            async with http.post(
                f"{url}/conversations", json={"topic": "a market"}, headers=headers
            ) as answer:
                assert answer.status == 201, await answer.text()
                ids.append((await answer.json())["conversation_id"])
        stream_headers = headers | {"Accept": "text/event-stream"}

        async def talk(cid: int) -> list[float]:
            return [
                await first_reply_delay(
                    http, f"{url}/conversations/{cid}/turns", stream_headers, {"text": f"Hola {n}"}
                )
                for n in range(TURNS_EACH)
            ]

        ours = [delay for delays in await asyncio.gather(*map(talk, ids)) for delay in delays]

        async def direct_pair() -> list[float]:
            return [await direct_delay(http, f"{llm_url}/chat/completions") for _ in range(2)]

        direct = [d for pair in await asyncio.gather(*(direct_pair() for _ in ids)) for d in pair]
    return ours, direct


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    default_db = "postgresql" if pg_available() else "sqlite"
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default=default_db)
    args = parser.parse_args()
    fake = [sys.executable, "-m", "tests.fakellm", "--stamp"]
    fake += ["--stream-chunks", str(TOKENS), "--token-delay", str(TOKEN_DELAY_S)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(args.database, Path(tmp)) as db_url,
        ServerProcess(command=fake, ready_path="/v1/chat/completions") as llm,
        langtutor_server(
            db_url,
            f"{llm.url}/v1",
            GENERATION_RATE_PER_MINUTE="1000000",
            # One learner holds every conversation, all streaming at once.
            MODEL_CALLS_PER_LEARNER=str(CONVERSATIONS),
            CONVERSATION_MAX_TURNS="1000",
            SECRET_KEY=SECRET,
        ) as (url, _),
    ):
        headers = user_token(url, "bench", default_target_language="es")
        ours, direct = asyncio.run(run(url, f"{llm.url}/v1", headers))
    median, baseline = statistics.median(ours), statistics.median(direct)
    print(
        f"{CONVERSATIONS} concurrent conversations x {TURNS_EACH} streamed turns, fake model "
        f"{TOKENS} tokens {TOKEN_DELAY_S * 1000:.0f} ms apart, one server process, {args.database}"
    )
    print(
        f"first token -> first reply event via langtutor: median {median:.1f} ms, "
        f"p95 {p95(ours):.1f} ms ({len(ours)} turns)"
    )
    print(
        f"first token -> first chunk straight from the fake model (baseline): median "
        f"{baseline:.1f} ms, p95 {p95(direct):.1f} ms"
    )
    print(f"ratio of the median to the {TARGET_MS:.0f} ms target: {median / TARGET_MS:.2f} (<= 1)")


if __name__ == "__main__":
    main()
