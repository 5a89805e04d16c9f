"""The gap-text stage (a C-test, Klein-Braley and Raatz 1984): from a text's second sentence
on, the second half of every second word is taken away (the bigger half of a word of odd
length); the learner writes the missing letters. The texts come from the model, the gaps
and their checking from here.

An answer is right when it restores the word exactly (case aside), "almost" when it does
but for accents (`cafe` for `café`), and wrong otherwise; "almost" counts half.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from langtutor.enums import Level

# Gaps per text at most (a C-test's usual 20-25 over its texts).
MAX_GAPS = 20
# A text passed: this share of its gaps restored.
PASS_SHARE = 0.6
# The first gap's item id (vocabulary items are numbered from 1).
FIRST_GAP_ID = 101
Verdict = Literal["correct", "almost", "wrong"]

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"\w+", re.UNICODE)
# Scripts a C-test cannot be cut in: no spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u1000-\u109f]")


def cuttable(text: str) -> bool:
    """Whether the text's words are separated by spaces, as gaps need."""
    return not _UNSPACED.search(text)


def make_gaps(text: str, text_index: int, first_id: int) -> list[dict[str, Any]]:
    """The gaps of one text, as stored: each with the text since the previous gap, the
    word's kept first half, the number of letters missing and the solution; the last one
    carries the rest of the text."""
    sentences = _SENTENCE_END.split(text.strip(), maxsplit=1)
    if len(sentences) < 2:
        return []
    first, rest = sentences[0] + " ", sentences[1]
    gaps: list[dict[str, Any]] = []
    cursor, counted = 0, 0
    before = first
    for match in _WORD.finditer(rest):
        word = match.group()
        if len(word) < 2 or not word.isalpha():
            continue
        counted += 1
        if counted % 2:
            continue
        kept = len(word) // 2
        gaps.append(
            {
                "id": first_id + len(gaps),
                "stage": "gaps",
                "text": text_index,
                "before": before + rest[cursor : match.start()],
                "stem": word[:kept],
                "missing": len(word) - kept,
                "solution": word,
                "after": "",
                "answer": None,
                "verdict": None,
            }
        )
        before, cursor = "", match.end()
        if len(gaps) == MAX_GAPS:
            break
    if gaps:
        gaps[-1]["after"] = rest[cursor:]
    return gaps


def check_gap(solution: str, stem: str, answer: str) -> Verdict:
    """The missing letters (or the whole word) against the word."""
    written = answer.strip()
    verdicts = [_verdict(solution, whole) for whole in (stem + written, written)]
    return "correct" if "correct" in verdicts else "almost" if "almost" in verdicts else "wrong"


def _verdict(solution: str, whole: str) -> Verdict:
    if whole.casefold() == solution.casefold():
        return "correct"
    if _fold(whole) == _fold(solution):
        return "almost"
    return "wrong"


def _fold(text: str) -> str:
    """Without case or accents."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def score(verdicts: list[Verdict]) -> float:
    points = {"correct": 1.0, "almost": 0.5, "wrong": 0.0}
    return sum(points[v] for v in verdicts) / len(verdicts) if verdicts else 0.0


def text_levels(estimate: Level) -> tuple[Level, Level]:
    """The two levels the texts are written at: the estimate and the one above (C1 and C2
    for C2)."""
    levels = list(Level)
    index = min(levels.index(estimate), len(levels) - 2)
    return levels[index], levels[index + 1]


def refined_level(levels: tuple[Level, Level], scores: tuple[float, float]) -> Level:
    """The upper text passed: its level; else the lower: its level; else one below it."""
    lower, upper = levels
    if scores[1] >= PASS_SHARE:
        return upper
    if scores[0] >= PASS_SHARE:
        return lower
    order = list(Level)
    return order[max(0, order.index(lower) - 1)]
