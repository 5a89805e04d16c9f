"""A learner's review scheduling, as FSRS takes it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fsrs import Scheduler

from langtutor.accounts.learner import Learner


@dataclass(frozen=True)
class ReviewSettings:
    """A learner's scheduling: their own values, else the server's."""

    desired_retention: float
    new_per_day: int
    maximum_interval_days: int
    timezone: ZoneInfo
    parameters: Sequence[float] | None = None

    @classmethod
    def of(cls, learner: Learner) -> ReviewSettings:
        """The learner's scheduling (server defaults already applied in the `Learner`), in the
        zone of their days."""
        return cls(
            desired_retention=learner.desired_retention,
            new_per_day=learner.new_per_day,
            maximum_interval_days=learner.maximum_interval_days,
            timezone=learner.zone,
            parameters=learner.fsrs_parameters,
        )

    def scheduler(self, *, fuzz: bool = True) -> Scheduler:
        kwargs: dict[str, Any] = {}
        if self.parameters:
            kwargs["parameters"] = self.parameters
        return Scheduler(
            desired_retention=self.desired_retention,
            maximum_interval=self.maximum_interval_days,
            enable_fuzzing=fuzz,
            **kwargs,
        )
