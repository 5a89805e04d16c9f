"""Babel's extractor for the syllabus (`plan/syllabus/<level>.json`, see `[tool.babel]` in
pyproject.toml): each unit's title, can-do statements, vocabulary domains and grammar points
become messages of the pages' catalogs, so that a plan reads in the interface's language.
The model is still asked in English (`plan.syllabus.Unit.topic`)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

PARTS = {
    "title": "its title",
    "can_do": "what the learner can do at its end",
    "vocabulary": "a vocabulary domain it covers",
    "grammar": "a grammar point it covers",
}


def syllabus(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    data = json.loads(fileobj.read().decode("utf-8"))
    for unit in data["units"]:
        for part, what in PARTS.items():
            texts = unit[part] if isinstance(unit[part], list) else [unit[part]]
            for text in texts:
                comment = f"TRANSLATORS: a unit of the study plan ({data['level']}): {what}."
                yield 0, None, text, [comment]
