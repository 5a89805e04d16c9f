"""The syllabus: for each CEFR level, its units in order, read from the JSON files shipped in
the package (`plan/syllabus/<level>.json`), once per process.

Each unit is language-neutral: a title, what the learner can do at its end ("can-do"
statements, after the CEFR's descriptors), the vocabulary domains and the grammar points it
covers. A plan's generated content is asked for from these, in the learner's languages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from langtutor.enums import Level


@dataclass(frozen=True)
class Unit:
    """One unit of a level: `unit_id` is `<level>-<nn>` (`a1-01`), stable across releases."""

    unit_id: str
    level: Level
    title: str
    can_do: tuple[str, ...]
    vocabulary: tuple[str, ...]
    grammar: tuple[str, ...]

    def topic(self) -> str:
        """The request the model is given for this unit's content: its theme, vocabulary
        domains and grammar points, in plain words."""
        return (
            f"{self.title}. Vocabulary: {', '.join(self.vocabulary)}. "
            f"Grammar: {', '.join(self.grammar)}."
        )


@cache
def units(level: Level) -> tuple[Unit, ...]:
    """The level's units, in the order they are taught."""
    text = resources.files(__package__).joinpath("syllabus", f"{level.value.lower()}.json")
    data = json.loads(text.read_text(encoding="utf-8"))
    return tuple(
        Unit(
            unit_id=unit["id"],
            level=level,
            title=unit["title"],
            can_do=tuple(unit["can_do"]),
            vocabulary=tuple(unit["vocabulary"]),
            grammar=tuple(unit["grammar"]),
        )
        for unit in data["units"]
    )


def unit(unit_id: str) -> Unit | None:
    """The unit of that id, of any level; None for an id the syllabus does not have."""
    level = unit_id.split("-", 1)[0].upper()
    if level not in Level.__members__:
        return None
    return next((found for found in units(Level(level)) if found.unit_id == unit_id), None)
