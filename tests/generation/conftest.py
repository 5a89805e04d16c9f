from __future__ import annotations

import pytest

from tests.fakellm import FakeLLM


@pytest.fixture
def settings_overrides(fake_llm: FakeLLM) -> dict[str, object]:
    return {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": fake_llm.openai_url,
        "LLM_MODEL": "fake-model",
    }
