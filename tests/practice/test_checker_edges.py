"""The checker at its edges: what it says (exactly), Azerbaijani's dotted and dotless I (as in
Turkish), a language given with its region, answers that are punctuation, symbols or spaces
around the word (or nothing else), which of two accepted answers it names when the learner's
is as close to both, and what is more than one letter off: two letters changed (the first
among them, or two neighbours swapped), or one letter in a short phrase (its spaces are no
letters)."""

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
        ("es", "voy", "   ", W, "The answer is *voy*."),  # nothing but spaces
        ("es", "el té", "el tú", W, "The answer is *el té*."),  # four letters: spaces aside
        ("es", "ventana", "bentanas", W, "The answer is *ventana*."),  # two letters off
        ("es", "ventana", "vetnana", W, "The answer is *ventana*."),  # two letters swapped
    ],
)
def test_what_the_checker_says(
    language: str, expected: str, answer: str, verdict: Verdict, feedback: str
) -> None:
    checked = check_typed(answer, expected, language=language)
    assert (checked.verdict, checked.feedback) == (verdict, feedback)
