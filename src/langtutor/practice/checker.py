"""Checking an answer without a model: multiple choice by its option, typed answers by their
letters, forgiving what a learner should not lose points for (case, spacing, surrounding
punctuation, Unicode forms) and calling an answer `almost` when only accents, tone or voicing
marks, or one letter of a longer word, are off."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from langtutor.practice.schemas import Slip


class Verdict(StrEnum):
    correct = "correct"
    almost = "almost"
    wrong = "wrong"


SCORES = {Verdict.correct: 1.0, Verdict.almost: 0.5, Verdict.wrong: 0.0}
# One letter off counts as almost only in answers this long: in shorter ones a letter is a word.
MIN_LETTERS_FOR_TYPO = 5
# "tú / usted", "el coche | el auto": the exercise accepts each of these.
_ALTERNATIVES = re.compile(r"\s*[/|]\s*")
_SPACES = re.compile(r"\s+")
# Letters that are one key apart for a learner but not a diacritic to Unicode.
_LOOKALIKES = str.maketrans({"ı": "i", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})
# Which marks differ, by language, and how the feedback names them.
_MARKS = {"vi": Slip.tone_marks, "ja": Slip.voicing_marks, "tr": Slip.dots_and_marks}
_MARK_NAMES = {
    Slip.accent: "the accent",
    Slip.tone_marks: "the tone marks",
    Slip.voicing_marks: "the voicing marks (゛ ゜)",
    Slip.dots_and_marks: "the dots and marks",
}


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    score: float
    feedback: str
    matched: str
    """The accepted answer the learner's was compared with (one of the alternatives)."""
    slip: Slip


def normalized(text: str, language: str | None = None) -> str:
    """What two answers are compared by: one Unicode form (compatibility forms folded, so
    full-width letters and half-width kana match), lower case (Turkish İ/ı kept apart),
    single spaces, no punctuation at either end."""
    text = unicodedata.normalize("NFKC", text)
    if language in ("tr", "az"):
        text = text.replace("I", "ı").replace("İ", "i")
    text = _SPACES.sub(" ", text.lower()).strip()
    start, end = 0, len(text)
    while start < end and _is_punctuation_or_space(text[start]):
        start += 1
    while end > start and _is_punctuation_or_space(text[end - 1]):
        end -= 1
    return unicodedata.normalize("NFC", text[start:end])


def without_marks(text: str) -> str:
    """The letters without accents, tone or voicing marks (é → e, ệ → e, が → か, ı → i)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LOOKALIKES))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", bare)


def alternatives(answer: str) -> list[str]:
    """The answers an exercise accepts: its answer, split where it lists several."""
    return [part for part in _ALTERNATIVES.split(answer) if part.strip()] or [answer]


def check_choice(answer: str, expected: str) -> Checked:
    """Multiple choice: the option itself (as sent back by the page, spacing aside)."""
    right = unicodedata.normalize("NFC", answer.strip()) == unicodedata.normalize(
        "NFC", expected.strip()
    )
    verdict = Verdict.correct if right else Verdict.wrong
    feedback = "Correct!" if right else f"The answer is *{expected}*."
    return Checked(verdict, SCORES[verdict], feedback, expected, Slip.none if right else Slip.other)


def check_typed(answer: str, expected: str, *, language: str | None = None) -> Checked:
    """A typed answer against each accepted alternative; the best verdict wins."""
    given = normalized(answer, language)
    best: Checked | None = None
    for accepted in alternatives(expected):
        checked = _against(given, accepted, language)
        if checked.verdict is Verdict.correct:
            return checked
        if best is None or checked.score > best.score:
            best = checked
    assert best is not None
    return best


def _against(given: str, accepted: str, language: str | None) -> Checked:
    wanted = normalized(accepted, language)
    if given == wanted:
        return Checked(Verdict.correct, 1.0, "Correct!", accepted, Slip.none)
    if without_marks(given) == without_marks(wanted):
        slip = _MARKS.get((language or "").split("-")[0], Slip.accent)
        feedback = f"Mind {_MARK_NAMES[slip]}: *{accepted}*."
        return Checked(Verdict.almost, 0.5, feedback, accepted, slip)
    letters = sum(char.isalnum() for char in wanted)
    if letters >= MIN_LETTERS_FOR_TYPO and _one_edit_apart(
        without_marks(given), without_marks(wanted)
    ):
        feedback = f"One letter is off: *{accepted}*."
        return Checked(Verdict.almost, 0.5, feedback, accepted, Slip.one_letter)
    return Checked(Verdict.wrong, 0.0, f"The answer is *{accepted}*.", accepted, Slip.other)


def _one_edit_apart(a: str, b: str) -> bool:
    """Levenshtein distance exactly 1: one letter changed, added or left out."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _is_punctuation_or_space(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith(("P", "S"))
