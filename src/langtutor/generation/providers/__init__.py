"""Language-model providers, chosen by `LANGTUTOR_LLM_PROVIDER`."""

from __future__ import annotations

from langtutor.config import Settings
from langtutor.generation.providers.anthropic_messages import AnthropicProvider
from langtutor.generation.providers.base import LLMProvider
from langtutor.generation.providers.openai_compatible import OpenAIProvider


def create_provider(settings: Settings) -> LLMProvider | None:
    """The configured provider, or None for `LLM_PROVIDER=none`."""
    kind: type[OpenAIProvider] | type[AnthropicProvider]
    if settings.LLM_PROVIDER == "openai":
        kind = OpenAIProvider
    elif settings.LLM_PROVIDER == "anthropic":
        kind = AnthropicProvider
    else:
        return None
    return kind(
        base_url=settings.LLM_BASE_URL,
        api_key=settings.LLM_API_KEY,
        model=settings.LLM_MODEL,
        timeout_s=settings.LLM_TIMEOUT_S,
        json_mode=settings.LLM_JSON_MODE,
    )
