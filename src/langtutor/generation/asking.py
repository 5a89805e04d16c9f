"""Asking a language model for a JSON object of a schema: validated, checked, and asked once
more with the problems named when the first answer fails; whole, or streamed as it arrives."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from langtutor import metrics
from langtutor.generation.instructions import repair_message
from langtutor.generation.providers.base import (
    Completion,
    LLMInvalidOutput,
    LLMNotConfigured,
    LLMProvider,
    LLMRepeatedContent,
    LLMWrongLanguage,
    Message,
)
from langtutor.generation.quality import Quality
from langtutor.generation.schemas import strict_json_schema
from langtutor.schemas import describe_errors

NOT_CONFIGURED = (
    "no language model is configured: set LANGTUTOR_LLM_PROVIDER to 'openai' (any "
    "OpenAI-compatible server, e.g. LANGTUTOR_LLM_BASE_URL=http://localhost:11434/v1 for "
    "Ollama) or 'anthropic', with LANGTUTOR_LLM_MODEL and LANGTUTOR_LLM_API_KEY as needed"
)

Check = Callable[[dict[str, Any]], Quality]


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
    # The provider that answered ("openai", "anthropic"), for the log.
    provider: str = ""

    def quality_metadata(self) -> dict[str, Any]:
        found = self.quality.as_metadata() if self.quality is not None else {}
        return found | {
            "first_try": list(self.first_try),
            "language_mismatch": "language" in self.first_try,
        }


@dataclass(frozen=True)
class Ask:
    """What to ask the model: the system text, the user's message after the `history` of a
    conversation if any, the answer's model (its strict schema sent as `name`), the
    validation context, and a `check` of a valid answer (languages, repeated cards)."""

    system: str
    user: str
    name: str
    model_class: type[BaseModel]
    context: dict[str, Any] | None = None
    history: list[Message] = field(default_factory=list)
    check: Check | None = None
    # How an unusable answer is named in the error (default: "unusable <name>").
    unusable: str | None = None


@dataclass(frozen=True)
class Retry:
    """A streamed answer was unusable and is asked again: what is shown starts over."""

    problems: str


@cache
def schema_of(model_class: type[BaseModel]) -> dict[str, Any]:
    return strict_json_schema(model_class)


@dataclass
class _Attempts:
    """The answers so far of one ask: the messages sent, tokens, what the first got wrong."""

    ask: Ask
    messages: list[Message]
    started: float = field(default_factory=time.perf_counter)
    input_tokens: int = 0
    output_tokens: int = 0
    first_try: list[str] = field(default_factory=list)

    def count(self, completion: Completion) -> None:
        self.input_tokens += completion.input_tokens or 0
        self.output_tokens += completion.output_tokens or 0

    def reask(self, completion: Completion, problems: str) -> None:
        self.messages += [
            Message("assistant", completion.text),
            Message("user", repair_message(problems)),
        ]

    def generated(
        self, data: dict[str, Any], completion: Completion, attempt: int, provider: str
    ) -> Generated:
        quality = self.ask.check(data) if self.ask.check is not None else None
        return Generated(
            content=data,
            model=completion.model,
            attempts=attempt,
            latency_ms=round((time.perf_counter() - self.started) * 1000),
            input_tokens=self.input_tokens or None,
            output_tokens=self.output_tokens or None,
            quality=quality,
            first_try=tuple(self.first_try),
            provider=provider,
        )


def _validated(attempts: _Attempts, completion: Completion, attempt: int) -> BaseModel | None:
    """The answer as its model; None (asked again) when the first fails validation."""
    ask = attempts.ask
    try:
        return ask.model_class.model_validate_json(completion.text, context=ask.context)
    except ValidationError as error:
        problems = describe_errors(error)
        if attempt == 2:
            raise LLMInvalidOutput(
                f"the language model answered {ask.unusable or 'unusable ' + ask.name} "
                f"twice: {problems}"
            ) from error
        attempts.first_try.append("schema")
        attempts.reask(completion, problems)
        return None


def _checked(attempts: _Attempts, completion: Completion, generated: Generated) -> bool:
    """Whether the answer passes its check; a first that fails is asked again, a second that
    has content in the wrong language or repeats cards is a 502 (one that only repeats the
    learner's recent cards is served)."""
    quality = generated.quality
    if quality is None or not quality.problems:
        return True
    if generated.attempts == 1:
        attempts.first_try += quality.kinds
        attempts.reask(completion, "; ".join(quality.problems))
        return False
    name = attempts.ask.name
    if quality.mismatches:
        raise LLMWrongLanguage(
            f"the language model answered {name} in the wrong language twice: "
            + "; ".join(mismatch.problem for mismatch in quality.mismatches)
        )
    if quality.duplicates:
        raise LLMRepeatedContent(
            f"the language model repeated cards in {name} twice: " + "; ".join(quality.duplicates)
        )
    return True


async def ask_structured(provider: LLMProvider | None, ask: Ask) -> Generated:
    """The model's answer to `ask`, validated and checked; on an answer that fails either,
    asked once more with the problems named."""
    if provider is None:
        raise LLMNotConfigured(NOT_CONFIGURED)
    attempts = _Attempts(ask, [*ask.history, Message("user", ask.user)])
    for attempt in (1, 2):
        with metrics.LLM_SECONDS.labels(provider.name).time():
            completion = await provider.complete(
                system=ask.system,
                messages=attempts.messages,
                schema_name=ask.name,
                schema=schema_of(ask.model_class),
            )
        attempts.count(completion)
        content = _validated(attempts, completion, attempt)
        if content is None:
            continue
        generated = attempts.generated(
            content.model_dump(mode="json"), completion, attempt, provider.name
        )
        if _checked(attempts, completion, generated):
            return generated
    raise AssertionError("unreachable")


async def stream_structured(
    provider: LLMProvider | None, ask: Ask
) -> AsyncGenerator[str | Retry | Generated, None]:
    """The model's answer to `ask` as it arrives: its text in pieces, a `Retry` when the
    first answer fails validation (asked once more), then the validated answer (not checked:
    what has been shown cannot be asked again)."""
    if provider is None:
        raise LLMNotConfigured(NOT_CONFIGURED)
    attempts = _Attempts(replace(ask, check=None), [*ask.history, Message("user", ask.user)])
    for attempt in (1, 2):
        completion: Completion | None = None
        with metrics.LLM_SECONDS.labels(provider.name).time():
            async for piece in provider.stream(
                system=ask.system,
                messages=attempts.messages,
                schema_name=ask.name,
                schema=schema_of(ask.model_class),
            ):
                if isinstance(piece, Completion):
                    completion = piece
                else:
                    yield piece
        assert completion is not None
        attempts.count(completion)
        content = _validated(attempts, completion, attempt)
        if content is None:
            yield Retry(attempts.messages[-1].content)
            continue
        yield attempts.generated(
            content.model_dump(mode="json"), completion, attempt, provider.name
        )
        return
