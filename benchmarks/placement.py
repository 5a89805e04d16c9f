"""The vocabulary stage places simulated learners, and a whole placement is cheap.

1. For each of es, fr, de, ja, zh and ar: `--learners` simulated learners (default 600, a
   sixth at each level), each with a true level and a vocabulary of a size drawn within the
   level's range (Milton and Alexiou 2009: A1 200-1,500, A2 1,500-2,500, B1 2,500-3,250, B2
   3,250-3,750, C1 3,750-4,500, C2 4,500-6,000), knowing a word of frequency rank r with
   chance 1 / (1 + exp((r - size) / s)) (s from 10% to 20% of the size) and saying "yes" at a
   rate from 5% to 15% to what they do not know, pseudowords and unknown words alike. Each
   takes the vocabulary stage as the server gives it (the service's own rounds and
   scoring): the share placed exactly and within one level (targets 0.60 and 0.95), and the
   confusion matrix (rows: true level; columns: placed; "-" not placed).
2. The pseudowords of each language's bank: how many `wordfreq` knows (target 0), and their
   lengths against the real words' shown in the same placements (mean length ratio and the
   total variation distance of the length histograms; target within 0.10 each).
3. Whole placements through the API in one process (PostgreSQL when reachable, else
   SQLite), no model: start, then every round answered, as one learner; the server's time
   per whole placement (median, p95; target <= 50 ms), against `GET /healthz`.

    .venv/bin/python -m benchmarks.placement [--learners 600] [--placements 50]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import wordfreq
from tests.conftest import make_settings, serve_in_process

from benchmarks._harness import SECRET, database, pg_available
from langtutor.app import create_app
from langtutor.enums import Level
from langtutor.placement import scoring
from langtutor.placement.bank import Bank, Word, bank

LANGUAGES = ("es", "fr", "de", "ja", "zh", "ar")
LEVELS = list(Level)
SIZES = {
    Level.A1: (200, 1500),
    Level.A2: (1500, 2500),
    Level.B1: (2500, 3250),
    Level.B2: (3250, 3750),
    Level.C1: (3750, 4500),
    Level.C2: (4500, 6000),
}


@dataclass
class Learner:
    level: Level
    size: float
    fall_off: float
    guessing: float
    rng: random.Random
    known: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def drawn(cls, level: Level, rng: random.Random) -> Learner:
        size = rng.uniform(*SIZES[level])
        return cls(level, size, rng.uniform(0.1, 0.2) * size, rng.uniform(0.05, 0.15), rng)

    def says_yes(self, word: Word) -> bool:
        if word.real and word.text not in self.known:
            chance = 1 / (1 + math.exp((word.rank - self.size) / self.fall_off))
            self.known[word.text] = self.rng.random() < chance
        return self.known.get(word.text, False) or self.rng.random() < self.guessing


def vocabulary_stage(
    items: Bank, learner: Learner, rng: random.Random
) -> tuple[list[Word], scoring.Estimate]:
    shown = scoring.first_round(items, rng)
    answers: list[scoring.Answered] = []
    rounds = 1
    while True:
        answers += [scoring.Answered(w.rank, learner.says_yes(w)) for w in shown[len(answers) :]]
        following = scoring.next_round(items, shown, answers, rounds, rng)
        if not following:
            return shown, scoring.estimate(answers)
        shown, rounds = shown + following, rounds + 1


def place_learners(language: str, learners: int) -> tuple[list[str], Counter[int], Counter[int]]:
    """Lines of the report, and the lengths of the real and pseudo items shown."""
    items, rng = bank(language), random.Random(f"benchmark {language}")
    matrix = [[0] * (len(LEVELS) + 1) for _ in LEVELS]
    real_lengths: Counter[int] = Counter()
    pseudo_lengths: Counter[int] = Counter()
    for number in range(learners):
        learner = Learner.drawn(LEVELS[number % len(LEVELS)], rng)
        shown, estimate = vocabulary_stage(items, learner, rng)
        for word in shown:
            (real_lengths if word.real else pseudo_lengths)[len(word.text)] += 1
        placed = LEVELS.index(estimate.level) if estimate.level else len(LEVELS)
        matrix[LEVELS.index(learner.level)][placed] += 1
    exact = sum(matrix[i][i] for i in range(len(LEVELS))) / learners
    within = (
        sum(matrix[i][j] for i in range(len(LEVELS)) for j in range(len(LEVELS)) if abs(i - j) <= 1)
        / learners
    )
    lines = [
        f"{language}: {learners} learners, exact {exact:.3f} (target 0.60), "
        f"within one level {within:.3f} (target 0.95)",
        "      " + " ".join(f"{level.value:>4}" for level in LEVELS) + "    -",
    ]
    for level, row in zip(LEVELS, matrix, strict=True):
        lines.append(f"  {level.value}  " + " ".join(f"{n:>4}" for n in row))
    return lines, real_lengths, pseudo_lengths


def pseudoword_report(language: str, real: Counter[int], pseudo: Counter[int]) -> str:
    items = bank(language)
    made = [w.text for ws in items.pseudowords.values() for w in ws]
    listed = wordfreq.get_frequency_dict(language)
    known = sum(text in listed for text in made)
    mean_real = sum(n * c for n, c in real.items()) / sum(real.values())
    mean_pseudo = sum(n * c for n, c in pseudo.items()) / sum(pseudo.values())
    distance = 0.5 * sum(
        abs(real[n] / sum(real.values()) - pseudo[n] / sum(pseudo.values()))
        for n in set(real) | set(pseudo)
    )
    return (
        f"{language}: {len(made)} pseudowords, {known} known to wordfreq (target 0); shown: "
        f"mean length {mean_pseudo:.2f} vs real {mean_real:.2f} "
        f"(ratio {mean_pseudo / mean_real:.3f}), "
        f"length histograms apart by {distance:.3f} (target <= 0.10)"
    )


@dataclass
class Timings:
    """Seconds per whole placement, per request of each kind, per `GET /healthz`; the
    process's CPU seconds per placement (the server's, and the in-process client's)."""

    placements: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    cpu: float = 0.0


async def timed(timings: list[float], request: Any) -> Any:
    started = time.perf_counter()
    answer = await request
    timings.append(time.perf_counter() - started)
    return answer


async def whole_placements(url: str, placements: int) -> Timings:
    """Whole placements through the API, each as one learner's, one after the other."""
    app = create_app(make_settings(url, SECRET_KEY=SECRET))
    rng = random.Random(1)
    async with serve_in_process(app) as client:
        body = {"username": "placed", "password": "benchmark password"}
        await client.post("/auth/register", json=body | {"default_target_language": "es"})
        token = (await client.post("/auth/token", data=body)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        await client.post("/placement", headers=headers)  # the bank made once, off the clock
        found, items = Timings(), 0
        cpu = time.process_time()
        for _ in range(placements):
            started = time.perf_counter()
            view = (await timed(found.starts, client.post("/placement", headers=headers))).json()
            while view["stage"] == "vocabulary":  # mixed answers: every round is given
                items += len(view["items"])
                answers = [
                    {"item_id": item["item_id"], "known": rng.random() < 0.6}
                    for item in view["items"]
                ]
                path = f"/placement/{view['placement_id']}/answers"
                answer = await timed(
                    found.answers, client.post(path, json={"answers": answers}, headers=headers)
                )
                assert answer.status_code == 200, answer.text
                view = answer.json()
            found.placements.append(time.perf_counter() - started)
            await timed(found.health, client.get("/healthz"))
        found.cpu = (time.process_time() - cpu) / placements
    assert items == 60 * placements, items
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=600)
    parser.add_argument("--placements", type=int, default=50)
    args = parser.parse_args(argv)
    pseudo_lines = []
    for language in LANGUAGES:
        lines, real, pseudo = place_learners(language, args.learners)
        print("\n".join(lines))
        pseudo_lines.append(pseudoword_report(language, real, pseudo))
    print("\n".join(pseudo_lines))
    kind = "postgresql" if pg_available() else "sqlite"
    with tempfile.TemporaryDirectory() as workdir, database(kind, Path(workdir)) as url:
        found = asyncio.run(whole_placements(url, args.placements))
    median = statistics.median(found.placements)
    p95 = statistics.quantiles(found.placements, n=20)[-1]
    start, answer = statistics.median(found.starts), statistics.median(found.answers)
    print(
        f"{kind}: a whole placement (start and every round, 60 items, 4 requests) median "
        f"{median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (target <= 50 ms); its requests' "
        f"medians: start {start * 1000:.1f} ms + 3 x answers {answer * 1000:.1f} ms = "
        f"{(start + 3 * answer) * 1000:.1f} ms; a GET /healthz "
        f"{statistics.median(found.health) * 1000:.2f} ms; CPU of the process (server and "
        f"client) {found.cpu * 1000:.1f} ms per placement; load average "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
