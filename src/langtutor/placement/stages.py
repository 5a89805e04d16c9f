"""What a placement's stored items become: answers checked against the stage and applied,
the result of each stage, and the view a client is shown (never a word's rank or a gap's
solution)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langtutor.enums import Level
from langtutor.errors import Conflict
from langtutor.placement import ctest, scoring
from langtutor.placement.bank import Word
from langtutor.placement.models import PlacementTest
from langtutor.placement.schemas import (
    GapAnswer,
    GapItem,
    PlacementResult,
    PlacementView,
    VocabularyAnswer,
    VocabularyItem,
)

Item = dict[str, Any]
VOCABULARY, GAPS, DONE = "vocabulary", "gaps", "done"
# How each stage's answers are sent, for the error that says it.
ANSWER_FORMS = {VOCABULARY: "{item_id, known}", GAPS: "{item_id, text}"}


def vocabulary_items(words: Sequence[Word], first_id: int, round_number: int) -> list[Item]:
    return [
        {
            "id": first_id + i,
            "stage": VOCABULARY,
            "word": word.text,
            "rank": word.rank,
            "round": round_number,
            "known": None,
        }
        for i, word in enumerate(words)
    ]


def shown_words(items: Sequence[Item]) -> list[Word]:
    return [Word(item["word"], item["rank"]) for item in items if item["stage"] == VOCABULARY]


def answered(items: Sequence[Item]) -> list[scoring.Answered]:
    return [
        scoring.Answered(item["rank"], item["known"])
        for item in items
        if item["stage"] == VOCABULARY and item["known"] is not None
    ]


def pending(items: Sequence[Item], stage: str) -> list[Item]:
    """The stage's items still unanswered: the ones shown now."""
    key = "known" if stage == VOCABULARY else "answer"
    return [item for item in items if item["stage"] == stage and item[key] is None]


def check_answers(
    placement: PlacementTest, stage: str, answers: Sequence[VocabularyAnswer | GapAnswer]
) -> None:
    """409 (a well-formed request this placement cannot serve, as everywhere in the API) for
    answers to another stage than the placement's, ids it does not show now, ids twice, or
    an item shown now left out."""
    if placement.stage != stage:
        if placement.stage == DONE:
            raise Conflict("this placement is finished: nothing more to answer")
        raise Conflict(
            f"this placement is in its {placement.stage} stage: answer its items with "
            f"{ANSWER_FORMS[placement.stage]}"
        )
    ids = [answer.item_id for answer in answers]
    waiting = {item["id"] for item in pending(placement.items, stage)}
    unknown = sorted(set(ids) - waiting)
    if unknown:
        raise Conflict("not items shown now in this placement: " + ", ".join(map(str, unknown)))
    if len(set(ids)) != len(ids):
        raise Conflict("an item is answered twice")
    missing = sorted(waiting - set(ids))
    if missing:
        raise Conflict("answer every item shown; missing: " + ", ".join(map(str, missing)))


def with_vocabulary_answers(
    items: Sequence[Item], answers: Sequence[VocabularyAnswer]
) -> list[Item]:
    known = {answer.item_id: answer.known for answer in answers}
    return [item | {"known": known[item["id"]]} if item["id"] in known else item for item in items]


def with_gap_answers(items: Sequence[Item], answers: Sequence[GapAnswer]) -> list[Item]:
    written = {answer.item_id: answer.text for answer in answers}
    return [
        item
        | {
            "answer": written[item["id"]],
            "verdict": ctest.check_gap(item["solution"], item["stem"], written[item["id"]]),
        }
        if item["id"] in written
        else item
        for item in items
    ]


def gap_scores(items: Sequence[Item]) -> tuple[float, float]:
    verdicts: list[list[ctest.Verdict]] = [[], []]
    for item in items:
        if item["stage"] == GAPS and item["verdict"] is not None:
            verdicts[item["text"]].append(item["verdict"])
    return ctest.score(verdicts[0]), ctest.score(verdicts[1])


def finish_vocabulary(placement: PlacementTest, estimate: scoring.Estimate) -> None:
    placement.level = estimate.level.value if estimate.level else None
    placement.vocabulary_size = estimate.vocabulary_size
    placement.confidence = estimate.confidence


def refined_confidence(vocabulary: float | None, moved: bool) -> float:
    """The gap texts agreeing with the vocabulary raise its confidence halfway to certain;
    moving the level halves it; the texts alone give one half."""
    if vocabulary is None:
        return 0.5
    return round(vocabulary / 2 if moved else vocabulary + (1 - vocabulary) / 2, 2)


def summary(placement: PlacementTest) -> str:
    """The result in plain words: "About 2,400 words: B1. You may choose another level."."""
    if placement.level is None:
        return (
            "The test could not place you: you said you knew many of the made-up words. "
            "Choose your level yourself, or take the test again."
        )
    said = []
    if placement.vocabulary_size is not None:
        size = placement.vocabulary_size
        said.append(f"About {size:,} words: {scoring.level_of(size).value}.")
    texts = [text for text in placement.texts or [] if text.get("score") is not None]
    if texts:
        scores = ", ".join(f"{text['level']} {round(100 * text['score'])}%" for text in texts)
        said.append(f"Gap texts: {scores} right. Your level: {placement.level}.")
    return " ".join([*said, "You may choose another level."])


def view(placement: PlacementTest) -> PlacementView:
    items: list[VocabularyItem] | list[GapItem] = []
    if placement.stage == VOCABULARY:
        items = [
            VocabularyItem(item_id=item["id"], word=item["word"])
            for item in pending(placement.items, VOCABULARY)
        ]
    elif placement.stage == GAPS:
        items = [
            GapItem(
                item_id=item["id"],
                text=item["text"],
                before=item["before"],
                stem=item["stem"],
                missing=item["missing"],
                after=item["after"],
            )
            for item in pending(placement.items, GAPS)
        ]
    result = None
    if placement.stage == DONE:
        result = PlacementResult(
            level=Level(placement.level) if placement.level else None,
            vocabulary_size=placement.vocabulary_size,
            confidence=placement.confidence or 0.0,
            summary=summary(placement),
        )
    return PlacementView(
        placement_id=placement.placement_id,
        language=placement.language,
        stage=placement.stage,
        items=items,
        result=result,
        accepted_level=Level(placement.accepted_level) if placement.accepted_level else None,
    )
