"""What one generation leaves behind: a `query` entry when it is accepted, then an `output`
(or `explain`) or an `error` entry with the same `generation_id`, and its metrics."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from langtutor import metrics
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.enums import ContentType, LogEvent
from langtutor.generation.asking import Generated
from langtutor.generation.instructions import LearnerContext
from langtutor.generation.providers.base import LLMError, LLMProvider


@dataclass(frozen=True)
class Logged:
    """How an ask is logged as a generation: its kind and query, the learner's languages
    and level, the event that ends a success (`output` for content, `explain` for an
    explanation), the instructions' version if shipped ones made it, and what the `query`
    entry says of the request (where its values came from, and more)."""

    kind: ContentType
    query: str
    learner: LearnerContext
    output_event: LogEvent = LogEvent.output
    prompt_version: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    generation_id: uuid.UUID = field(default_factory=uuid.uuid4)


def item_count(content: dict[str, Any]) -> int:
    """Cards, exercises, or dialogue lines of a simulation."""
    for key in ("cards", "exercises", "dialogue"):
        if key in content:
            return len(content[key])
    return 0


@dataclass
class GenerationRecord:
    """The log entries and metrics of one logged ask."""

    activity: BatchLogger
    user_id: int
    logged: Logged
    provider: LLMProvider | None
    started: float = field(default_factory=time.perf_counter)

    @property
    def generation_id(self) -> uuid.UUID:
        return self.logged.generation_id

    def _entry(self, event: LogEvent, **metadata: Any) -> LogEntry:
        logged = self.logged
        return LogEntry(
            user_id=self.user_id,
            content_type=logged.kind.value,
            query_text=logged.query,
            target_language=logged.learner.target_language,
            base_language=logged.learner.base_language,
            generation_id=logged.generation_id,
            event=event.value,
            **metadata,
        )

    def _finished(self, outcome: str, model: str | None, quality: str | None = None) -> None:
        kind = self.logged.kind.value
        metrics.GENERATIONS.labels(kind, outcome).inc()
        metrics.GENERATION_SECONDS.labels(kind).observe(time.perf_counter() - self.started)
        if self.logged.prompt_version is not None:
            metrics.GENERATION_QUALITY.labels(
                kind,
                self.logged.learner.target_language,
                model or "none",
                self.logged.prompt_version,
                quality or outcome,
            ).inc()

    async def accepted(self) -> None:
        logged = self.logged
        learner = logged.learner
        metadata: dict[str, Any] = {"count": learner.count, "level": learner.level.value}
        if logged.prompt_version is not None:
            metadata["prompt_version"] = logged.prompt_version
        extra = dict(logged.extra)
        if learner.history is not None:
            extra["history"] = {
                "weak_items": len(learner.history.weak_items),
                "recent_items": len(learner.history.recent_items),
            }
        await self.activity.buffered_log_query(
            self._entry(
                LogEvent.query, request_metadata=metadata | {"sources": logged.sources} | extra
            )
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
                "prompt_version": self.logged.prompt_version,
            },
        )
        # Written even when the learner hung up and the request is being cancelled.
        await asyncio.shield(self.activity.buffered_log_query(entry))

    async def succeeded(self, generated: Generated) -> None:
        # The quality outcome: served at once, or after a re-ask for what the first answer
        # got wrong (the first reason counts).
        reasked = f"reasked_{generated.first_try[0]}" if generated.first_try else "ok"
        self._finished("ok", generated.model, reasked)
        await self.activity.buffered_log_query(
            self._entry(
                self.logged.output_event,
                response_metadata={
                    "provider": generated.provider,
                    "model": generated.model,
                    "latency_ms": generated.latency_ms,
                    "attempts": generated.attempts,
                    "input_tokens": generated.input_tokens,
                    "output_tokens": generated.output_tokens,
                    "item_count": item_count(generated.content),
                    "prompt_version": self.logged.prompt_version,
                    "quality": generated.quality_metadata(),
                    # Kept so that answers can be checked against it and the next
                    # generation can avoid repeating it.
                    "content": generated.content,
                },
            )
        )
