"""Study plans: `Plans`, the domain's service object (built once in the `Runtime`), makes a
learner's plan from their level, time a day and weeks, shows where they are, and starts a
step: its content generated through `Generation`, saved through `Library` (so its cards go
to review), the weak cards of the units before brought back into today's reviews.

Each method takes the `Learner` and owns its transactions; no transaction is held while the
model works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.learner import Learner
from langtutor.activity import service as activity_service
from langtutor.activity.logger import BatchLogger
from langtutor.db import Database
from langtutor.enums import ContentType, Level
from langtutor.errors import Conflict, NotFound
from langtutor.generation.providers.base import LLMNotConfigured
from langtutor.generation.schemas import CountedGenerationRequest, GenerationRequest
from langtutor.generation.service import Generation, item_count
from langtutor.library.schemas import SaveContent
from langtutor.library.service import Library
from langtutor.plan import repository, syllabus
from langtutor.plan.models import STEP_KINDS, Plan, PlanStep
from langtutor.plan.schemas import PlanCreate
from langtutor.plan.views import (
    KIND_LABELS,
    PlanView,
    StepView,
    UnitView,
    current_week,
    step_view,
    unit_weeks,
)
from langtutor.review import service as review_service

CONTENT_TYPES = {
    "deck": ContentType.flashcards,
    "exercises": ContentType.exercises,
    "conversation": ContentType.simulation,
}


def set_sizes(minutes_per_day: int) -> dict[str, int]:
    """Cards of a deck and exercises of a set for the learner's time a day: about two
    minutes a card and three an exercise, within bounds a session holds."""
    return {
        "deck": max(6, min(20, minutes_per_day // 2)),
        "exercises": max(5, min(15, minutes_per_day // 3)),
    }


# A started step's set's name in the library, from its kind and unit.
StepName = Callable[[str, syllabus.Unit], str]


def english_name(kind: str, unit: syllabus.Unit) -> str:
    return f"{KIND_LABELS[kind]}: {unit.title}"


@dataclass(frozen=True)
class Plans:
    db: Database
    generation: Generation
    library: Library
    activity: BatchLogger

    async def create(self, learner: Learner, *, data: PlanCreate, now: datetime) -> PlanView:
        """A new plan at the learner's level in their language (409 without either), the
        level's units in order spread over the weeks; it replaces the learner's plan."""
        level, language = _level_and_language(learner)
        units = syllabus.units(level)
        weeks = unit_weeks(len(units), data.weeks)
        steps = [
            {"user_id": learner.user_id, "unit_index": index, "unit_id": unit.unit_id}
            | {"week": weeks[index], "kind": kind}
            for index, unit in enumerate(units)
            for kind in STEP_KINDS
        ]
        values = {
            "user_id": learner.user_id,
            "level": level.value,
            "target_language": language,
            "weeks": data.weeks,
            "minutes_per_day": data.minutes_per_day,
            "created_at": now,
        }
        async with self.db.transaction() as session:
            await repository.replace_plan(session, values=values, steps=steps)
        return await self.view(learner, now=now)

    async def view(self, learner: Learner, *, now: datetime) -> PlanView:
        """The learner's plan as it stands (404 before they make one)."""
        async with self.db.reading() as session:
            plan = await _plan_of(session, learner)
            steps = await repository.steps(session, user_id=learner.user_id, plan_id=plan.plan_id)
            return await self._view(session, learner, plan, steps, now)

    async def current(self, learner: Learner, *, now: datetime) -> PlanView | None:
        """The learner's plan as it stands, or None (Today without a plan)."""
        try:
            return await self.view(learner, now=now)
        except NotFound:
            return None

    async def start_step(
        self, learner: Learner, *, step_id: int, now: datetime, name: StepName = english_name
    ) -> StepView:
        """Start a step: its deck, exercise set or role-play made by the model on the unit's
        theme, saved to the library (its cards to review) under `name(kind, unit)` (the pages
        give it in the learner's interface language). A step already started answers as it
        is; another learner's is a 404; without a model, a 503 that says so."""
        async with self.db.reading() as session:
            step, plan = await _step_of(session, learner, step_id)
        if step.saved_content_id is None:
            await self._start(learner, plan, step, now, name)
        return await self._step_view(learner, step_id, now)

    async def _start(
        self, learner: Learner, plan: Plan, step: PlanStep, now: datetime, name: StepName
    ) -> None:
        unit = syllabus.unit(step.unit_id)
        assert unit is not None  # the plan was made from the syllabus
        if not self.generation.model_connected:
            raise LLMNotConfigured(
                f"this step makes a {KIND_LABELS[step.kind].lower()} with a language model, "
                "and none is set up on this server; your reviews need none"
            )
        kind = CONTENT_TYPES[step.kind]
        topic = unit.topic()
        request = {"query": topic, "target_language": plan.target_language, "level": plan.level}
        count = set_sizes(plan.minutes_per_day).get(step.kind)
        data = (
            GenerationRequest(**request)
            if count is None
            else CountedGenerationRequest(**request, count=count)
        )
        generated = await self.generation.generate(learner, kind=kind, data=data)
        saved = await self.library.save(
            learner,
            data=SaveContent(
                content_type=kind,
                original_query=topic,
                content_data=generated.content,
                generation_id=generated.generation_id,
                user_label=name(step.kind, unit)[:100],
            ),
            review_cards=True,
        )
        async with self.db.transaction() as session:
            started = await repository.mark_started(
                session,
                step_id=step.step_id,
                values={
                    "saved_content_id": saved.item.saved_content_id,
                    "generation_id": generated.generation_id,
                    "items": item_count(generated.content),
                    "started_at": now,
                },
            )
            if started and step.unit_index > 0:
                await self._bring_back(session, learner, plan, step.unit_index, now)

    async def _bring_back(
        self, session: AsyncSession, learner: Learner, plan: Plan, unit_index: int, now: datetime
    ) -> None:
        """The first step of a unit started: the unit before's weak cards come back today."""
        steps = await repository.steps(session, user_id=learner.user_id, plan_id=plan.plan_id)
        if sum(1 for s in steps if s.unit_index == unit_index and s.started_at) > 1:
            return  # brought back when the unit's first step started
        before = [s for s in steps if s.unit_index == unit_index - 1]
        await review_service.bring_back_weak_cards(
            session=session,
            user_id=learner.user_id,
            saved_content_ids=[s.saved_content_id for s in before if s.saved_content_id],
            generation_ids=[s.generation_id for s in before if s.generation_id],
            now=now,
        )

    async def _step_view(self, learner: Learner, step_id: int, now: datetime) -> StepView:
        view = await self.view(learner, now=now)
        return next(s for unit in view.units for s in unit.steps if s.step_id == step_id)

    async def _view(
        self,
        session: AsyncSession,
        learner: Learner,
        plan: Plan,
        steps: list[PlanStep],
        now: datetime,
    ) -> PlanView:
        user_id = learner.user_id
        learned = await review_service.learned_cards(
            session=session,
            user_id=user_id,
            saved_content_ids=[s.saved_content_id for s in steps if s.saved_content_id],
        )
        scores = await activity_service.exercise_scores(
            connection=await session.connection(),
            activity=self.activity,
            user_id=user_id,
            generation_ids=[s.generation_id for s in steps if s.generation_id],
        )
        queue = await review_service.queue(
            session=session,
            user_id=user_id,
            settings=review_service.ReviewSettings.of(learner),
            limit=1,
            now=now,
        )
        units = []
        for index, unit in enumerate(syllabus.units(Level(plan.level))):
            views = [step_view(s, unit, learned, scores) for s in steps if s.unit_index == index]
            units.append(UnitView(index, unit, views[0].week, tuple(views)))
        return PlanView(
            plan=plan,
            units=tuple(units),
            week=current_week(plan, now),
            reviews_left=queue.left,
            reviews_done=queue.done_today,
            model=self.generation.model_connected,
        )


def _level_and_language(learner: Learner) -> tuple[Level, str]:
    level = learner.self_assessed_level
    if level is None or level not in Level.__members__:
        raise Conflict(
            "no level to plan for: set 'self_assessed_level' in your profile, or find your "
            "level with the placement test (/placement)"
        )
    if learner.default_target_language is None:
        raise Conflict("no language to plan for: set 'default_target_language' in your profile")
    return Level(level), learner.default_target_language


async def _plan_of(session: AsyncSession, learner: Learner) -> Plan:
    plan = await repository.plan(session, user_id=learner.user_id)
    if plan is None:
        raise NotFound("you have no study plan yet: make one with POST /plan")
    return plan


async def _step_of(session: AsyncSession, learner: Learner, step_id: int) -> tuple[PlanStep, Plan]:
    step = await repository.step(session, user_id=learner.user_id, step_id=step_id)
    plan = await repository.plan(session, user_id=learner.user_id)
    if step is None or plan is None or step.plan_id != plan.plan_id:
        raise NotFound(f"no step {step_id} in your study plan")
    return step, plan
