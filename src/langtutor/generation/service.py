"""The three generation services: resolve the learner's context, ask the model (validate,
re-ask once with the validation errors), record the outcome, and answer the content."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import cache, partial
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from langtutor import metrics
from langtutor.accounts.service import Profile
from langtutor.activity import service as activity_service
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import utcnow
from langtutor.enums import ContentType, Level, LogEvent
from langtutor.errors import Conflict
from langtutor.generation.instructions import (
    History,
    LearnerContext,
    WeakItem,
    repair_message,
    system_message,
    user_message,
)
from langtutor.generation.providers.base import (
    LLMError,
    LLMInvalidOutput,
    LLMNotConfigured,
    LLMProvider,
    LLMRepeatedContent,
    LLMWrongLanguage,
    Message,
)
from langtutor.generation.quality import Quality, check_content
from langtutor.generation.ratelimit import ModelCalls, RateLimiter
from langtutor.generation.schemas import (
    CONTENT_MODELS,
    CountedGenerationRequest,
    GenerationRequest,
    GenerationResponse,
    strict_json_schema,
)
from langtutor.review import service as review_service
from langtutor.schemas import describe_errors

DEFAULT_BASE_LANGUAGE = "en"
DEFAULT_LEVEL = Level.A2

NOT_CONFIGURED = (
    "no language model is configured: set LANGTUTOR_LLM_PROVIDER to 'openai' (any "
    "OpenAI-compatible server, e.g. LANGTUTOR_LLM_BASE_URL=http://localhost:11434/v1 for "
    "Ollama) or 'anthropic', with LANGTUTOR_LLM_MODEL and LANGTUTOR_LLM_API_KEY as needed"
)


@dataclass(frozen=True)
class Generated:
    content: dict[str, Any]
    model: str
    attempts: int
    latency_ms: int
    input_tokens: int | None
    output_tokens: int | None
    # What the checks found in the answer served, and what the first answer got wrong
    # ("schema", "language", "duplicates", "repeats"): the reasons it was re-asked.
    quality: Quality | None = None
    first_try: tuple[str, ...] = ()

    def quality_metadata(self) -> dict[str, Any]:
        found = self.quality.as_metadata() if self.quality is not None else {}
        return found | {
            "first_try": list(self.first_try),
            "language_mismatch": "language" in self.first_try,
        }


Check = Callable[[dict[str, Any]], Quality]


@cache  # once per instructions text, not once per generation
def prompt_version(instructions: str) -> str:
    """A short hash of the instructions, the system text without the learner's part: which
    prompt made a generation, for the quality report."""
    return hashlib.sha256(instructions.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class ResolvedRequest:
    learner: LearnerContext
    sources: dict[str, str] = field(default_factory=dict)


@cache
def schema_of(model_class: type[BaseModel]) -> dict[str, Any]:
    return strict_json_schema(model_class)


def content_schema(kind: ContentType) -> dict[str, Any]:
    return schema_of(CONTENT_MODELS[kind])


def resolve_learner(
    *, user: Profile, data: GenerationRequest, count: int | None
) -> ResolvedRequest:
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


async def ask_model(
    *,
    provider: LLMProvider | None,
    instructions: str,
    kind: ContentType,
    learner: LearnerContext,
    query: str,
    checks: bool = True,
) -> Generated:
    """Ask the model for content of a kind; on content that fails validation or the checks
    (languages, repeated cards), ask once more with the problems."""
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
    return await ask_structured(
        provider=provider,
        system=system_message(instructions, kind, learner),
        user=user_message(query),
        name=kind.value,
        model_class=CONTENT_MODELS[kind],
        context={"count": learner.count},
        check=check,
    )


async def ask_structured(
    *,
    provider: LLMProvider | None,
    system: str,
    user: str,
    name: str,
    model_class: type[BaseModel],
    context: dict[str, Any] | None = None,
    history: list[Message] | None = None,
    check: Check | None = None,
) -> Generated:
    """Ask the model for a JSON object of `model_class` (its strict schema sent as `name`),
    after the `history` of a conversation if any; on an answer that fails validation or
    `check`, ask once more with the problems named. A second answer that fails validation,
    has content in the wrong language or repeats cards is a 502; one that only repeats the
    learner's recent cards is served."""
    if provider is None:
        raise LLMNotConfigured(NOT_CONFIGURED)
    messages = [*(history or []), Message("user", user)]
    started = time.perf_counter()
    input_tokens = output_tokens = 0
    first_try: list[str] = []
    for attempt in (1, 2):
        with metrics.LLM_SECONDS.labels(provider.name).time():
            completion = await provider.complete(
                system=system,
                messages=messages,
                schema_name=name,
                schema=schema_of(model_class),
            )
        input_tokens += completion.input_tokens or 0
        output_tokens += completion.output_tokens or 0
        try:
            content = model_class.model_validate_json(completion.text, context=context)
        except ValidationError as error:
            problems = describe_errors(error)
            if attempt == 2:
                raise LLMInvalidOutput(
                    f"the language model answered unusable {name} twice: {problems}"
                ) from error
            first_try.append("schema")
            messages += [
                Message("assistant", completion.text),
                Message("user", repair_message(problems)),
            ]
            continue
        data = content.model_dump(mode="json")
        quality = check(data) if check is not None else None
        if quality is not None and quality.problems:
            if attempt == 1:
                first_try += quality.kinds
                messages += [
                    Message("assistant", completion.text),
                    Message("user", repair_message("; ".join(quality.problems))),
                ]
                continue
            if quality.mismatches:
                raise LLMWrongLanguage(
                    f"the language model answered {name} in the wrong language twice: "
                    + "; ".join(mismatch.problem for mismatch in quality.mismatches)
                )
            if quality.duplicates:
                raise LLMRepeatedContent(
                    f"the language model repeated cards in {name} twice: "
                    + "; ".join(quality.duplicates)
                )
        return Generated(
            content=data,
            model=completion.model,
            attempts=attempt,
            latency_ms=round((time.perf_counter() - started) * 1000),
            input_tokens=input_tokens or None,
            output_tokens=output_tokens or None,
            quality=quality,
            first_try=tuple(first_try),
        )
    raise AssertionError("unreachable")


@dataclass
class GenerationRecord:
    """What one generation leaves behind: a `query` entry when it is accepted, then an
    `output` or an `error` entry with the same `generation_id`, and its metrics."""

    activity: BatchLogger
    user_id: int
    kind: ContentType
    query: str
    learner: LearnerContext
    provider: LLMProvider | None
    generation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    started: float = field(default_factory=time.perf_counter)
    # What ends a successful call: `output` for content, `explain` for an explanation.
    output_event: LogEvent = LogEvent.output
    # The instructions' version (see `prompt_version`), where there are shipped instructions.
    prompt_version: str | None = None

    def _entry(self, event: LogEvent, **metadata: Any) -> LogEntry:
        return LogEntry(
            user_id=self.user_id,
            content_type=self.kind.value,
            query_text=self.query,
            target_language=self.learner.target_language,
            base_language=self.learner.base_language,
            generation_id=self.generation_id,
            event=event.value,
            **metadata,
        )

    def _finished(self, outcome: str, model: str | None, quality: str | None = None) -> None:
        metrics.GENERATIONS.labels(self.kind.value, outcome).inc()
        metrics.GENERATION_SECONDS.labels(self.kind.value).observe(
            time.perf_counter() - self.started
        )
        if self.prompt_version is not None:
            metrics.GENERATION_QUALITY.labels(
                self.kind.value,
                self.learner.target_language,
                model or "none",
                self.prompt_version,
                quality or outcome,
            ).inc()

    async def accepted(self, *, sources: dict[str, str], **extra: Any) -> None:
        metadata: dict[str, Any] = {"count": self.learner.count, "level": self.learner.level.value}
        if self.prompt_version is not None:
            metadata["prompt_version"] = self.prompt_version
        history = self.learner.history
        if history is not None:
            extra["history"] = {
                "weak_items": len(history.weak_items),
                "recent_items": len(history.recent_items),
            }
        await self.activity.buffered_log_query(
            self._entry(LogEvent.query, request_metadata=metadata | {"sources": sources} | extra)
        )

    async def failed(self, error: BaseException) -> None:
        """Every accepted query ends with an output or an error entry, whatever happened."""
        kind_of_error = (
            error.kind
            if isinstance(error, LLMError)
            else "cancelled"
            if isinstance(error, asyncio.CancelledError)
            else "internal"
        )
        model = self.provider.model if self.provider else None
        self._finished(kind_of_error, model)
        entry = self._entry(
            LogEvent.error,
            response_metadata={
                "error": kind_of_error,
                "message": str(error)[:500],
                "provider": self.provider.name if self.provider else "none",
                "model": model,
                "latency_ms": round((time.perf_counter() - self.started) * 1000),
                "prompt_version": self.prompt_version,
            },
        )
        # Written even when the learner hung up and the request is being cancelled.
        await asyncio.shield(self.activity.buffered_log_query(entry))

    async def succeeded(self, generated: Generated, provider_name: str) -> None:
        # The quality outcome: served at once, or after a re-ask for what the first answer
        # got wrong (the first reason counts).
        reasked = f"reasked_{generated.first_try[0]}" if generated.first_try else "ok"
        self._finished("ok", generated.model, reasked)
        await self.activity.buffered_log_query(
            self._entry(
                self.output_event,
                response_metadata={
                    "provider": provider_name,
                    "model": generated.model,
                    "latency_ms": generated.latency_ms,
                    "attempts": generated.attempts,
                    "input_tokens": generated.input_tokens,
                    "output_tokens": generated.output_tokens,
                    "item_count": item_count(generated.content),
                    "prompt_version": self.prompt_version,
                    "quality": generated.quality_metadata(),
                    # Kept so that answers can be checked against it and the next
                    # generation can avoid repeating it.
                    "content": generated.content,
                },
            )
        )


async def generate_service(
    *,
    kind: ContentType,
    user: Profile,
    data: GenerationRequest,
    provider: LLMProvider | None,
    instructions: dict[ContentType, str],
    activity: BatchLogger,
    history: HistoryLookup | None = None,
    checks: bool = True,
) -> GenerationResponse:
    """Resolve the learner (with their history, unless turned off), ask the model (and
    check its answer, unless `checks` is off), record the outcome, answer the content."""
    count = data.count if isinstance(data, CountedGenerationRequest) else None
    resolved = resolve_learner(user=user, data=data, count=count)
    learner = resolved.learner
    use_history = user.use_history if data.use_history is None else data.use_history
    if history is not None and use_history:
        learner = replace(learner, history=await history(user.user_id, learner.target_language))
    record = GenerationRecord(
        activity=activity,
        user_id=user.user_id,
        kind=kind,
        query=data.query,
        learner=learner,
        provider=provider,
        prompt_version=prompt_version(instructions[kind]),
    )
    await record.accepted(sources=resolved.sources)
    try:
        generated = await ask_model(
            provider=provider,
            instructions=instructions[kind],
            kind=kind,
            learner=learner,
            query=data.query,
            checks=checks,
        )
    except BaseException as error:
        await record.failed(error)
        raise
    assert provider is not None  # ask_model raised otherwise
    await record.succeeded(generated, provider.name)
    return GenerationResponse(
        generation_id=record.generation_id,
        content_type=kind,
        query=data.query,
        target_language=learner.target_language,
        base_language=learner.base_language,
        level=learner.level,
        content=generated.content,
        provider=provider.name,
        model=generated.model,
        created_at=utcnow(),
    )


# -- the learner's history ------------------------------------------------------------------

MAX_WEAK_ITEMS = 20
MAX_RECENT_ITEMS = 50
HistoryLookup = Callable[[int, str], Awaitable[History]]


async def learner_history(
    *, connection: AsyncConnection, activity: BatchLogger, user_id: int, target_language: str
) -> History:
    """Up to 20 weak items (recent answers that were not right, then review cards forgotten
    most often) and up to 50 recently generated fronts and terms, in one language."""
    recent = await activity_service.recent_entries(
        connection=connection, activity=activity, user_id=user_id, target_language=target_language
    )
    weak: dict[str, WeakItem] = {}
    for prompt, answer in recent.missed:
        weak.setdefault(prompt, WeakItem(prompt, answer))
    if len(weak) < MAX_WEAK_ITEMS:
        for front, back in await review_service.lapsed_cards(
            connection=connection,
            user_id=user_id,
            target_language=target_language,
            limit=MAX_WEAK_ITEMS,
        ):
            weak.setdefault(front, WeakItem(front, back))
    terms: dict[str, None] = {}
    for kind, content in recent.outputs:
        for term in content_terms(kind, content):
            terms.setdefault(term)
    return History(
        weak_items=list(weak.values())[:MAX_WEAK_ITEMS],
        recent_items=list(terms)[:MAX_RECENT_ITEMS],
    )


def content_terms(kind: ContentType, content: dict[str, Any]) -> list[str]:
    """What a learner would notice repeated: card fronts, vocabulary terms, answers."""
    if kind is ContentType.flashcards:
        return [card["front"] for card in content.get("cards", [])]
    if kind is ContentType.simulation:
        return [item["term"] for item in content.get("vocabulary", [])]
    return [exercise["answer"] for exercise in content.get("exercises", [])]


def item_count(content: dict[str, Any]) -> int:
    """Cards, exercises, or dialogue lines of a simulation."""
    for key in ("cards", "exercises", "dialogue"):
        if key in content:
            return len(content[key])
    return 0


# The three services the design names, one per content type; they differ only in the kind.
generate_flashcards_service = partial(generate_service, kind=ContentType.flashcards)
generate_exercises_service = partial(generate_service, kind=ContentType.exercises)
generate_simulation_service = partial(generate_service, kind=ContentType.simulation)
GENERATION_SERVICES = {
    ContentType.flashcards: generate_flashcards_service,
    ContentType.exercises: generate_exercises_service,
    ContentType.simulation: generate_simulation_service,
}


@dataclass(frozen=True)
class Generator:
    """What generation needs for as long as the process lives, built once at start-up."""

    provider: LLMProvider | None
    instructions: dict[ContentType, str]
    rate_limiter: RateLimiter
    activity: BatchLogger
    # Reads the learner's history before a generation, each statement on its own, without a
    # transaction (none: generation without history).
    reads: AsyncEngine | None = None
    # Languages and repeated cards checked in every answer (LANGTUTOR_CONTENT_CHECKS).
    checks: bool = True
    # Each learner's model calls under way (LANGTUTOR_MODEL_CALLS_PER_LEARNER).
    calls: ModelCalls = field(default_factory=ModelCalls)

    @contextlib.asynccontextmanager
    async def model_call(self, user_id: int) -> AsyncIterator[None]:
        """One of a learner's model calls, for the block: within their calls under way (429
        beyond, which does not count), then counted against their rate limit (429 beyond)."""
        with self.calls.slot(user_id):
            await self.rate_limiter.check(user_id)
            yield

    async def history(self, user_id: int, target_language: str) -> History:
        assert self.reads is not None
        async with self.reads.connect() as connection:
            return await learner_history(
                connection=connection,
                activity=self.activity,
                user_id=user_id,
                target_language=target_language,
            )

    async def serve(
        self, *, kind: ContentType, user: Profile, data: GenerationRequest
    ) -> GenerationResponse:
        """A learner's generation: one of their model calls (see `model_call`), the service."""
        async with self.model_call(user.user_id):
            return await GENERATION_SERVICES[kind](
                user=user,
                data=data,
                provider=self.provider,
                instructions=self.instructions,
                activity=self.activity,
                history=self.history if self.reads is not None else None,
                checks=self.checks,
            )

    async def aclose(self) -> None:
        if self.provider is not None:
            await self.provider.aclose()
