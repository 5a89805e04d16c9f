"""Any OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM, llama.cpp, LM Studio,
OpenRouter) through the official `openai` SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cached_property
from typing import Any

import httpx2
import openai
import orjson

from langtutor.generation.providers.base import (
    Completion,
    LLMInvalidOutput,
    LLMRefusal,
    Message,
    SDKProvider,
    broke_off,
    schema_instructions,
    strip_code_fence,
    translate_sdk_error,
)

DEFAULT_MODEL = "gpt-4.1-mini"


class OpenAIProvider(SDKProvider):
    name = "openai"
    default_model = DEFAULT_MODEL
    sdk = openai
    client_class = "AsyncOpenAI"
    client: openai.AsyncOpenAI

    @cached_property
    def _completions_url(self) -> str:
        base = self.client.base_url  # always ends with "/": the SDK sees to it
        return str(base.copy_with(path=base.path + "chat/completions"))

    def _request(
        self, system: str, messages: list[Message], schema_name: str, schema: dict[str, Any]
    ) -> dict[str, Any]:
        """The chat-completions body: the messages and the JSON mode's response format."""
        extra: dict[str, Any] = {}
        if self.json_mode == "json_schema":
            extra["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": True},
            }
        else:
            system = f"{system}\n\n{schema_instructions(schema)}"
            if self.json_mode == "json_object":
                extra["response_format"] = {"type": "json_object"}
        chat: list[Any] = [{"role": "system", "content": system}]
        chat += [{"role": message.role, "content": message.content} for message in messages]
        return {"model": self.model, "messages": chat, **extra}

    async def stream(
        self, *, system: str, messages: list[Message], schema_name: str, schema: dict[str, Any]
    ) -> AsyncIterator[str | Completion]:
        body = self._request(system, messages, schema_name, schema)
        parts: list[str] = []
        model, usage, finish = self.model, None, None
        began = False
        try:
            chunks = await self.client.chat.completions.create(
                **body, stream=True, stream_options={"include_usage": True}
            )
            began = True
            # Leaving the block closes the connection, also when the learner hangs up: the
            # model server sees the call cancelled.
            async with chunks:
                async for chunk in chunks:
                    model = chunk.model or model
                    usage = chunk.usage or usage
                    for choice in chunk.choices:
                        finish = choice.finish_reason or finish
                        if choice.delta.refusal:
                            raise LLMRefusal(f"the language model declined: {choice.delta.refusal}")
                        if choice.delta.content:
                            parts.append(choice.delta.content)
                            yield choice.delta.content
        except (openai.APIConnectionError, httpx2.TransportError) as error:
            if began and not isinstance(error, openai.APITimeoutError | httpx2.TimeoutException):
                raise broke_off() from error
            raise translate_sdk_error(error, openai) from error
        except openai.OpenAIError as error:
            raise translate_sdk_error(error, openai) from error
        if finish == "length":
            raise LLMInvalidOutput("the language model's answer was cut off (too long)")
        yield Completion(
            text=strip_code_fence("".join(parts)),
            model=model,
            input_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
        )

    async def complete(
        self, *, system: str, messages: list[Message], schema_name: str, schema: dict[str, Any]
    ) -> Completion:
        body = self._request(system, messages, schema_name, schema)
        try:
            # The SDK's generic `post` rather than `chat.completions.create`: the same endpoint,
            # auth, timeouts and errors, without the typed walk over the parameters (the JSON
            # Schema included) and over the answer, which cost 2–3 ms of CPU per call and
            # capped concurrent generation (benchmarks/concurrent_generation.py). The body goes
            # as JSON made by orjson (the SDK's json module is slower on the large schema), to
            # the endpoint's full address (a relative one is parsed and merged again on every
            # call).
            response = await self.client.post(
                self._completions_url, content=orjson.dumps(body), cast_to=httpx2.Response
            )
            answer = orjson.loads(response.content)
        except openai.OpenAIError as error:
            raise translate_sdk_error(error, openai) from error
        except ValueError as error:  # orjson.JSONDecodeError is one
            raise LLMInvalidOutput(
                "the language model server answered something not JSON"
            ) from error
        return self._completion(answer)

    def _completion(self, answer: Any) -> Completion:
        """Read a chat-completion object (OpenAI's documented shape)."""
        try:
            choice = answer["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError) as error:
            raise LLMInvalidOutput("the language model server answered no message") from error
        if message.get("refusal"):
            raise LLMRefusal(f"the language model declined: {message['refusal']}")
        if choice.get("finish_reason") == "content_filter":
            raise LLMRefusal("the language model's content filter stopped the answer")
        if choice.get("finish_reason") == "length":
            raise LLMInvalidOutput("the language model's answer was cut off (too long)")
        usage = answer.get("usage") or {}
        return Completion(
            text=strip_code_fence(message.get("content") or ""),
            model=answer.get("model") or self.model,
            input_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
        )
