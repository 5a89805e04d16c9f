"""What an ordinary request costs us, against what FastAPI itself allows: a bare FastAPI app
(a route answering a small JSON object) and `langtutor serve` (one worker, PostgreSQL, the
fake model answering at once), both under uvicorn with the same settings, driven in turns by
the same load generator (wrk when installed, else an async client in a process of its own),
50 connections. For each route: requests/s, p50 and p99 latency, and the ratio of requests/s
to the bare app's, median of 3 runs.

Routes: `/healthz`, `GET /users/me`, `GET /content` (20 items), `GET /progress`,
`POST /feedback`, and `POST /generate/flashcards` (3 cards, 0 ms model).

    .venv/bin/python -m benchmarks.request_cost [--seconds 5 --runs 3] [--only healthz users]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.servers import ServerProcess

from benchmarks._harness import database, fake_llm, langtutor_server, user_token

CONNECTIONS = 50


@dataclass(frozen=True)
class Target:
    name: str
    method: str
    path: str
    body: str | None = None
    auth: bool = True
    # Routes that write go as other learners, one per connection: the reads then see the
    # same library and history in every run (not one that grows with the writes of the
    # runs before), and a write measures its cost, not one learner's 50 requests queueing
    # for that learner's row in the shared rate limit.
    writes: bool = False


TARGETS = [
    Target("/healthz", "GET", "/healthz", auth=False),
    Target("GET /users/me", "GET", "/users/me"),
    Target("GET /content (20 items)", "GET", "/content?limit=20"),
    Target("GET /progress", "GET", "/progress"),
    Target("POST /feedback", "POST", "/feedback", json.dumps({"rating": 4}), writes=True),
    Target(
        "generation, 0 ms model",
        "POST",
        "/generate/flashcards",
        json.dumps({"query": "colours", "count": 3, "use_history": False}),
        writes=True,
    ),
]
BARE = Target("bare FastAPI", "GET", "/json", auth=False)


@dataclass(frozen=True)
class Measured:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk_script(target: Target, learners: list[dict[str, str]], folder: Path) -> Path:
    """Each request goes as the next of the learners, in turn."""
    lines = [f'wrk.method = "{target.method}"']
    if target.body is not None:
        lines += [f"wrk.body = {json.dumps(target.body)}"]
        lines += ['wrk.headers["Content-Type"] = "application/json"']
    if learners:
        tokens = ", ".join(json.dumps(headers["Authorization"]) for headers in learners)
        lines += [
            f"tokens = {{{tokens}}}",
            "sent = 0",
            "request = function()",
            "  sent = sent + 1",
            '  wrk.headers["Authorization"] = tokens[sent % #tokens + 1]',
            "  return wrk.format()",
            "end",
        ]
    script = folder / f"{abs(hash(target))}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise ValueError(f"wrk printed a latency of {text!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def with_wrk(url: str, target: Target, learners: list[dict[str, str]], seconds: int) -> Measured:
    with tempfile.TemporaryDirectory() as folder:
        script = wrk_script(target, learners, Path(folder))
        command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s"]
        out = subprocess.run(
            [*command, str(script), url + target.path], capture_output=True, text=True, check=True
        ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Measured(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        # The "Latency Distribution" lines, not a "+/- Stdev" column that ends in 50%.
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)[1]),  # type: ignore[index]
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)[1]),  # type: ignore[index]
        errors=(int(errors[1]) if errors else 0)
        + (sum(map(int, failed.groups())) if failed else 0),
    )


CLIENT = """
import asyncio, json, sys, time
import aiohttp

async def main(url, method, body, learners, seconds, connections):
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession() as http:
        async def worker(headers):
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with http.request(method, url, data=body, headers=headers) as answer:
                    await answer.read()
                    errors += answer.status >= 400
                latencies.append(time.perf_counter() - started)
        await asyncio.gather(
            *(worker(learners[n % len(learners)] if learners else {}) for n in range(connections))
        )
    latencies.sort()
    print(json.dumps({"rps": len(latencies) / seconds, "errors": errors,
                      "p50_ms": latencies[len(latencies) // 2] * 1000,
                      "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000}))

url, method, body, learners, seconds, connections = json.loads(sys.argv[1])
asyncio.run(main(url, method, body, learners, seconds, connections))
"""


def with_client(url: str, target: Target, learners: list[dict[str, str]], seconds: int) -> Measured:
    if target.body is not None:
        learners = [headers | {"Content-Type": "application/json"} for headers in learners or [{}]]
    arguments = [url + target.path, target.method, target.body, learners, seconds, CONNECTIONS]
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps(arguments)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Measured(**json.loads(out))


def seed(url: str) -> dict[str, str]:
    """A learner with 20 saved sets (from generations), some feedback: a full library page."""
    headers = user_token(url, "bench", default_target_language="es")
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for number in range(20):
            made = http.post("/generate/flashcards", json={"query": f"topic {number}", "count": 5})
            made.raise_for_status()
            generation = made.json()
            http.post(
                "/content/save",
                json={
                    "content_type": "flashcards",
                    "original_query": generation["query"],
                    "content_data": generation["content"],
                    "generation_id": generation["generation_id"],
                },
            ).raise_for_status()
    return headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--only", nargs="*", default=[], help="routes whose name holds one of these"
    )
    args = parser.parse_args()
    targets = [t for t in TARGETS if not args.only or any(part in t.name for part in args.only)]
    drive = with_wrk if shutil.which("wrk") else with_client
    results: dict[str, list[Measured]] = {target.name: [] for target in [BARE, *targets]}
    with (
        tempfile.TemporaryDirectory() as workdir,
        database("postgresql", Path(workdir)) as url,
        fake_llm(0.0) as llm_url,
        langtutor_server(
            url,
            llm_url,
            GENERATION_RATE_PER_MINUTE="100000000",
            FEEDBACK_RATE_PER_MINUTE="100000000",
        ) as (ours, _),
        ServerProcess(
            command=[
                sys.executable,
                "-m",
                "uvicorn",
                "benchmarks._bare_app:app",
                "--host",
                "127.0.0.1",
                "--timeout-graceful-shutdown",
                "30",
            ],
            ready_path="/json",
        ) as bare,
    ):
        headers = seed(ours)
        writers = [
            user_token(ours, f"bench-writer-{n}", default_target_language="es")
            for n in range(CONNECTIONS)
        ]
        for _ in range(args.runs):
            results[BARE.name].append(drive(bare.url, BARE, [], args.seconds))
            for target in targets:
                sent = (writers if target.writes else [headers]) if target.auth else []
                results[target.name].append(drive(ours, target, sent, args.seconds))
    tool = "wrk" if drive is with_wrk else "an async client process"
    print(f"{tool}, {CONNECTIONS} connections, {args.seconds} s per run, median of {args.runs}")
    bare_rps = statistics.median(m.rps for m in results[BARE.name])
    print(f"{'route':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7} {'errors':>7}")
    for name, runs in results.items():
        rps = statistics.median(m.rps for m in runs)
        print(
            f"{name:28} {rps:9.0f} {statistics.median(m.p50_ms for m in runs):8.2f} "
            f"{statistics.median(m.p99_ms for m in runs):8.2f} {rps / bare_rps:7.3f} "
            f"{sum(m.errors for m in runs):7d}"
        )


if __name__ == "__main__":
    main()
