"""What a plan looks like at a moment: each step's and unit's progress, the week, and what
Today offers next. Pure functions of what the service read: the plan's steps, how many of
their cards are learned, their exercises' latest scores, the reviews left today.

A step's progress: a deck's or a role-play's, the share of its cards learned (FSRS state
Review); an exercise set's, its accuracy over the pass mark (the latest answer to each
exercise, one not answered counting 0). A unit is done when its three steps are: its cards
learned and its exercise accuracy at least `PASS_ACCURACY`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from langtutor.plan.models import Plan, PlanStep
from langtutor.plan.syllabus import Unit
from langtutor.review.service import Learned

PASS_ACCURACY = 0.8
KIND_LABELS = {"deck": "Deck", "exercises": "Exercises", "conversation": "Role-play"}
PLAN_PAGE = "/app/plan"
REVIEW_PAGE = "/app/review"
PLACEMENT_PAGE = "/placement"


@dataclass(frozen=True)
class StepView:
    step_id: int
    kind: str
    unit: Unit
    week: int
    saved_content_id: int | None
    progress: float
    done: bool

    @property
    def started(self) -> bool:
        return self.saved_content_id is not None

    @property
    def title(self) -> str:
        return f"{KIND_LABELS[self.kind]}: {self.unit.title}"

    @property
    def href(self) -> str:
        """Its set's page once started; before, its place on the plan page (where it starts)."""
        if self.saved_content_id is not None:
            return f"/app/library/{self.saved_content_id}#study"
        return f"{PLAN_PAGE}#step-{self.step_id}"


@dataclass(frozen=True)
class UnitView:
    index: int
    unit: Unit
    week: int
    steps: tuple[StepView, ...]

    @property
    def progress(self) -> float:
        return round(sum(step.progress for step in self.steps) / len(self.steps), 2)

    @property
    def done(self) -> bool:
        return all(step.done for step in self.steps)


@dataclass(frozen=True)
class Next:
    """What Today's one button does: start a step (`step_id`), or go to `href`."""

    kind: str
    title: str
    href: str
    step_id: int | None = None


@dataclass(frozen=True)
class PlanView:
    plan: Plan
    units: tuple[UnitView, ...]
    week: int  # the plan's current week, from 1
    reviews_left: int
    model: bool  # a language model is set up (steps that start need one)
    reviews_done: int = 0  # cards reviewed since the learner's day began

    @property
    def finished(self) -> bool:
        """Every unit of the level done: time to find the level again."""
        return all(unit.done for unit in self.units)

    @property
    def current(self) -> UnitView:
        """The first unit not done, else the last."""
        return next((unit for unit in self.units if not unit.done), self.units[-1])

    @property
    def this_week(self) -> list[UnitView]:
        return [unit for unit in self.units if unit.week == self.week]

    @property
    def reviews_title(self) -> str:
        left = self.reviews_left
        return f"Review {left} card{'' if left == 1 else 's'}" if left else "Reviews done"

    @property
    def units_done(self) -> int:
        return sum(unit.done for unit in self.units)

    @property
    def behind(self) -> int:
        """Units of the weeks gone by that are not done yet."""
        return sum(1 for unit in self.units if unit.week < self.week and not unit.done)

    @property
    def next(self) -> Next | None:
        """Reviews due first (they are what learns a unit's cards); then the current unit's
        first step not started, or its exercises again below the pass mark; then the next
        units' steps, ahead of time; when every unit is done, the placement test."""
        if self.reviews_left:
            return Next("review", self.reviews_title, REVIEW_PAGE)
        if self.finished:
            return Next("placement", "Find your level again", PLACEMENT_PAGE)
        for step in self.current.steps:
            if not step.started:
                return Next(step.kind, step.title, step.href, step.step_id)
            if step.kind == "exercises" and not step.done:
                return Next(step.kind, f"{step.title} (again)", step.href)
        for unit in self.units[self.current.index + 1 :]:
            for step in unit.steps:
                if not step.started:
                    return Next(step.kind, step.title, step.href, step.step_id)
        return None


def unit_weeks(units: int, weeks: int) -> list[int]:
    """The week (from 1) each of `units` units is scheduled in, spread evenly over `weeks`."""
    return [index * weeks // units + 1 for index in range(units)]


def current_week(plan: Plan, now: datetime) -> int:
    return max(1, min(plan.weeks, (now - plan.created_at).days // 7 + 1))


def step_view(
    step: PlanStep,
    unit: Unit,
    learned: dict[int, Learned],
    scores: dict[uuid.UUID, dict[int, float]],
) -> StepView:
    progress = 0.0
    if step.saved_content_id is not None and step.kind == "exercises":
        answered = scores.get(step.generation_id, {}) if step.generation_id else {}
        accuracy = sum(answered.values()) / step.items if step.items else 0.0
        progress = min(1.0, accuracy / PASS_ACCURACY)
    elif step.saved_content_id is not None:
        progress = learned.get(step.saved_content_id, Learned(0, 0)).share
    return StepView(
        step_id=step.step_id,
        kind=step.kind,
        unit=unit,
        week=step.week,
        saved_content_id=step.saved_content_id,
        progress=round(progress, 2),
        done=progress >= 1.0,
    )
