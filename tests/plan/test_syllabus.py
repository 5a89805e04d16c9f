"""The syllabus shipped as data: every CEFR level, 12 to 20 units each, every field present
and not empty, ids unique and in order; read through `plan.syllabus` as the plan reads it."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from langtutor.enums import Level
from langtutor.plan import syllabus

FIELDS = {"id", "title", "can_do", "vocabulary", "grammar"}


def raw(level: Level) -> dict[str, object]:
    path = resources.files("langtutor.plan").joinpath("syllabus", f"{level.value.lower()}.json")
    return dict(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("level", list(Level))
def test_each_level_has_its_file_with_12_to_20_units(level: Level) -> None:
    data = raw(level)
    assert data["level"] == level.value
    assert isinstance(data["units"], list)
    assert 12 <= len(data["units"]) <= 20


@pytest.mark.parametrize("level", list(Level))
def test_every_unit_has_every_field_filled(level: Level) -> None:
    units = raw(level)["units"]
    assert isinstance(units, list)
    for number, unit in enumerate(units, 1):
        assert set(unit) == FIELDS, unit
        assert unit["id"] == f"{level.value.lower()}-{number:02d}"
        assert isinstance(unit["title"], str)
        assert unit["title"].strip()
        for field in ("can_do", "vocabulary", "grammar"):
            values = unit[field]
            assert isinstance(values, list), (unit["id"], field)
            assert len(values) >= 2, (unit["id"], field)
            assert all(isinstance(v, str) and v.strip() for v in values), (unit["id"], field)
            assert len(set(values)) == len(values), (unit["id"], field)


def test_ids_and_titles_are_unique_across_the_syllabus() -> None:
    every = [unit for level in Level for unit in syllabus.units(level)]
    assert len({unit.unit_id for unit in every}) == len(every)
    for level in Level:
        titles = [unit.title for unit in syllabus.units(level)]
        assert len(set(titles)) == len(titles), level


def test_the_syllabus_names_no_language() -> None:
    """Language-neutral: no unit is about one language (the plan asks for the learner's)."""
    names = re.compile(r"\b(English|Spanish|French|German|Chinese|Japanese|Arabic)\b")
    for level in Level:
        for unit in syllabus.units(level):
            text = " ".join([unit.title, *unit.can_do, *unit.vocabulary, *unit.grammar])
            assert not names.search(text), unit.unit_id


def test_a_unit_is_found_by_its_id_and_asks_for_its_theme() -> None:
    found = syllabus.unit("b1-03")
    assert found is not None
    assert found.level is Level.B1
    assert found.title in found.topic()
    assert found.grammar[0] in found.topic()
    assert syllabus.unit("z9-01") is None
    assert syllabus.unit("a1-99") is None
    assert syllabus.unit("nonsense") is None
