"""Eval harness for operators: how well the configured model writes our content. Runs N
generations per content type over a fixed list of topics and language pairs against the
provider of the `LANGTUTOR_LLM_*` settings (or, with `--fake`, the test suite's fake
model), through the same service and checks as the API, and prints per content type:

- schema-valid on the first try, and after the repair round (served at all);
- language check passed on the first try, and in what was served;
- exact count (the number of cards or exercises asked; simulations have none);
- latency, median and p95 (a re-ask included), as a ratio to the fastest generation.

    LANGTUTOR_LLM_PROVIDER=openai LANGTUTOR_LLM_MODEL=gpt-4o-mini LANGTUTOR_LLM_API_KEY=... \\
        .venv/bin/python -m benchmarks.content_quality --n 50
    .venv/bin/python -m benchmarks.content_quality --fake --n 5

The fake model writes Spanish, French, German, Italian and Portuguese only: with `--fake`,
the other pairs end as `wrong_language`, which shows the check at work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.fakellm import FakeLLM

from langtutor.config import Settings, get_settings
from langtutor.enums import ContentType, Level
from langtutor.generation.instructions import LearnerContext, load_instructions
from langtutor.generation.providers import create_provider
from langtutor.generation.providers.base import LLMError, LLMProvider
from langtutor.generation.service import ask_model, item_count

TOPICS = [
    "ordering food in a restaurant",
    "asking for directions",
    "a visit to the doctor",
    "talking about the weather",
    "shopping for clothes",
    "a job interview",
    "booking a hotel room",
    "family and friends",
    "public transport",
    "hobbies and free time",
]
# (target, base): the pairs learners ask for most, and some far apart.
LANGUAGES = [
    ("es", "en"),
    ("fr", "en"),
    ("de", "en"),
    ("it", "en"),
    ("pt", "en"),
    ("ja", "en"),
    ("en", "es"),
    ("nl", "de"),
    ("ru", "en"),
    ("tr", "de"),
]
COUNT = 8


@dataclass
class Tally:
    runs: int = 0
    valid_first: int = 0
    served: int = 0
    language_first: int = 0
    language_served: int = 0
    exact_count: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)


async def run(
    provider: LLMProvider, instructions: dict[ContentType, str], n: int
) -> dict[ContentType, Tally]:
    tallies = {kind: Tally() for kind in ContentType}
    for kind in ContentType:
        tally = tallies[kind]
        for number in range(n):
            target, base = LANGUAGES[number % len(LANGUAGES)]
            count = None if kind is ContentType.simulation else COUNT
            learner = LearnerContext(target, base, Level.B1, count)
            tally.runs += 1
            started = time.perf_counter()
            try:
                generated = await ask_model(
                    provider=provider,
                    instructions=instructions[kind],
                    kind=kind,
                    learner=learner,
                    query=TOPICS[number % len(TOPICS)],
                )
            except LLMError as error:
                tally.errors[error.kind] = tally.errors.get(error.kind, 0) + 1
                tally.valid_first += error.kind != "invalid_output"
                continue
            finally:
                tally.latencies.append(time.perf_counter() - started)
            tally.served += 1
            tally.valid_first += "schema" not in generated.first_try
            tally.language_first += "language" not in generated.first_try
            quality = generated.quality
            tally.language_served += quality is None or not quality.mismatches
            tally.exact_count += count is None or item_count(generated.content) == count
    return tallies


@contextlib.contextmanager
def model_settings(fake: bool) -> Iterator[Settings]:
    if not fake:
        yield get_settings()
        return
    with FakeLLM(record=False) as server:
        yield Settings(
            DATABASE_URL="sqlite+aiosqlite://",
            SECRET_KEY="content-quality-benchmark-0123456789-0123456789",
            LLM_PROVIDER="openai",
            LLM_BASE_URL=server.openai_url,
            LLM_MODEL="fake-model",
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50, help="generations per content type")
    parser.add_argument("--fake", action="store_true", help="the fake model, not the settings'")
    args = parser.parse_args(argv)
    with model_settings(args.fake) as settings:
        provider = create_provider(settings)
        if provider is None:
            raise SystemExit("no model configured: set LANGTUTOR_LLM_PROVIDER (or use --fake)")
        tallies = asyncio.run(run(provider, load_instructions(settings), args.n))
    print(f"{provider.name} · {provider.model} · {args.n} generations per content type")
    fastest = min(min(t.latencies) for t in tallies.values() if t.latencies)
    header = "type         valid 1st  served  lang 1st  lang ok  count   p50 s   p95 s  (x fastest)"
    print(header)
    for kind, tally in tallies.items():
        runs = tally.runs
        latencies = sorted(tally.latencies)
        p50 = statistics.median(latencies)
        p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
        served = tally.served or 1
        print(
            f"{kind.value:12} {tally.valid_first / runs:9.0%} {tally.served / runs:7.0%} "
            f"{tally.language_first / served:9.0%} {tally.language_served / served:8.0%} "
            f"{tally.exact_count / served:6.0%} {p50:7.2f} {p95:7.2f}  ({p50 / fastest:.1f}x)"
            + (f"  errors: {tally.errors}" if tally.errors else "")
        )


if __name__ == "__main__":
    main()
