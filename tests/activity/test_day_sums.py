"""A day's sums (what `/progress` and the streak read, and what the archive keeps of archived
days) are the same however the day's entries are grouped: summed up at once, or in parts that
were each kept as JSON (archived) and added back together. And they say what the entries say:
answers counted by verdict, each exercise (keyed by its set and place) with its attempts,
score sum and latest answer, outputs by type, topics and languages, sets studied."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from langtutor.activity.days import DaySummary, add_entry

MORNING = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
GENERATIONS = [uuid.UUID(int=n) for n in (1, 2)]


@st.composite
def entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A day's log entries in the log's order (times only ever the same or later), with
    few enough exercises that the same one is answered in several parts of the day."""
    found = []
    minute = 0
    for n in range(draw(st.integers(0, 14))):
        minute += draw(st.sampled_from([0, 0, 1, 5]))  # some at the same moment
        event = draw(st.sampled_from(["output", "answer", "answer", "study", "turn"]))
        kind = draw(st.sampled_from(["flashcards", "exercises", "simulation"]))
        request: dict[str, Any] = {}
        generation = None
        score = None
        if event == "answer":
            score = draw(st.sampled_from([0.0, 0.5, 1.0]))
            generation = draw(st.sampled_from([None, *GENERATIONS]))
            request = {
                # an entry of a client that sent something else than text answers no text
                "answer": draw(st.sampled_from([f"answer {n}", f"answer {n}", 7])),
                "item_index": draw(st.sampled_from([0, None, "0"])),
                "saved_content_id": draw(st.sampled_from([None, 7, "7"])),
            }
            if draw(st.booleans()):  # entries of an earlier version may lack it
                request["expected"] = draw(st.sampled_from(["está", "voy"]))
        elif event == "study":
            request = {"items": draw(st.sampled_from([3, 5, None, "5"]))}
        found.append(
            {
                "timestamp": MORNING + timedelta(minutes=minute),
                "event": event,
                "content_type": kind,
                "query_text": draw(st.sampled_from(["Tapas.", "tapas", "El  mercado!"])),
                "target_language": draw(st.sampled_from(["es", "fr"])),
                "score": score,
                "generation_id": generation,
                "request_metadata": request,
            }
        )
    return found


def answer(minute: int, score: float, text: str) -> dict[str, Any]:
    return {
        "timestamp": MORNING + timedelta(minutes=minute),
        "event": "answer",
        "content_type": "exercises",
        "query_text": "Voy ___ mercado.",
        "target_language": "es",
        "score": score,
        "generation_id": GENERATIONS[0],
        "request_metadata": {
            "answer": text,
            "item_index": 1,
            "saved_content_id": None,
            "expected": "al",
        },
    }


# One exercise answered in each part of the day, twice at one moment across a cut.
ONE_EXERCISE_ALL_DAY = [answer(0, 0.0, "a"), answer(3, 0.5, "el"), answer(3, 1.0, "al")]


def summed(group: list[dict[str, Any]]) -> DaySummary:
    days: dict[str, DaySummary] = {}
    for entry in group:
        add_entry(days, "day", entry)
    return days.get("day", DaySummary())


def archived(summary: DaySummary) -> DaySummary:
    """A summary as the archive keeps it (a JSON column) and reads it back."""
    return DaySummary.from_json(json.loads(json.dumps(summary.as_json())))


@settings(max_examples=60, deadline=None)
@given(entries(), st.lists(st.integers(0, 14), max_size=3))
@example(ONE_EXERCISE_ALL_DAY, [1, 2])
def test_sums_are_the_same_however_the_entries_are_grouped(
    day: list[dict[str, Any]], cuts: list[int]
) -> None:
    whole = summed(day)
    bounds = [0, *sorted(cuts), len(day)]
    parts = [archived(summed(day[start:end])) for start, end in pairwise(bounds)]
    combined = DaySummary()
    for part in parts:
        combined.merge(part)
    assert combined.as_json() == whole.as_json()
    assert archived(whole).as_json() == whole.as_json()
    assert_says_what_the_entries_say(archived(whole), day)


def item_key(entry: dict[str, Any]) -> tuple[str, ...]:
    """An exercise: its generation, else its saved set, with its place; else its prompt."""
    request = entry["request_metadata"]
    if entry["generation_id"] is not None:
        return ("generation", str(entry["generation_id"]), str(request["item_index"]))
    if request["saved_content_id"]:
        return ("saved", str(request["saved_content_id"]), str(request["item_index"]))
    return ("prompt", entry["query_text"])


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def as_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def assert_says_what_the_entries_say(summary: DaySummary, day: list[dict[str, Any]]) -> None:
    outputs = [entry for entry in day if entry["event"] == "output"]
    assert summary.outputs == Counter(entry["content_type"] for entry in outputs)
    assert summary.languages == Counter(entry["target_language"] for entry in outputs)
    topics = {"Tapas.": "tapas", "tapas": "tapas", "El  mercado!": "el mercado"}
    assert summary.topics == Counter(topics[entry["query_text"]] for entry in outputs)
    assert summary.studied == sum(
        entry["request_metadata"]["items"]
        for entry in day
        if entry["event"] == "study"
        and entry["content_type"] != "exercises"
        and isinstance(entry["request_metadata"]["items"], int)
    )

    answers = [entry for entry in day if entry["event"] == "answer"]
    for kind in ("flashcards", "exercises", "simulation"):
        scores = [entry["score"] for entry in answers if entry["content_type"] == kind]
        if not scores:
            assert kind not in summary.answers
            continue
        found = summary.answers[kind]
        assert (found.answers, found.score_sum) == (len(scores), sum(scores))
        assert (found.correct, found.almost, found.wrong) == (
            scores.count(1.0),
            scores.count(0.5),
            scores.count(0.0),
        )

    items: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for entry in answers:
        items.setdefault(item_key(entry), []).append(entry)
    expected: Counter[tuple[Any, ...]] = Counter()
    for group in items.values():
        first, latest = group[0], max(group, key=lambda entry: entry["timestamp"])
        latest = [entry for entry in group if entry["timestamp"] == latest["timestamp"]][-1]
        expected[
            (
                first["query_text"],
                first["request_metadata"].get("expected", ""),
                as_int(first["request_metadata"]["item_index"]),
                first["generation_id"],
                as_int(first["request_metadata"]["saved_content_id"]),
                len(group),
                sum(entry["score"] for entry in group),
                latest["timestamp"],
                as_text(latest["request_metadata"]["answer"]),
            )
        ] += 1
    assert expected == Counter(
        (
            item.prompt,
            item.expected,
            item.item_index,
            item.generation_id,
            item.saved_content_id,
            item.attempts,
            item.score_sum,
            item.last_at,
            item.last_answer,
        )
        for item in summary.items.values()
    )


def test_a_summary_kept_before_a_sum_existed_reads_it_as_nothing() -> None:
    """An archived day's JSON from an earlier version, without some of today's sums."""
    assert DaySummary.from_json({}).as_json() == DaySummary().as_json()
    assert DaySummary.from_json({"studied": 4}).as_json() == DaySummary(studied=4).as_json()
