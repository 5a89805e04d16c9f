"""The gap texts, written by the model: two short texts at two CEFR levels, checked to be in
the language asked like all generated content (and asked once more when they are not)."""

from __future__ import annotations

from typing import Any

from langtutor.accounts.learner import Learner
from langtutor.enums import Level
from langtutor.generation.instructions import LearnerContext, learner_lines
from langtutor.generation.quality import Quality, check_language
from langtutor.generation.service import Ask, Generation
from langtutor.placement.schemas import GapTexts

TEXTS_INSTRUCTIONS = """\
You write the texts of a C-test, a placement test for a learner of the target language.
Write two short texts in the target language: the first at CEFR level {lower}, the second at \
CEFR level {upper}, each with the vocabulary and grammar typical of its level.
- Each text: 5 to 7 complete sentences, 70 to 110 words, plain prose on an everyday topic \
(two different topics); no title, no list, no dialogue, no names of people, no digits.
- Answer with the two texts in that order, each with its level."""


def texts_ask(*, language: str, base_language: str, levels: tuple[Level, Level]) -> Ask:
    lower, upper = levels
    learner = LearnerContext(
        target_language=language, base_language=base_language, level=lower, count=None
    )
    system = "\n".join(
        [
            TEXTS_INSTRUCTIONS.format(lower=lower.value, upper=upper.value),
            "",
            *learner_lines(learner),
            "- Content type: placement_texts",
        ]
    )

    def check(content: dict[str, Any]) -> Quality:
        texts = [text["text"] for text in content.get("texts") or []]
        return Quality(languages=[check_language("texts", texts, language)])

    return Ask(
        system=system,
        user=f"Write the two texts, at {lower.value} and {upper.value}.",
        name="placement_texts",
        model_class=GapTexts,
        check=check,
    )


async def write_texts(
    generation: Generation,
    learner: Learner,
    *,
    language: str,
    base_language: str,
    levels: tuple[Level, Level],
) -> list[tuple[Level, str]]:
    """The two texts, as one of the learner's model calls; each at the level asked, in
    order, whatever levels the model wrote beside them."""
    ask = texts_ask(language=language, base_language=base_language, levels=levels)
    generated = await generation.ask(learner, ask)
    written = GapTexts.model_validate(generated.content)
    return [(level, text.text) for level, text in zip(levels, written.texts, strict=True)]
