"""What the content checks cost a generation: the same app twice in one process, on one
database (PostgreSQL when reachable, else SQLite), with `LANGTUTOR_CONTENT_CHECKS` on and
off, generating sets of 10 flashcards from the fake model (no latency) in turns; prints the
median time per generation of each and the difference (target <= 5 ms).

    .venv/bin/python -m benchmarks.check_overhead [--rounds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from tests.conftest import make_settings, serve_in_process
from tests.fakellm import FakeLLM

from benchmarks._harness import SECRET, database, pg_available
from langtutor.app import create_app


async def measure(database_url: str, llm_url: str, rounds: int) -> dict[bool, list[float]]:
    apps = {
        checks: create_app(
            make_settings(
                database_url,
                SECRET_KEY=SECRET,
                LLM_PROVIDER="openai",
                LLM_BASE_URL=llm_url,
                LLM_MODEL="fake-model",
                GENERATION_RATE_PER_MINUTE=1_000_000,
                CONTENT_CHECKS=checks,
            )
        )
        for checks in (True, False)
    }
    times: dict[bool, list[float]] = {True: [], False: []}
    async with serve_in_process(apps[True]) as on, serve_in_process(apps[False]) as off:
        body = {"username": "bench", "password": "benchmark password"}
        await on.post("/auth/register", json=body | {"default_target_language": "es"})
        token = (await on.post("/auth/token", data=body)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        request = {"query": "food", "count": 10, "use_history": False}
        clients: dict[bool, httpx.AsyncClient] = {True: on, False: off}
        for number in range(rounds + 20):
            for checks in (True, False) if number % 2 else (False, True):
                started = time.perf_counter()
                answer = await clients[checks].post(
                    "/generate/flashcards", json=request, headers=headers
                )
                elapsed = time.perf_counter() - started
                assert answer.status_code == 200, answer.text
                if number >= 20:  # the first ones warm up both apps
                    times[checks].append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    kind = "postgresql" if pg_available() else "sqlite"
    with (
        tempfile.TemporaryDirectory() as workdir,
        database(kind, Path(workdir)) as url,
        FakeLLM(record=False) as fake,
    ):
        times = asyncio.run(measure(url, fake.openai_url, args.rounds))
    on, off = (statistics.median(times[checks]) * 1000 for checks in (True, False))
    print(f"{kind}, {args.rounds} generations each, 10 flashcards, fake model without latency")
    print(f"checks on:  median {on:.2f} ms per generation")
    print(f"checks off: median {off:.2f} ms per generation")
    print(f"the checks add {on - off:.2f} ms ({on / off:.3f}x; target <= 5 ms)")


if __name__ == "__main__":
    main()
