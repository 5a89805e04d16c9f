"""Any OpenAI-compatible chat-completions server (OpenAI, Ollama, vLLM, llama.cpp, LM Studio,
OpenRouter) through the official `openai` SDK."""

from __future__ import annotations

from typing import Any

import httpx2
import openai

from langtutor.generation.providers.base import (
    Completion,
    LLMInvalidOutput,
    LLMRefusal,
    Message,
    SDKProvider,
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

    async def complete(
        self, *, system: str, messages: list[Message], schema_name: str, schema: dict[str, Any]
    ) -> Completion:
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
        try:
            # The SDK's generic `post` rather than `chat.completions.create`: the same endpoint,
            # auth, timeouts and errors, without the typed walk over the parameters (the JSON
            # Schema included) and over the answer, which cost 2–3 ms of CPU per call and
            # capped concurrent generation (benchmarks/concurrent_generation.py).
            response = await self.client.post(
                "/chat/completions",
                body={"model": self.model, "messages": chat, **extra},
                cast_to=httpx2.Response,
            )
            answer = response.json()
        except openai.OpenAIError as error:
            raise translate_sdk_error(error, openai) from error
        except ValueError as error:
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
