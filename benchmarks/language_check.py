"""How well the language check tells languages: on the 325 sentences of 13 languages in
`tests/data/language_sentences.tsv`, per language and overall,

- single sentences: the detector's first answer is the sentence's language;
- whole sets (5 sentences judged together, as the check judges all fronts or examples of a
  set; 25 sets per language, each starting at another sentence): the first answer is right,
  the check passes them (no false alarm), and the check catches them when another language
  was asked (the next language of the list).

It also times one check of a set, as a ratio to validating that set with its pydantic model.

    .venv/bin/python -m benchmarks.language_check
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path

from langtutor.generation.quality import check_language, detect
from langtutor.generation.schemas import Flashcards

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "language_sentences.tsv"
SET_SIZE = 5


def sentences() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            language, sentence = line.split("\t")
            found[language].append(sentence)
    return dict(found)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    data = sentences()
    languages = list(data)
    print(
        f"{sum(map(len, data.values()))} sentences, {len(languages)} languages, sets of {SET_SIZE}"
    )
    print(f"{'lang':5} {'single':>7} {'sets':>7} {'passed':>7} {'caught':>7}")
    totals = defaultdict(int)
    for position, language in enumerate(languages):
        items = data[language]
        single = sum(detect(sentence)[0][0] == language for sentence in items)
        sets = [
            [items[(start + i) % len(items)] for i in range(SET_SIZE)]
            for start in range(len(items))
        ]
        right = sum(detect(" ".join(group))[0][0] == language for group in sets)
        passed = sum(
            check_language("examples", group, language).status == "checked" for group in sets
        )
        other = languages[(position + 1) % len(languages)]
        caught = sum(
            check_language("examples", group, other).status == "mismatch" for group in sets
        )
        for name, value in (
            ("single", single),
            ("sentences", len(items)),
            ("sets_right", right),
            ("passed", passed),
            ("caught", caught),
            ("sets", len(sets)),
        ):
            totals[name] += value
        print(
            f"{language:5} {single / len(items):7.1%} {right / len(sets):7.1%} "
            f"{passed / len(sets):7.1%} {caught / len(sets):7.1%}"
        )
    print(
        f"{'all':5} {totals['single'] / totals['sentences']:7.1%} "
        f"{totals['sets_right'] / totals['sets']:7.1%} {totals['passed'] / totals['sets']:7.1%} "
        f"{totals['caught'] / totals['sets']:7.1%}"
    )

    # Cost: one check of a set of ten examples against validating the set.
    examples = data["es"][:10]
    cards = {"cards": [{"front": text, "back": text} for text in examples]}
    check_times, validate_times = [], []
    for _ in range(2000):
        started = time.perf_counter()
        check_language("examples", examples, "es")
        check_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        Flashcards.model_validate(cards)
        validate_times.append(time.perf_counter() - started)
    check_ms = statistics.median(check_times) * 1000
    validate_ms = statistics.median(validate_times) * 1000
    print(
        f"one check of 10 examples: median {check_ms:.3f} ms, "
        f"{check_ms / validate_ms:.1f}x validating the set ({validate_ms:.3f} ms)"
    )


if __name__ == "__main__":
    main()
