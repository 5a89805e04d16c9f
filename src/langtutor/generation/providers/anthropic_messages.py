"""Anthropic's Messages API through the official `anthropic` SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2

from langtutor.generation.providers.base import (
    Completion,
    LLMInvalidOutput,
    LLMRefusal,
    LLMTimeout,
    Message,
    SDKProvider,
    broke_off,
    schema_instructions,
    strip_code_fence,
    translate_sdk_error,
)

DEFAULT_MODEL = "claude-sonnet-4-5"
MAX_TOKENS = 8192


class AnthropicProvider(SDKProvider):
    name = "anthropic"
    default_model = DEFAULT_MODEL
    sdk = anthropic
    client_class = "AsyncAnthropic"
    client: anthropic.AsyncAnthropic

    def _request(
        self, system: str, messages: list[Message], schema: dict[str, Any]
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.json_mode == "json_schema":
            extra["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        else:
            system = f"{system}\n\n{schema_instructions(schema)}"
        chat: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        return {
            "model": self.model,
            "max_tokens": MAX_TOKENS,
            "system": system,
            "messages": chat,
            **extra,
        }

    async def complete(
        self, *, system: str, messages: list[Message], schema_name: str, schema: dict[str, Any]
    ) -> Completion:
        try:
            response = await self.client.messages.create(**self._request(system, messages, schema))
        except anthropic.AnthropicError as error:
            raise translate_sdk_error(error, anthropic) from error
        return self._completion(response)

    async def stream(
        self, *, system: str, messages: list[Message], schema_name: str, schema: dict[str, Any]
    ) -> AsyncIterator[str | Completion]:
        try:
            async with self.client.messages.stream(
                **self._request(system, messages, schema)
            ) as events:
                async for text in events.text_stream:
                    yield text
                response = await events.get_final_message()
        except httpx2.TransportError as error:  # the SDK lets those of a stream through
            if isinstance(error, httpx2.TimeoutException):
                raise LLMTimeout("the language model did not answer in time") from error
            raise broke_off() from error
        except anthropic.AnthropicError as error:
            raise translate_sdk_error(error, anthropic) from error
        yield self._completion(response)

    def _completion(self, response: Any) -> Completion:
        if response.stop_reason == "refusal":
            raise LLMRefusal("the language model declined to answer")
        if response.stop_reason == "max_tokens":
            raise LLMInvalidOutput("the language model's answer was cut off (too long)")
        text = "".join(block.text for block in response.content if block.type == "text")
        return Completion(
            text=strip_code_fence(text),
            model=response.model or self.model,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
        )
