"""The three generation services: resolve the learner's context, ask the model, validate,
re-ask once with the validation errors, and answer the content."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any

from pydantic import ValidationError

from langtutor import metrics
from langtutor.accounts.service import Profile
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.db import utcnow
from langtutor.enums import ContentType, Level, LogEvent
from langtutor.errors import BadRequest
from langtutor.generation.instructions import (
    LearnerContext,
    repair_message,
    system_message,
    user_message,
)
from langtutor.generation.providers.base import (
    LLMError,
    LLMInvalidOutput,
    LLMNotConfigured,
    LLMProvider,
    Message,
)
from langtutor.generation.schemas import (
    CONTENT_MODELS,
    CountedGenerationRequest,
    GenerationRequest,
    GenerationResponse,
    strict_json_schema,
)

DEFAULT_BASE_LANGUAGE = "en"
DEFAULT_LEVEL = Level.A2
MAX_REPORTED_ERRORS = 8

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


@dataclass(frozen=True)
class ResolvedRequest:
    learner: LearnerContext
    sources: dict[str, str] = field(default_factory=dict)


@cache
def content_schema(kind: ContentType) -> dict[str, Any]:
    return strict_json_schema(CONTENT_MODELS[kind])


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
        raise BadRequest(
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


async def generate_content(
    *,
    provider: LLMProvider | None,
    instructions: str,
    kind: ContentType,
    learner: LearnerContext,
    query: str,
) -> Generated:
    """Ask the model; on content that fails validation, ask once more with the errors."""
    if provider is None:
        raise LLMNotConfigured(NOT_CONFIGURED)
    model_class = CONTENT_MODELS[kind]
    system = system_message(instructions, kind, learner)
    messages = [Message("user", user_message(query))]
    started = time.perf_counter()
    input_tokens = output_tokens = 0
    for attempt in (1, 2):
        with metrics.LLM_SECONDS.labels(provider.name).time():
            completion = await provider.complete(
                system=system,
                messages=messages,
                schema_name=kind.value,
                schema=content_schema(kind),
            )
        input_tokens += completion.input_tokens or 0
        output_tokens += completion.output_tokens or 0
        try:
            content = model_class.model_validate_json(
                completion.text, context={"count": learner.count}
            )
        except ValidationError as error:
            problems = describe_errors(error)
            if attempt == 2:
                raise LLMInvalidOutput(
                    f"the language model answered unusable {kind.value} twice: {problems}"
                ) from error
            messages += [
                Message("assistant", completion.text),
                Message("user", repair_message(problems)),
            ]
            continue
        return Generated(
            content=content.model_dump(mode="json"),
            model=completion.model,
            attempts=attempt,
            latency_ms=round((time.perf_counter() - started) * 1000),
            input_tokens=input_tokens or None,
            output_tokens=output_tokens or None,
        )
    raise AssertionError("unreachable")


def describe_errors(error: ValidationError) -> str:
    problems = []
    for problem in error.errors()[:MAX_REPORTED_ERRORS]:
        where = ".".join(str(part) for part in problem["loc"]) or "(root)"
        problems.append(f"{where}: {problem['msg']}")
    more = error.error_count() - MAX_REPORTED_ERRORS
    if more > 0:
        problems.append(f"and {more} more")
    return "; ".join(problems)


async def generate_service(
    *,
    kind: ContentType,
    user: Profile,
    data: GenerationRequest,
    provider: LLMProvider | None,
    instructions: dict[ContentType, str],
    activity: BatchLogger,
) -> GenerationResponse:
    """Resolve, log the accepted query, generate, log the output or the error."""
    count = data.count if isinstance(data, CountedGenerationRequest) else None
    resolved = resolve_learner(user=user, data=data, count=count)
    learner = resolved.learner
    generation_id = uuid.uuid4()

    def entry(event: LogEvent, **metadata: Any) -> LogEntry:
        return LogEntry(
            user_id=user.user_id,
            content_type=kind.value,
            query_text=data.query,
            target_language=learner.target_language,
            base_language=learner.base_language,
            generation_id=generation_id,
            event=event.value,
            **metadata,
        )

    provider_name = provider.name if provider else "none"
    model_name = provider.model if provider else None
    await activity.buffered_log_query(
        entry(
            LogEvent.query,
            request_metadata={
                "count": count,
                "level": learner.level.value,
                "sources": resolved.sources,
            },
        )
    )
    started = time.perf_counter()
    outcome = "error"
    try:
        generated = await generate_content(
            provider=provider,
            instructions=instructions[kind],
            kind=kind,
            learner=learner,
            query=data.query,
        )
        outcome = "ok"
    except BaseException as error:
        # Every accepted query ends with an output or an error entry, whatever happened.
        kind_of_error = (
            error.kind
            if isinstance(error, LLMError)
            else "cancelled"
            if isinstance(error, asyncio.CancelledError)
            else "internal"
        )
        outcome = kind_of_error
        await asyncio.shield(
            activity.buffered_log_query(
                entry(
                    LogEvent.error,
                    response_metadata={
                        "error": kind_of_error,
                        "message": str(error)[:500],
                        "provider": provider_name,
                        "model": model_name,
                        "latency_ms": round((time.perf_counter() - started) * 1000),
                    },
                )
            )
        )
        raise
    finally:
        metrics.GENERATIONS.labels(kind.value, outcome).inc()
        metrics.GENERATION_SECONDS.labels(kind.value).observe(time.perf_counter() - started)
    assert provider is not None
    await activity.buffered_log_query(
        entry(
            LogEvent.output,
            response_metadata={
                "provider": provider.name,
                "model": generated.model,
                "latency_ms": generated.latency_ms,
                "attempts": generated.attempts,
                "input_tokens": generated.input_tokens,
                "output_tokens": generated.output_tokens,
                "item_count": item_count(generated.content),
            },
        )
    )
    return GenerationResponse(
        generation_id=generation_id,
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
