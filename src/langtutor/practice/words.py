"""What a learner said against the text they read aloud, word by word, with the exercise
checker's rules (`checker`): case, spacing and punctuation ignored, a missing accent or tone
mark, or one letter of a longer word, `almost`. Languages written without spaces between
words (Chinese, Japanese, Thai, ...) are compared character by character."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from langtutor.practice.checker import SCORES, Verdict, check_typed, normalized, without_marks

# Written without spaces between words: each letter is compared on its own.
UNSPACED = frozenset({"ja", "zh", "th", "lo", "km", "my", "bo"})


@dataclass(frozen=True)
class Word:
    """A word of the expected text, and what the learner said in its place (None: missed)."""

    word: str
    said: str | None
    verdict: Verdict


@dataclass(frozen=True)
class Comparison:
    words: list[Word]
    extra: list[str]
    """Words said that the text does not have."""
    score: float
    verdict: Verdict
    """`correct`: every word said as written; `almost`: every word said, some with a mark
    or a letter off; `wrong`: words missed."""

    @property
    def missed(self) -> int:
        return sum(word.verdict is Verdict.wrong for word in self.words)


def tokens(text: str, language: str | None) -> list[str]:
    """The words of a text as written (punctuation around them left out of the count)."""
    if (language or "").split("-")[0] in UNSPACED:
        return [char for char in text if normalized(char, language)]
    return [word for word in text.split() if normalized(word, language)]


def compare_words(said: str, expected: str, *, language: str | None) -> Comparison:
    """Each expected word matched, almost matched or missed, in order."""
    wanted = tokens(expected, language)
    given = tokens(said, language)
    keys = [without_marks(normalized(word, language)) for word in wanted]
    heard = [without_marks(normalized(word, language)) for word in given]
    matcher = difflib.SequenceMatcher(a=keys, b=heard, autojunk=False)
    words: list[Word] = []
    extra: list[str] = []
    for _, a0, a1, b0, b1 in matcher.get_opcodes():
        pairs = list(zip(range(a0, a1), range(b0, b1), strict=False))
        for a, b in pairs:
            words.append(_pair(wanted[a], given[b], language))
        words += [Word(wanted[a], None, Verdict.wrong) for a in range(a0 + len(pairs), a1)]
        extra += given[b0 + len(pairs) : b1]
    score = sum(SCORES[word.verdict] for word in words) / len(words) if words else 0.0
    return Comparison(words, extra, round(score, 3), _verdict(words))


def _pair(expected: str, said: str, language: str | None) -> Word:
    checked = check_typed(said, expected, language=language)
    if checked.verdict is Verdict.wrong:
        return Word(expected, None, Verdict.wrong)
    return Word(expected, said, checked.verdict)


def _verdict(words: list[Word]) -> Verdict:
    if not words or any(word.verdict is Verdict.wrong for word in words):
        return Verdict.wrong
    if all(word.verdict is Verdict.correct for word in words):
        return Verdict.correct
    return Verdict.almost
