"""Request and response bodies of `/plan`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from langtutor.schemas import RequestModel

DEFAULT_WEEKS = 8
DEFAULT_MINUTES_PER_DAY = 20
TodayKind = Literal["review", "deck", "exercises", "conversation"]


class PlanCreate(RequestModel):
    weeks: int = Field(
        default=DEFAULT_WEEKS, ge=1, le=52, description="over how many weeks the level's units run"
    )
    minutes_per_day: int = Field(
        default=DEFAULT_MINUTES_PER_DAY,
        ge=5,
        le=240,
        description="time a day for the plan: sets the size of its decks and exercise sets",
    )


class UnitOut(BaseModel):
    unit_id: str
    title: str
    can_do: list[str]
    progress: float = Field(description="from 0 to 1: the unit's steps done, each in part")


class TodayItem(BaseModel):
    kind: TodayKind
    title: str
    done: bool
    href: str = Field(description="the page where it is done")


class StepOut(BaseModel):
    step_id: int
    kind: Literal["deck", "exercises", "conversation"]
    title: str
    started: bool
    done: bool
    progress: float
    href: str
    saved_content_id: int | None
    needs_model: bool = Field(description="starting it asks the language model")


class WeekUnit(BaseModel):
    unit_id: str
    title: str
    week: int
    progress: float
    done: bool
    steps: list[StepOut]


class PlanOut(BaseModel):
    level: str
    unit: UnitOut
    today: list[TodayItem]
    week: list[WeekUnit] = Field(description="the units of the plan's current week")
