"""Speech: how long a new sentence takes to be spoken, and how cheap a cached one is.

One `langtutor serve` process (SQLite, eSpeak NG). First, 20 different 15-word Spanish
sentences, one after the other, each new to the cache: seconds per sentence through
`GET /audio` (synthesis, MP3 encoding, the write to the cache; target median <= 1 s). Then
50 clients ask for one cached sentence for a few seconds, and, in the same run, for
`GET /healthz`: cached audio requests per second as a ratio to it.

    .venv/bin/python -m benchmarks.tts
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks._harness import database, langtutor_server, user_token

WORDS = (
    "hoy vamos al mercado con mi hermana para comprar fruta fresca pan queso "
    "tomates aceite y flores"
).split()
CLIENTS = 50


def sentence(n: int) -> str:
    """A 15-word sentence, different for each n."""
    words = WORDS[n % len(WORDS) :] + WORDS[: n % len(WORDS)]
    return " ".join(words[:14] + [f"{n}"]).capitalize() + "."


async def rate(url: str, headers: dict[str, str], seconds: float) -> float:
    done = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def client(stop_at: float) -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                async with http.get(url) as answer:
                    await answer.read()
                    assert answer.status == 200, answer.status
                    done += 1

        start = time.perf_counter()
        await asyncio.gather(*(client(start + seconds) for _ in range(CLIENTS)))
        return done / (time.perf_counter() - start)


async def timings(url: str, headers: dict[str, str], count: int) -> list[float]:
    times = []
    async with aiohttp.ClientSession(headers=headers) as http:
        for n in range(count):
            params = {"text": sentence(n), "lang": "es"}
            begin = time.perf_counter()
            async with http.get(f"{url}/audio", params=params) as answer:
                await answer.read()
                assert answer.status == 200, answer.status
            times.append(time.perf_counter() - begin)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        database("sqlite", Path(tmp)) as db_url,
        langtutor_server(
            db_url,
            "http://127.0.0.1:9/v1",
            AUDIO_RATE_PER_MINUTE="100000000",
            DATA_DIR=str(Path(tmp) / "data"),
        ) as (url, _),
    ):
        headers = user_token(url, "bench")
        spoken = asyncio.run(timings(url, headers, args.sentences))
        cached_url = f"{url}/audio?text={sentence(0)}&lang=es"
        cached = asyncio.run(rate(cached_url, headers, args.seconds))
        health = asyncio.run(rate(f"{url}/healthz", {}, args.seconds))
    print(f"eSpeak NG through GET /audio, one server process, {args.sentences} new sentences:")
    print(
        f"seconds per 15-word sentence: median {statistics.median(spoken):.3f} s, "
        f"max {max(spoken):.3f} s (target median <= 1 s)"
    )
    print(f"cached audio: {cached:.0f} requests/s; GET /healthz: {health:.0f} requests/s")
    print(f"ratio of cached audio to /healthz: {cached / health:.2f}")


if __name__ == "__main__":
    main()
