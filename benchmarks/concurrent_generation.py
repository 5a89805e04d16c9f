"""Generation is async end to end.

200 simulated learners each keep one generation in flight against ONE server process
(`langtutor serve`, PostgreSQL or SQLite, real `openai` SDK over HTTP) whose fake model takes
1 s per answer. With perfect concurrency that sustains 200 generations per second: the figure
is achieved throughput / 200 per second (target >= 0.8). As a same-run baseline, the same
client drives the fake model directly, which shows what the client and the machine allow. The
loops share two accounts of 100 calls under way each (`MODEL_CALLS_PER_LEARNER` at its most).

    .venv/bin/python -m benchmarks.concurrent_generation [--database postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

from benchmarks._harness import database, fake_llm, langtutor_server, pg_available, user_token

LEARNERS = 200
LATENCY_S = 1.0
# The loops share accounts, each with as many calls under way as one learner may have at most.
PER_ACCOUNT = 100


async def sustained(
    url: str, accounts: list[dict[str, str]], body: dict[str, object], seconds: float
) -> tuple[float, Counter[int]]:
    """Completions per second while LEARNERS loops each keep one request in flight, and the
    statuses of the answers that were not 200."""
    connector = aiohttp.TCPConnector(limit=0)
    payload = json.dumps(body)
    done = 0
    errors: Counter[int] = Counter()
    measuring = False

    async with aiohttp.ClientSession(connector=connector) as http:

        async def learner(number: int, stop_at: float) -> None:
            nonlocal done
            headers = accounts[number % len(accounts)] | {"Content-Type": "application/json"}
            while time.perf_counter() < stop_at:
                async with http.post(url, data=payload, headers=headers) as answer:
                    await answer.read()
                    if measuring:
                        if answer.status == 200:
                            done += 1
                        else:
                            errors[answer.status] += 1

        warmup = 2 * LATENCY_S
        start = time.perf_counter()
        tasks = [
            asyncio.create_task(learner(number, start + warmup + seconds))
            for number in range(LEARNERS)
        ]
        await asyncio.sleep(warmup)
        measuring, begin = True, time.perf_counter()
        await asyncio.sleep(seconds)
        measuring = False
        elapsed = time.perf_counter() - begin
        await asyncio.gather(*tasks)
    return done / elapsed, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    default_db = "postgresql" if pg_available() else "sqlite"
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default=default_db)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    ideal = LEARNERS / LATENCY_S
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(args.database, Path(tmp)) as db_url,
        fake_llm(LATENCY_S) as llm_url,
        langtutor_server(
            db_url,
            llm_url,
            GENERATION_RATE_PER_MINUTE="1000000",
            MODEL_CALLS_PER_LEARNER=str(PER_ACCOUNT),
        ) as (url, _),
    ):
        accounts = [
            user_token(url, f"bench{number}", default_target_language="es")
            for number in range(-(-LEARNERS // PER_ACCOUNT))
        ]
        body = {"query": "ordering tapas", "count": 5}
        system = "Content type: flashcards\nNumber of cards: exactly 5"
        direct_body = {"model": "m", "messages": [{"role": "system", "content": system}]}
        ours, direct = [], []
        for _ in range(args.runs):
            rate, errors = asyncio.run(
                sustained(f"{url}/generate/flashcards", accounts, body, args.seconds)
            )
            assert not errors, f"failed generations, by status: {dict(errors)}"
            ours.append(rate)
            rate, _ = asyncio.run(
                sustained(f"{llm_url}/chat/completions", [{}], direct_body, args.seconds)
            )
            direct.append(rate)
    median, baseline = statistics.median(ours), statistics.median(direct)
    print(
        f"{LEARNERS} concurrent learners, fake model latency {LATENCY_S:.1f} s, "
        f"one server process, {args.database}, {args.runs} runs of {args.seconds:.0f} s"
    )
    runs = ", ".join(f"{rate:.1f}" for rate in ours)
    print(f"generations/s via langtutor: median {median:.1f} (runs {runs})")
    print(f"calls/s straight to the fake model (baseline): median {baseline:.1f}")
    print(f"ratio to ideal {ideal:.0f}/s: {median / ideal:.2f} (target >= 0.80)")
    print(f"ratio to direct baseline: {median / baseline:.2f}")


if __name__ == "__main__":
    main()
