"""The gap-text stage's rules: where the gaps go, how answers are judged, what the scores
say of the level."""

from __future__ import annotations

from langtutor.enums import Level
from langtutor.placement import ctest

TEXT = "Hoy hace sol. Mi hermano come una manzana verde y bebe café con leche. Luego duerme."


def test_gaps_start_at_the_second_sentence_and_take_every_second_words_second_half() -> None:
    gaps = ctest.make_gaps(TEXT, 0, 101)
    # Counted from "Mi", words of two letters or more ("y" is not counted): every second one.
    assert [gap["solution"] for gap in gaps] == [
        "hermano",
        "una",
        "verde",
        "café",
        "leche",
        "duerme",
    ]
    first = gaps[0]
    assert first["before"] == "Hoy hace sol. Mi "
    assert (first["stem"], first["missing"]) == ("her", 4)  # odd length: the bigger half goes
    assert [gap["id"] for gap in gaps] == [101, 102, 103, 104, 105, 106]
    rebuilt = "".join(g["before"] + g["solution"] + g["after"] for g in gaps)
    assert rebuilt == TEXT
    assert ctest.make_gaps("Una sola frase sin más.", 0, 101) == []


def test_answers_are_right_almost_or_wrong() -> None:
    assert ctest.check_gap("café", "ca", "fé") == "correct"
    assert ctest.check_gap("café", "ca", "café") == "correct"  # the whole word
    assert ctest.check_gap("café", "ca", "fe") == "almost"  # but for the accent
    assert ctest.check_gap("Luego", "Lu", "EGO") == "correct"
    assert ctest.check_gap("cacao", "ca", "cao") == "correct"  # missing letters like the stem
    assert ctest.check_gap("café", "ca", "sa") == "wrong"
    assert ctest.check_gap("café", "ca", "") == "wrong"
    assert ctest.score(["correct", "almost", "wrong", "wrong"]) == 0.375


def test_the_texts_refine_the_level() -> None:
    assert ctest.text_levels(Level.B1) == (Level.B1, Level.B2)
    assert ctest.text_levels(Level.C2) == (Level.C1, Level.C2)
    levels = (Level.B1, Level.B2)
    assert ctest.refined_level(levels, (1.0, 0.7)) is Level.B2
    assert ctest.refined_level(levels, (0.7, 0.3)) is Level.B1
    assert ctest.refined_level(levels, (0.3, 0.1)) is Level.A2
    assert ctest.refined_level((Level.A1, Level.A2), (0.0, 0.0)) is Level.A1
    assert not ctest.cuttable("今日は天気がいいです。")
