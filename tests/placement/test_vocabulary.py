"""The vocabulary stage's bank and rules, without a server: real words and pseudowords from
`wordfreq`'s lists, an all-"yes" and an all-"no" learner, a simulated learner placed."""

from __future__ import annotations

import math
import random

import pytest
import wordfreq

from langtutor.enums import Level
from langtutor.placement import scoring
from langtutor.placement.bank import BAND_SIZE, BANDS, bank, has_bank, is_item, language_scripts
from langtutor.placement.scoring import MAX_ITEMS, Answered


def run(language: str, says_yes) -> scoring.Estimate:  # type: ignore[no-untyped-def]
    """A whole vocabulary stage with the answers `says_yes(word)` gives."""
    items_bank, rng = bank(language), random.Random(7)
    shown = scoring.first_round(items_bank, rng)
    answers: list[Answered] = []
    rounds = 1
    while True:
        answers += [Answered(word.rank, says_yes(word)) for word in shown[len(answers) :]]
        following = scoring.next_round(items_bank, shown, answers, rounds, rng)
        if not following:
            break
        shown, rounds = shown + following, rounds + 1
    assert len(shown) <= MAX_ITEMS
    return scoring.estimate(answers)


@pytest.mark.parametrize("language", ["es", "fr", "de", "ja", "zh", "ar"])
def test_the_bank_has_words_of_the_language_and_unknown_pseudowords(language: str) -> None:
    made = bank(language)
    assert [len(band) for band in made.bands] == [BAND_SIZE] * BANDS
    scripts = language_scripts(language)
    known = wordfreq.get_frequency_dict(language)
    pseudowords = [w.text for ws in made.pseudowords.values() for w in ws]
    assert len(pseudowords) >= 1000
    assert not [text for text in pseudowords if text in known]
    for band in made.bands:
        assert all(is_item(word.text, scripts) for word in band)
    # Lengths as the real words': means within a tenth.
    real = [len(w.text) for band in made.bands for w in band]
    assert abs(sum(map(len, pseudowords)) / len(pseudowords) / (sum(real) / len(real)) - 1) < 0.1


def test_no_digits_punctuation_or_other_scripts() -> None:
    latin = language_scripts("es")
    assert latin == {"LATIN"}
    for text in ("2020", "l'eau", "co-op", "москва", "ab"):
        assert not is_item(text, latin), text
    assert is_item("cigüeña", latin)
    han = language_scripts("ja")
    assert is_item("時間", han)
    assert is_item("ピアノ", han)
    assert not is_item("守ら", han)  # a verb's stem with its okurigana: a fragment
    assert has_bank("es")
    assert not has_bank("sw")


def test_an_all_yes_learner_is_not_placed_and_an_all_no_learner_is_a1() -> None:
    assert run("es", lambda word: True).level is None
    nothing = run("es", lambda word: False)
    assert nothing.level is Level.A1
    assert nothing.vocabulary_size == 0


@pytest.mark.parametrize(("size", "level"), [(1000, Level.A1), (3000, Level.B1), (5200, Level.C2)])
def test_a_learner_is_placed_within_one_level(size: int, level: Level) -> None:
    rng = random.Random(size)
    known: dict[str, bool] = {}

    def says_yes(word):  # type: ignore[no-untyped-def]
        if not word.real:
            return rng.random() < 0.1
        chance = 1 / (1 + math.exp((word.rank - size) / (0.15 * size)))
        known.setdefault(word.text, rng.random() < chance)
        return known[word.text] or rng.random() < 0.1

    placed = run("de", says_yes)
    assert placed.level is not None
    assert abs(list(Level).index(placed.level) - list(Level).index(level)) <= 1
    assert 0.0 <= placed.confidence <= 1.0


def test_milton_and_alexiou_bands() -> None:
    assert [scoring.level_of(n) for n in (0, 1499, 1500, 2499, 2500, 3249, 3250, 3750, 4500)] == [
        Level.A1,
        Level.A1,
        Level.A2,
        Level.A2,
        Level.B1,
        Level.B1,
        Level.B2,
        Level.C1,
        Level.C2,
    ]
