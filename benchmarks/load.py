"""A crowd of learners against `langtutor serve --workers 2` on PostgreSQL with a fake model.

Each simulated learner loops: generate (flashcards, exercises or simulation), save the
result, rate it, read its activity, read its progress. Prints throughput, p50/p95/p99 per
route, the error count, and generation throughput as a ratio of the ideal that the fake
model's latency sets (the same learners' time in generation calls, had each taken exactly
the model's latency).

    .venv/bin/python -m benchmarks.load                      # 100 learners, 60 s, 200 ms model
    .venv/bin/python -m benchmarks.load --sigterm-at 20      # SIGTERM mid-load, then check the log
    .venv/bin/python -m benchmarks.load --fail-rate 0.2 --timeout-rate 0.05   # a bad model

With --sigterm-at, every generation that answered 200 must have its query and output
entries in activity_log, none duplicated. With failures, no answer may be a 500, every
failure must carry a documented status, and every failed generation must be logged as an
`error` entry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

from benchmarks._harness import database, fake_llm, langtutor_server, user_token

DOCUMENTED_FAILURES = {502, 503, 504}
KINDS = ("flashcards", "exercises", "simulation")


class Stats:
    def __init__(self) -> None:
        self.latencies: defaultdict[str, list[float]] = defaultdict(list)
        self.statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)
        self.generations_ok: list[str] = []
        self.generation_failures = 0
        self.transport_errors = 0
        self.server_stopped = False

    def record(self, route: str, status: int, seconds: float) -> None:
        self.latencies[route].append(seconds)
        self.statuses[route][status] += 1


async def learner(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], stats: Stats, stop_at: float
) -> None:
    json_headers = headers | {"Content-Type": "application/json"}

    async def call(route: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        start = time.perf_counter()
        try:
            async with http.request(
                method,
                url + path,
                headers=json_headers,
                data=None if body is None else json.dumps(body),
            ) as answer:
                payload = await answer.read()
                stats.record(route, answer.status, time.perf_counter() - start)
                try:
                    return answer.status, json.loads(payload)
                except ValueError:  # an empty 204, or a plain-text 500
                    return answer.status, None
        except (TimeoutError, aiohttp.ClientError):
            stats.transport_errors += 1
            return 0, None

    while time.perf_counter() < stop_at and not stats.server_stopped:
        kind = random.choice(KINDS)
        body: dict[str, Any] = {"query": f"topic {random.randint(1, 30)}"}
        if kind != "simulation":
            body["count"] = 5
        status, generation = await call("generate", "POST", f"/generate/{kind}", body)
        if status != 200:
            if status:
                stats.generation_failures += 1
            continue
        stats.generations_ok.append(generation["generation_id"])
        status, saved = await call(
            "save",
            "POST",
            "/content/save",
            {
                "content_type": kind,
                "original_query": body["query"],
                "content_data": generation["content"],
                "generation_id": generation["generation_id"],
            },
        )
        feedback = {"generation_id": generation["generation_id"], "rating": random.randint(1, 5)}
        if status == 201:
            feedback["saved_content_id"] = saved["saved_content_id"]
        await call("feedback", "POST", "/feedback", feedback)
        await call("activity", "GET", "/activity?limit=20")
        await call("progress", "GET", "/progress?days=30")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def drive(url: str, tokens: list[dict[str, str]], seconds: float, stats: Stats) -> float:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        start = time.perf_counter()
        await asyncio.gather(
            *(learner(http, url, headers, stats, start + seconds) for headers in tokens)
        )
        return time.perf_counter() - start


def check_log(database_url: str, generation_ids: list[str]) -> tuple[int, int, int]:
    """(generations missing an entry, duplicated entries, error entries)."""
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT generation_id::text, event, count(*) FROM activity_log"
            " GROUP BY generation_id, event"
        ).fetchall()
    entries = {(gid, event): n for gid, event, n in rows}
    missing = sum(
        1
        for gid in generation_ids
        if (gid, "query") not in entries or (gid, "output") not in entries
    )
    duplicated = sum(n - 1 for n in entries.values() if n > 1)
    errors = sum(n for (_, event), n in entries.items() if event == "error")
    return missing, duplicated, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--timeout-rate", type=float, default=0.0)
    parser.add_argument("--sigterm-at", type=float, default=None)
    args = parser.parse_args()

    stats = Stats()
    settings = {
        "GENERATION_RATE_PER_MINUTE": "1000000",
        "FEEDBACK_RATE_PER_MINUTE": "1000000",
        "LLM_TIMEOUT_S": "2",
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        database("postgresql", Path(tmp)) as db_url,
        fake_llm(args.latency, args.fail_rate, args.timeout_rate) as llm_url,
        langtutor_server(
            db_url, llm_url, workers=args.workers, log=Path(tmp) / "server.log", **settings
        ) as (url, proc),
    ):
        tokens = [
            user_token(url, f"learner{n}", default_target_language="es")
            for n in range(args.learners)
        ]
        if args.sigterm_at is not None:
            loop_seconds = args.seconds

            async def with_sigterm() -> float:
                async def stop_server() -> None:
                    await asyncio.sleep(args.sigterm_at)
                    proc.terminate()
                    await asyncio.sleep(1)  # learners see refused connections, then stop
                    stats.server_stopped = True

                stopper = asyncio.create_task(stop_server())
                elapsed = await drive(url, tokens, loop_seconds, stats)
                await stopper
                return elapsed

            elapsed = asyncio.run(with_sigterm())
            proc.wait(timeout=60)
        else:
            elapsed = asyncio.run(drive(url, tokens, args.seconds, stats))
            # The log is read after a clean stop: entries of the last requests may still wait
            # in a worker's buffer (up to LOG_FLUSH_INTERVAL_S), and shutdown flushes them.
            proc.terminate()
            proc.wait(timeout=60)
        missing, duplicated, error_entries = check_log(db_url, stats.generations_ok)
        server_log = (Path(tmp) / "server.log").read_text()

    total = sum(len(v) for v in stats.latencies.values())
    print(
        f"{args.learners} learners, {args.workers} workers, PostgreSQL, fake model "
        f"{args.latency * 1000:.0f} ms (fail {args.fail_rate:.0%}, hang {args.timeout_rate:.0%}),"
        f" {elapsed:.0f} s"
    )
    print(
        f"throughput: {total / elapsed:.1f} requests/s, "
        f"{len(stats.generations_ok) / elapsed:.1f} successful generations/s"
    )
    for route, values in sorted(stats.latencies.items()):
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(stats.statuses[route].items()))
        print(
            f"  {route:9} n={len(values):6}  p50 {percentile(values, 0.5):7.1f} ms  "
            f"p95 {percentile(values, 0.95):7.1f} ms  p99 {percentile(values, 0.99):7.1f} ms"
            f"  [{codes}]"
        )
    generate_times = stats.latencies["generate"]
    if generate_times and not args.fail_rate and not args.timeout_rate:
        ratio = args.latency / statistics.mean(generate_times)
        print(f"generation throughput / ideal set by the model's latency: {ratio:.2f}")
    server_errors = sum(c[500] for c in stats.statuses.values())
    undocumented = sum(
        n
        for code, n in stats.statuses["generate"].items()
        if code not in DOCUMENTED_FAILURES | {200}
    )
    unexpected = sum(
        n
        for route, counter in stats.statuses.items()
        if route != "generate"
        for code, n in counter.items()
        if code not in (200, 201)
    )
    print(
        f"errors: 500s {server_errors}, undocumented generation statuses {undocumented}, "
        f"non-2xx on other routes {unexpected}, transport errors {stats.transport_errors}"
    )
    print(
        f"activity log: {len(stats.generations_ok)} answered generations, {missing} without both "
        f"query and output entries, {duplicated} duplicated entries, {error_entries} error entries"
        f" for {stats.generation_failures} failed generations"
    )
    if "Traceback" in server_log:
        kept = Path(tempfile.gettempdir()) / "langtutor-load-server.log"
        kept.write_text(server_log)
        print(f"the server log has {server_log.count('Traceback')} tracebacks: {kept}")


if __name__ == "__main__":
    main()
