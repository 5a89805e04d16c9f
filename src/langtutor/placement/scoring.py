"""The vocabulary stage's rules: which words to show next (adaptive by band), and what the
answers say (a vocabulary size, corrected for guessing, and its CEFR level).

Rounds: the first shows every band a few words; each later round gives its words to the bands
not yet settled (a band all "yes" is known, a band with no "yes" is unknown), and the test
ends early when every band is settled. About one item in six is a pseudoword.

Scoring: a band's share known is its "yes" rate corrected for guessing with the pseudowords'
"yes" rate f, `(h - f) / (1 - f)` (the correction for guessing that Huibregtse, Admiraal and
Meara (2002) call cfg), held between 0 and 1 and made non-increasing from band to band (a
rarer band is not known better than a more frequent one: pooled where it would be). The
vocabulary size is the sum over bands of their share times the band's size. A learner who
says "yes" to half the pseudowords or more is not placed at all.

Levels: Milton and Alexiou (2009), vocabulary sizes of learners at each CEFR level measured
over the 5,000 most frequent words: A1 below 1,500, A2 1,500-2,500, B1 2,750-3,250, B2
3,250-3,750, C1 3,750-4,500, C2 4,500-5,000 (the gap from 2,500 to 2,750 given to B1).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from langtutor.enums import Level
from langtutor.placement.bank import BAND_SIZE, BANDS, Bank, Word

# The lowest vocabulary size of each level (Milton and Alexiou 2009).
LEVEL_FLOORS: tuple[tuple[Level, int], ...] = (
    (Level.A1, 0),
    (Level.A2, 1500),
    (Level.B1, 2500),
    (Level.B2, 3250),
    (Level.C1, 3750),
    (Level.C2, 4500),
)
MAX_ITEMS = 60
# (real words per band, pseudowords) of the first round; (real words, pseudowords) of each
# later one: 22 + 19 + 19 = 60.
FIRST_ROUND = (3, 4)
LATER_ROUNDS = ((16, 3), (16, 3))
# Pseudowords answered "yes" at this rate or more: the answers say nothing of the words.
UNPLACEABLE_RATE = 0.5
# Every band settled, but this share of pseudowords claimed: the test goes on.
RECHECK_RATE = 0.25
# A band's neighbour with this share of "yes" or more (or of "no") lets it settle.
SETTLED_RATE = 2 / 3
# The least uncertainty a size is given (words): the bands' words stand for many more.
MIN_ERROR = 100.0


@dataclass(frozen=True)
class Answered:
    """A shown item: its rank (-1 for a pseudoword) and the learner's answer."""

    rank: int
    yes: bool


@dataclass(frozen=True)
class Estimate:
    # None when the answers could not place the learner (too many pseudowords claimed).
    level: Level | None
    vocabulary_size: int
    # How likely the size lies within the level's range, given the answers (0-1).
    confidence: float
    false_alarm_rate: float


def level_of(size: float) -> Level:
    """The CEFR level of a vocabulary size (Milton and Alexiou 2009)."""
    return next(level for level, floor in reversed(LEVEL_FLOORS) if size >= floor)


def level_range(level: Level) -> tuple[float, float]:
    floors = [floor for _, floor in LEVEL_FLOORS] + [math.inf]
    index = list(Level).index(level)
    return floors[index], floors[index + 1]


def false_alarms(answers: Sequence[Answered]) -> float:
    pseudo = [a.yes for a in answers if a.rank < 0]
    return sum(pseudo) / len(pseudo) if pseudo else 0.0


def band_counts(answers: Sequence[Answered]) -> list[tuple[int, int]]:
    """(yes, shown) of each band's real words."""
    counts = [[0, 0] for _ in range(BANDS)]
    for answer in answers:
        if answer.rank >= 0:
            counts[answer.rank // BAND_SIZE][0] += answer.yes
            counts[answer.rank // BAND_SIZE][1] += 1
    return [(yes, shown) for yes, shown in counts]


def known_shares(answers: Sequence[Answered]) -> list[float]:
    """Each band's share known: the "yes" rate corrected for guessing, then non-increasing."""
    f = false_alarms(answers)
    shares = []
    for yes, shown in band_counts(answers):
        rate = yes / shown if shown else 0.0
        shares.append((rate - f) / (1 - f) if f < 1 else 0.0)
    weights = [max(shown, 1) for _, shown in band_counts(answers)]
    return [min(1.0, max(0.0, share)) for share in _non_increasing(shares, weights)]


def _non_increasing(values: list[float], weights: list[int]) -> list[float]:
    """The closest non-increasing sequence (pool adjacent violators, weighted)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for value, weight in zip(values, weights, strict=True):
        blocks.append([value, float(weight), 1])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            last = blocks.pop()
            total = blocks[-1][1] + last[1]
            blocks[-1][0] = (blocks[-1][0] * blocks[-1][1] + last[0] * last[1]) / total
            blocks[-1][1] = total
            blocks[-1][2] += last[2]
    return [mean for mean, _, count in blocks for _ in range(int(count))]


def estimate(answers: Sequence[Answered]) -> Estimate:
    """The vocabulary size and level the answers say, and how sure that is."""
    f = false_alarms(answers)
    shares = known_shares(answers)
    size = sum(share * BAND_SIZE for share in shares)
    if f >= UNPLACEABLE_RATE:
        return Estimate(None, round(size), 0.0, f)
    level = level_of(size)
    low, high = level_range(level)
    error = max(MIN_ERROR, _standard_error(answers, shares, f))
    confidence = _normal_cdf((high - size) / error) - _normal_cdf((low - size) / error)
    return Estimate(level, round(size), round(confidence, 2), f)


def _standard_error(answers: Sequence[Answered], shares: list[float], f: float) -> float:
    variance = 0.0
    for share, (_, shown) in zip(shares, band_counts(answers), strict=True):
        if shown:
            p = min(max(share, 0.5 / shown), 1 - 0.5 / shown)
            variance += (BAND_SIZE**2) * p * (1 - p) / shown / (1 - f) ** 2
    return math.sqrt(variance)


def _normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def unsettled(answers: Sequence[Answered]) -> list[int]:
    """The bands not yet settled. A band is known when all its words got "yes" and the next
    (rarer) band is mostly known too; unknown when none did and the band before is mostly
    unknown too. A band beside the change from known to unknown is never settled by its
    first few words, which would round a share of 0.8 up to all."""
    counts = band_counts(answers)
    rates = [yes / shown if shown else 0.5 for yes, shown in counts]
    open_bands = []
    for band, (yes, shown) in enumerate(counts):
        after = rates[band + 1] if band + 1 < BANDS else 1.0
        before = rates[band - 1] if band > 0 else 0.0
        known = shown > 0 and yes == shown and after >= SETTLED_RATE
        unknown = shown > 0 and yes == 0 and before <= 1 - SETTLED_RATE
        if not (known or unknown):
            open_bands.append(band)
    return open_bands


def first_round(bank: Bank, rng: random.Random) -> list[Word]:
    per_band, pseudo = FIRST_ROUND
    words = [w for band in range(BANDS) for w in _spread(bank, band, per_band, set(), rng)]
    return _with_pseudowords(bank, words, pseudo, set(), rng)


def next_round(
    bank: Bank,
    shown: Sequence[Word],
    answers: Sequence[Answered],
    rounds_done: int,
    rng: random.Random,
) -> list[Word]:
    """The next round's items, or none when the test is over (every band settled, or every
    round given)."""
    if rounds_done > len(LATER_ROUNDS):
        return []
    bands = unsettled(answers)
    if not bands:
        if false_alarms(answers) < RECHECK_RATE:
            return []
        # Settled, but on many claimed pseudowords: more of everything before judging.
        bands = list(range(BANDS))
    real, pseudo = LATER_ROUNDS[rounds_done - 1]
    taken = {w.text for w in shown}
    shares = known_shares(answers)
    # The most uncertain bands first get the remainder.
    bands.sort(key=lambda band: -shares[band] * (1 - shares[band]))
    words: list[Word] = []
    for index, band in enumerate(bands):
        count = real // len(bands) + (index < real % len(bands))
        words.extend(_spread(bank, band, count, taken, rng))
    return _with_pseudowords(bank, words, pseudo, taken, rng)


def _spread(bank: Bank, band: int, count: int, taken: set[str], rng: random.Random) -> list[Word]:
    """`count` words of a band not shown yet, one from each of `count` equal slices of it."""
    words = [w for w in bank.bands[band] if w.text not in taken]
    if count <= 0 or not words:
        return []
    step = len(words) / count
    return [rng.choice(words[int(i * step) : int((i + 1) * step) or 1]) for i in range(count)]


def _with_pseudowords(
    bank: Bank, words: list[Word], count: int, taken: set[str], rng: random.Random
) -> list[Word]:
    """The words with `count` pseudowords of their lengths, shuffled."""
    used = set(taken) | {w.text for w in words}
    items = list(words)
    for _ in range(count):
        pseudo = bank.pseudoword_like(rng.choice(words), rng, used)
        used.add(pseudo.text)
        items.append(pseudo)
    rng.shuffle(items)
    return items
