"""What the rest of the code sees of a language model: one interface, our own errors."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal, Protocol

import httpx2

from langtutor.errors import AppError
from langtutor.text import clean_json_text, clean_text

JSONMode = Literal["json_schema", "json_object", "prompt"]
# Connections of a process's model client (the SDKs' default, stated here): calls beyond them
# wait for one. Each learner holds at most MODEL_CALLS_PER_LEARNER (100 at the most) of them.
CONNECTIONS = 1000


class LLMError(AppError):
    """Base of every failure of a language-model call; `kind` goes to the activity log."""

    status_code = 502
    kind = "llm_error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        # It may quote the model (a refusal) or its server: it is shown and logged.
        super().__init__(clean_text(detail), headers=headers)


class LLMNotConfigured(LLMError):
    status_code = 503
    kind = "not_configured"


class LLMTimeout(LLMError):
    status_code = 504
    kind = "timeout"


class LLMUnavailable(LLMError):
    status_code = 503
    kind = "unavailable"


class LLMRateLimited(LLMError):
    """The provider throttles us: a capacity problem of the service, so 503 with Retry-After."""

    status_code = 503
    kind = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after or 30)})


class LLMInvalidOutput(LLMError):
    status_code = 502
    kind = "invalid_output"


class LLMWrongLanguage(LLMInvalidOutput):
    """Content in another language than asked, twice."""

    kind = "wrong_language"


class LLMRepeatedContent(LLMInvalidOutput):
    """A set with the same card twice, or a back that repeats its front, twice."""

    kind = "repeated_content"


class LLMRefusal(LLMError):
    status_code = 502
    kind = "refusal"


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Completion:
    """A model's whole answer. Every answer, of any provider, streamed or not, is one of
    these: its text is cleaned here, before anything validates, stores or shows it, of what
    the database or a client cannot take (see `langtutor.text`)."""

    text: str
    model: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", clean_json_text(self.text))


class LLMProvider(Protocol):
    name: str
    model: str

    async def complete(
        self,
        *,
        system: str,
        messages: list[Message],
        schema_name: str,
        schema: dict[str, Any],
    ) -> Completion: ...

    def stream(
        self,
        *,
        system: str,
        messages: list[Message],
        schema_name: str,
        schema: dict[str, Any],
    ) -> AsyncIterator[str | Completion]:
        """The answer's text as it arrives, then the whole Completion (usage included)."""
        ...

    async def aclose(self) -> None: ...


def schema_instructions(schema: dict[str, Any]) -> str:
    """For servers without structured output: the schema goes into the system message."""
    return (
        "Answer with a single JSON object and nothing else (no prose, no code fences). "
        "It must match this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False)
    )


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def strip_code_fence(text: str) -> str:
    match = _FENCE.match(text)
    return match.group(1) if match else text.strip()


def retry_after_seconds(headers: Any) -> int | None:
    try:
        return max(1, int(float(headers.get("retry-after"))))
    except (TypeError, ValueError, AttributeError):
        return None


def translate_sdk_error(error: Exception, sdk: ModuleType) -> LLMError:
    """Our error for an exception of the `openai` or `anthropic` SDK (same class names)."""
    if isinstance(error, sdk.APIConnectionError):
        if isinstance(error, sdk.APITimeoutError) and not refused_connection(error):
            return LLMTimeout("the language model did not answer in time")
        return LLMUnavailable("the language model server cannot be reached")
    if isinstance(error, sdk.RateLimitError):
        return LLMRateLimited(
            "the language model server is rate limiting requests; try again shortly",
            retry_after=retry_after_seconds(error.response.headers),
        )
    if isinstance(error, sdk.APIStatusError):
        if error.status_code >= 500:
            return LLMUnavailable(f"the language model server failed (HTTP {error.status_code})")
        return LLMError(
            f"the language model server rejected the request (HTTP {error.status_code}): "
            f"{error.message}"
        )
    return LLMError(f"the language model call failed: {error}")


def broke_off() -> LLMUnavailable:
    """A streamed answer whose connection failed once it had begun: the server was reached."""
    return LLMUnavailable("the language model server broke off its answer; try again")


def refused_connection(error: BaseException) -> bool:
    """True when the chain of causes holds a connection error that is not a timeout.

    The SDKs' aiohttp transport reports a refused connection as a connect *timeout*; a
    learner should hear "cannot be reached" at once, not "did not answer in time".
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, TimeoutError):
            return True
        current = current.__cause__ or current.__context__
    return False


class SDKProvider:
    """What both SDK-backed providers share: the model, the JSON mode, and the SDK's async
    client. The client makes no retries of its own (a failure is ours to report; the repair
    round is our only re-ask) and uses the aiohttp transport each SDK offers for high
    concurrency: its default pool costs milliseconds of CPU per call once hundreds of
    generations are in flight."""

    name: str
    default_model: str
    sdk: ModuleType
    client_class: str

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str,
        model: str | None,
        timeout_s: float,
        json_mode: JSONMode,
    ) -> None:
        self.model = model or self.default_model
        self.json_mode = json_mode
        # Local servers (Ollama, vLLM) ignore the key, but the SDKs insist on one.
        self.client = getattr(self.sdk, self.client_class)(
            base_url=base_url,
            api_key=api_key or "unused",
            timeout=timeout_s,
            max_retries=0,
            http_client=self.sdk.DefaultAioHttpClient(
                limits=httpx2.Limits(max_connections=CONNECTIONS, max_keepalive_connections=100)
            ),
        )

    async def aclose(self) -> None:
        await self.client.close()
