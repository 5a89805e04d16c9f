"""The checker at its edges: what it says (exactly), Azerbaijani's dotted and dotless I (as in
Turkish), a language given with its region, answers that are punctuation or symbols around the
word, and which of two accepted answers it names when the learner's is as close to both."""

from __future__ import annotations

import pytest

from langtutor.practice.checker import Verdict, check_typed

C, A, W = Verdict.correct, Verdict.almost, Verdict.wrong


@pytest.mark.parametrize(
    ("language", "expected", "answer", "verdict", "feedback"),
    [
        ("es", "está", "está", C, "Correct!"),
        ("es", "está", "esta", A, "Mind the accent: *está*."),
        ("vi-VN", "cảm ơn", "cam on", A, "Mind the tone marks: *cảm ơn*."),
        ("az", "ılıq", "ILIQ", C, "Correct!"),  # I is dotless ı in Azerbaijani too
        ("es", "¿Qué?", "¡¿qué?!", C, "Correct!"),
        ("es", "voy", "voy 👍", C, "Correct!"),  # a symbol after the word
        ("es", "voy", "¿?", W, "The answer is *voy*."),  # nothing but punctuation
        ("es", "libro / litro", "lidro", A, "One letter is off: *libro*."),  # the first named
    ],
)
def test_what_the_checker_says(
    language: str, expected: str, answer: str, verdict: Verdict, feedback: str
) -> None:
    checked = check_typed(answer, expected, language=language)
    assert (checked.verdict, checked.feedback) == (verdict, feedback)
