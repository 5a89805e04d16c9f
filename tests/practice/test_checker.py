"""The letter-by-letter checker, table-driven across languages: what is right, what is almost
(accents, tone and voicing marks, one letter of a longer word), what is wrong, alternatives."""

from __future__ import annotations

import pytest

from langtutor.practice.checker import Verdict, check_choice, check_typed

C, A, W = Verdict.correct, Verdict.almost, Verdict.wrong

# (language, expected, answer, verdict, words the feedback must hold)
TYPED = [
    # Spanish
    ("es", "está", "está", C, ""),
    ("es", "está", "Está.", C, ""),
    ("es", "está", "  ESTÁ  ", C, ""),
    ("es", "está", "esta", A, "accent"),
    ("es", "¿Dónde está?", "donde esta", A, "accent"),
    ("es", "¿Dónde está?", "Dónde está", C, ""),
    ("es", "mañana", "manana", A, "accent"),
    ("es", "tú / usted", "usted", C, ""),
    ("es", "tú / usted", "tu", A, "accent"),
    ("es", "el coche | el auto", "el auto", C, ""),
    ("es", "ventana", "ventena", A, "one letter"),
    ("es", "ventana", "ventanas", A, "one letter"),
    ("es", "ventana", "puerta", W, "ventana"),
    ("es", "sol", "sal", W, "sol"),  # short words: one letter is another word
    ("es", "está", "esta\u0301", C, ""),  # a decomposed accent is the same letter
    # French
    ("fr", "élève", "eleve", A, "accent"),
    ("fr", "garçon", "garcon", A, "accent"),
    ("fr", "où", "ou", A, "accent"),
    ("fr", "C'est ça !", "c'est ça", C, ""),
    ("fr", "boulangerie", "boulangrie", A, "one letter"),
    ("fr", "boulangerie", "pâtisserie", W, ""),
    # German
    ("de", "Straße", "strasse", A, "accent"),
    ("de", "Mädchen", "Madchen", A, "accent"),
    ("de", "schön", "SCHÖN", C, ""),
    ("de", "Kindergarten", "Kindergarden", A, "one letter"),
    ("de", "Hund", "Hand", W, ""),
    # Turkish: dotted and dotless i are different letters, and casing keeps them apart
    ("tr", "İstanbul", "istanbul", C, ""),
    ("tr", "İstanbul", "İSTANBUL", C, ""),
    ("tr", "kız", "KIZ", C, ""),
    ("tr", "kız", "kiz", A, "dots"),
    ("tr", "ılık", "ilik", A, "dots"),
    ("tr", "İstanbul", "ISTANBUL", A, "dots"),
    ("tr", "güzel", "guzel", A, "dots"),
    ("tr", "kitap", "defter", W, ""),
    # Japanese kana: voicing marks, width, and punctuation
    ("ja", "がっこう", "がっこう", C, ""),
    ("ja", "がっこう", "かっこう", A, "voicing"),
    ("ja", "パン", "ハン", A, "voicing"),
    ("ja", "カメラ", "ｶﾒﾗ", C, ""),  # half-width katakana
    ("ja", "すし。", "すし", C, ""),
    ("ja", "ねこ", "いぬ", W, ""),
    # Vietnamese tones
    ("vi", "cảm ơn", "cảm ơn", C, ""),
    ("vi", "cảm ơn", "cam on", A, "tone"),
    ("vi", "tiếng Việt", "tieng viet", A, "tone"),
    ("vi", "phở", "pho", A, "tone"),
    ("vi", "xin chào", "tạm biệt", W, ""),
]


@pytest.mark.parametrize(("language", "expected", "answer", "verdict", "says"), TYPED)
def test_typed_answers(
    language: str, expected: str, answer: str, verdict: Verdict, says: str
) -> None:
    checked = check_typed(answer, expected, language=language)
    assert checked.verdict is verdict, checked
    assert checked.score == {C: 1.0, A: 0.5, W: 0.0}[verdict]
    assert says.lower() in checked.feedback.lower()
    if verdict is not C:
        assert "*" in checked.feedback  # the right form is shown


@pytest.mark.parametrize(
    ("options_answer", "given", "verdict"),
    [
        ("sí", "sí", C),
        ("sí", " sí ", C),
        ("sí", "si", W),  # multiple choice: the option itself, nothing almost
        ("sí", "no", W),
        ("Ich bin", "Ich bin", C),
    ],
)
def test_multiple_choice(options_answer: str, given: str, verdict: Verdict) -> None:
    assert check_choice(given, options_answer).verdict is verdict


def test_the_table_covers_enough() -> None:
    assert len(TYPED) + 5 >= 40
    assert {row[0] for row in TYPED} >= {"es", "fr", "de", "tr", "ja", "vi"}
