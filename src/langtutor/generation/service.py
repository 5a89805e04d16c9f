"""Generation as a service: `Generation` asks the model on a learner's behalf (one of their
model calls, within their rate limit; validated, checked and asked once more; logged when it
is a generation), and serves the three kinds of generated content."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field, replace
from functools import cache, partial
from typing import Any, Protocol

from langtutor.accounts.learner import Learner
from langtutor.activity import service as activity_service
from langtutor.activity.logger import BatchLogger
from langtutor.db import Database, utcnow
from langtutor.enums import ContentType, Level
from langtutor.errors import Conflict
from langtutor.generation.asking import (
    NOT_CONFIGURED,
    Ask,
    Generated,
    Retry,
    ask_structured,
    schema_of,
    stream_structured,
)
from langtutor.generation.history import learner_history
from langtutor.generation.instructions import History, LearnerContext, system_message, user_message
from langtutor.generation.providers.base import LLMNotConfigured, LLMProvider
from langtutor.generation.quality import check_content
from langtutor.generation.ratelimit import ModelCalls, RateLimiter
from langtutor.generation.record import GenerationRecord, Logged, item_count
from langtutor.generation.schemas import (
    CONTENT_MODELS,
    CountedGenerationRequest,
    GenerationRequest,
    GenerationResponse,
)

__all__ = [
    "NOT_CONFIGURED",
    "Ask",
    "Generated",
    "Generation",
    "Logged",
    "Retry",
    "ask_model",
    "item_count",
    "resolve_learner",
]

DEFAULT_BASE_LANGUAGE = "en"
DEFAULT_LEVEL = Level.A2


class Asker(Protocol):
    """What generation reads of a learner (a `Learner`)."""

    @property
    def user_id(self) -> int: ...
    @property
    def default_target_language(self) -> str | None: ...
    @property
    def default_base_language(self) -> str | None: ...
    @property
    def self_assessed_level(self) -> str | None: ...
    @property
    def use_history(self) -> bool: ...


@cache  # once per instructions text, not once per generation
def prompt_version(instructions: str) -> str:
    """A short hash of the instructions, the system text without the learner's part: which
    prompt made a generation, for the quality report."""
    return hashlib.sha256(instructions.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class ResolvedRequest:
    learner: LearnerContext
    sources: dict[str, str] = field(default_factory=dict)


def content_schema(kind: ContentType) -> dict[str, Any]:
    return schema_of(CONTENT_MODELS[kind])


def resolve_learner(*, user: Asker, data: GenerationRequest, count: int | None) -> ResolvedRequest:
    """Languages and level from the request, else from the profile, else defaults."""
    sources: dict[str, str] = {}

    def pick(name: str, requested: str | None, profile: str | None, default: str | None) -> str:
        for source, value in (("request", requested), ("profile", profile), ("default", default)):
            if value is not None:
                sources[name] = source
                return value
        # 409: the request is fine, the profile lacks what it leaves out.
        raise Conflict(
            f"no {name.replace('_', ' ')}: send '{name}' or set 'default_{name}' in your profile"
        )

    target = pick("target_language", data.target_language, user.default_target_language, None)
    base = pick(
        "base_language", data.base_language, user.default_base_language, DEFAULT_BASE_LANGUAGE
    )
    level = pick("level", data.level, user.self_assessed_level, DEFAULT_LEVEL)
    return ResolvedRequest(
        learner=LearnerContext(
            target_language=target, base_language=base, level=Level(level), count=count
        ),
        sources=sources,
    )


def content_ask(
    *, instructions: str, kind: ContentType, learner: LearnerContext, query: str, checks: bool
) -> Ask:
    """The ask for content of a kind; its check (languages, repeated cards) unless off."""
    recent = learner.history.recent_items if learner.history is not None else []
    check = (
        partial(
            check_content,
            kind.value,
            target_language=learner.target_language,
            base_language=learner.base_language,
            recent=recent,
        )
        if checks
        else None
    )
    return Ask(
        system=system_message(instructions, kind, learner),
        user=user_message(query),
        name=kind.value,
        model_class=CONTENT_MODELS[kind],
        context={"count": learner.count},
        check=check,
    )


async def ask_model(
    *,
    provider: LLMProvider | None,
    instructions: str,
    kind: ContentType,
    learner: LearnerContext,
    query: str,
    checks: bool = True,
) -> Generated:
    """Content of a kind from the model, outside any learner's calls (the CLI, benchmarks)."""
    ask = content_ask(
        instructions=instructions, kind=kind, learner=learner, query=query, checks=checks
    )
    return await ask_structured(provider, ask)


@dataclass(frozen=True)
class ModelCall:
    """One of a learner's model calls under way (see `Generation.model_call`)."""

    generation: Generation
    user_id: int

    async def ask(self, ask: Ask, *, logged: Logged | None = None) -> Generated:
        """The model's answer (validated, checked unless checks are off, asked once more
        when it fails either); logged as a generation when `logged` says how."""
        generation = self.generation
        if not generation.checks and ask.check is not None:
            ask = replace(ask, check=None)
        if logged is None:
            return await ask_structured(generation.provider, ask)
        record = GenerationRecord(generation.activity, self.user_id, logged, generation.provider)
        await record.accepted()
        try:
            generated = await ask_structured(generation.provider, ask)
        except BaseException as error:
            await record.failed(error)
            raise
        await record.succeeded(generated)
        return generated


@dataclass(frozen=True)
class Generation:
    """Asking the model on a learner's behalf, built once at start-up: the one way practice,
    conversations and the generation routes reach the model."""

    provider: LLMProvider | None
    instructions: dict[ContentType, str]
    rate_limiter: RateLimiter
    activity: BatchLogger
    # Reads the learner's history before a generation (autocommit: no transaction).
    db: Database
    # Each learner's model calls under way (LANGTUTOR_MODEL_CALLS_PER_LEARNER).
    calls: ModelCalls
    # Languages and repeated cards checked in every answer (LANGTUTOR_CONTENT_CHECKS).
    checks: bool = True

    @property
    def model_connected(self) -> bool:
        """Whether a model is set up: what needs none can say so before asking."""
        return self.provider is not None

    def require_model(self) -> None:
        """503 when no model is set up, before anything else is done or counted."""
        if self.provider is None:
            raise LLMNotConfigured(NOT_CONFIGURED)

    @contextlib.asynccontextmanager
    async def model_call(self, learner: Asker) -> AsyncIterator[ModelCall]:
        """One of a learner's model calls, for the block: within their calls under way (429
        beyond, which does not count), then counted against their rate limit (429 beyond).
        Its asks (a scene and its opening line) are one call."""
        with self.calls.slot(learner.user_id):
            await self.rate_limiter.check(learner.user_id)
            yield ModelCall(self, learner.user_id)

    async def ask(self, learner: Learner, ask: Ask, *, logged: Logged | None = None) -> Generated:
        """The model's answer to one ask, as one of the learner's model calls."""
        async with self.model_call(learner) as call:
            return await call.ask(ask, logged=logged)

    async def stream(
        self, learner: Learner, ask: Ask
    ) -> AsyncGenerator[str | Retry | Generated, None]:
        """The model's answer as it arrives (see `stream_structured`), as one of the
        learner's model calls. The calls under way and the rate limit are checked here,
        before the first piece, so that they answer as plain HTTP errors."""
        self.require_model()
        self.calls.check(learner.user_id)
        await self.rate_limiter.check(learner.user_id)
        return self._streamed(learner.user_id, ask)

    async def _streamed(
        self, user_id: int, ask: Ask
    ) -> AsyncGenerator[str | Retry | Generated, None]:
        # The call is one of the learner's for as long as the stream runs; taken here, where
        # the stream's end (or the client hanging up) gives it back: a stream never started
        # holds nothing. Another call may have taken the last place since the check.
        with self.calls.slot(user_id):
            async with contextlib.aclosing(stream_structured(self.provider, ask)) as pieces:
                async for piece in pieces:
                    yield piece

    # -- the three kinds of content ---------------------------------------------------------

    async def generate_flashcards_service(
        self, learner: Learner, *, data: CountedGenerationRequest
    ) -> GenerationResponse:
        """Flashcards on a topic: front in the target language, back in the base language."""
        return await self.generate(learner, kind=ContentType.flashcards, data=data)

    async def generate_exercises_service(
        self, learner: Learner, *, data: CountedGenerationRequest
    ) -> GenerationResponse:
        """Exercises: multiple choice, fill in the blank and translation."""
        return await self.generate(learner, kind=ContentType.exercises, data=data)

    async def generate_simulation_service(
        self, learner: Learner, *, data: GenerationRequest
    ) -> GenerationResponse:
        """A role-play: scenario, roles, dialogue, vocabulary, questions."""
        return await self.generate(learner, kind=ContentType.simulation, data=data)

    async def generate(
        self, learner: Asker, *, kind: ContentType, data: GenerationRequest
    ) -> GenerationResponse:
        """One of the learner's model calls: their languages resolved (with their history,
        unless turned off), the model asked and its answer checked, the outcome logged."""
        async with self.model_call(learner) as call:
            count = data.count if isinstance(data, CountedGenerationRequest) else None
            resolved = resolve_learner(user=learner, data=data, count=count)
            context = resolved.learner
            if learner.use_history if data.use_history is None else data.use_history:
                context = replace(context, history=await self.history(learner.user_id, context))
            instructions = self.instructions[kind]
            ask = content_ask(
                instructions=instructions,
                kind=kind,
                learner=context,
                query=data.query,
                checks=self.checks,
            )
            logged = Logged(
                kind,
                data.query,
                context,
                prompt_version=prompt_version(instructions),
                sources=resolved.sources,
            )
            generated = await call.ask(ask, logged=logged)
        return GenerationResponse(
            generation_id=logged.generation_id,
            content_type=kind,
            query=data.query,
            target_language=context.target_language,
            base_language=context.base_language,
            level=context.level,
            content=generated.content,
            provider=generated.provider,
            model=generated.model,
            created_at=utcnow(),
        )

    async def result(self, learner: Learner, *, generation_id: uuid.UUID) -> GenerationResponse:
        """A generation of the learner's again, as it answered (404 if not theirs, 409 if it
        failed or its content was not kept)."""
        async with self.db.transaction() as session:
            output = await activity_service.generation_output(
                session=session,
                activity=self.activity,
                user_id=learner.user_id,
                generation_id=generation_id,
            )
        return GenerationResponse(
            generation_id=generation_id,
            content_type=output.content_type,
            query=output.query_text,
            target_language=output.target_language,
            base_language=output.base_language or DEFAULT_BASE_LANGUAGE,
            level=output.level or DEFAULT_LEVEL,
            content=output.content,
            provider=output.provider or "",
            model=output.model or "",
            created_at=output.created_at,
        )

    async def history(self, user_id: int, learner: LearnerContext) -> History:
        async with self.db.connection() as connection:
            return await learner_history(
                connection=connection,
                activity=self.activity,
                user_id=user_id,
                target_language=learner.target_language,
            )

    async def aclose(self) -> None:
        if self.provider is not None:
            await self.provider.aclose()
