"""What a plan shows, from what was read: the units spread over the weeks, a step's and a
unit's progress, and the next step Today offers (reviews first, the exercises again below
the pass mark, working ahead, the placement test at the end)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from langtutor.enums import Level
from langtutor.plan.models import STEP_KINDS, Plan, PlanStep
from langtutor.plan.syllabus import units
from langtutor.plan.views import PlanView, UnitView, current_week, step_view, unit_weeks
from langtutor.review.service import Learned

START = datetime(2026, 12, 1, 9, tzinfo=UTC)
UNITS = units(Level.A1)


@pytest.mark.parametrize(
    ("count", "weeks", "expected"),
    [
        (12, 8, [1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8]),
        (12, 12, list(range(1, 13))),
        (12, 1, [1] * 12),
        (12, 52, [1, 5, 9, 14, 18, 22, 27, 31, 35, 40, 44, 48]),
    ],
)
def test_units_are_spread_evenly_over_the_weeks(
    count: int, weeks: int, expected: list[int]
) -> None:
    assert unit_weeks(count, weeks) == expected


def test_the_current_week_counts_from_the_day_the_plan_was_made() -> None:
    plan = Plan(weeks=4, created_at=START)
    assert current_week(plan, START) == 1
    assert current_week(plan, START + timedelta(days=6, hours=23)) == 1
    assert current_week(plan, START + timedelta(days=7)) == 2
    assert current_week(plan, START + timedelta(days=400)) == 4  # the plan's last week


def step(kind: str, unit_index: int = 0, *, started: bool = False, items: int = 5) -> PlanStep:
    return PlanStep(
        step_id=unit_index * 3 + STEP_KINDS.index(kind) + 1,
        unit_index=unit_index,
        unit_id=UNITS[unit_index].unit_id,
        week=1,
        kind=kind,
        saved_content_id=100 + unit_index * 3 + STEP_KINDS.index(kind) if started else None,
        generation_id=uuid.uuid5(uuid.NAMESPACE_OID, f"{unit_index}{kind}") if started else None,
        items=items if started else None,
    )


def test_a_steps_progress_is_its_cards_learned_or_its_accuracy_over_80_percent() -> None:
    deck, exercises = step("deck", started=True), step("exercises", started=True)
    learned = {deck.saved_content_id or 0: Learned(cards=10, learned=4)}
    assert step_view(deck, UNITS[0], learned, {}).progress == 0.4
    assert not step_view(deck, UNITS[0], learned, {}).done
    assert exercises.generation_id is not None
    scores = {exercises.generation_id: {0: 1.0, 1: 1.0, 2: 0.5, 3: 0.5}}  # 3 of 5: 60 %
    assert step_view(exercises, UNITS[0], {}, scores).progress == 0.75
    scores[exercises.generation_id][4] = 1.0  # 4 of 5: 80 %
    assert step_view(exercises, UNITS[0], {}, scores).done
    assert step_view(step("conversation"), UNITS[0], learned, scores).progress == 0.0


def unit(index: int, done: tuple[bool, bool, bool], started: tuple[bool, bool, bool]) -> UnitView:
    views = []
    for kind, is_done, is_started in zip(STEP_KINDS, done, started, strict=True):
        view = step_view(step(kind, index, started=is_started), UNITS[index], {}, {})
        views.append(replace(view, done=is_done, progress=float(is_done)))
    return UnitView(index, UNITS[index], 1, tuple(views))


def plan_view(*unit_views: UnitView, reviews: int = 0) -> PlanView:
    plan = Plan(weeks=8, created_at=START, level="A1")
    return PlanView(plan=plan, units=unit_views, week=1, reviews_left=reviews, model=True)


def test_reviews_due_come_first_then_the_first_step_not_started() -> None:
    fresh = plan_view(
        unit(0, (False,) * 3, (True, False, False)), unit(1, (False,) * 3, (False,) * 3)
    )
    assert fresh.next is not None
    assert fresh.next.kind == "exercises"
    assert fresh.next.step_id == 2
    due = plan_view(*fresh.units, reviews=7)
    assert due.next is not None
    assert (due.next.kind, due.next.href) == ("review", "/app/review")


def test_exercises_below_the_mark_come_again_then_the_next_unit_ahead_of_time() -> None:
    again = plan_view(
        unit(0, (True, False, False), (True, True, True)), unit(1, (False,) * 3, (False,) * 3)
    )
    assert again.next is not None
    assert again.next.title.endswith("(again)")
    assert again.next.step_id is None
    ahead = plan_view(
        unit(0, (False, True, False), (True, True, True)), unit(1, (False,) * 3, (False,) * 3)
    )
    assert ahead.current.index == 0
    assert ahead.next is not None
    assert ahead.next.step_id == 4  # the next unit's deck


def test_when_every_unit_is_done_the_placement_test_is_next() -> None:
    done = plan_view(unit(0, (True,) * 3, (True,) * 3), unit(1, (True,) * 3, (True,) * 3))
    assert done.finished
    assert done.current.index == 1
    assert done.next is not None
    assert (done.next.kind, done.next.href) == ("placement", "/placement")


def test_units_of_the_weeks_gone_by_not_done_are_behind() -> None:
    first, second = unit(0, (True,) * 3, (True,) * 3), unit(1, (False,) * 3, (True,) * 3)
    view = plan_view(first, replace(second, week=2))
    assert view.behind == 0
    assert replace(view, week=3).behind == 1
