"""The generation service's rules without HTTP: where languages and level come from, and what
happens without a model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from langtutor.enums import ContentType, Level
from langtutor.errors import Conflict
from langtutor.generation.instructions import LearnerContext
from langtutor.generation.providers.base import LLMNotConfigured
from langtutor.generation.schemas import Flashcards, GenerationRequest
from langtutor.generation.service import ask_model, resolve_learner
from langtutor.schemas import describe_errors


@dataclass(frozen=True)
class Profile:
    """What generation reads of a learner (the `Asker` a `Learner` is)."""

    user_id: int
    username: str
    default_target_language: str | None
    default_base_language: str | None
    self_assessed_level: str | None


def profile(**defaults: str | None) -> Profile:
    values: dict[str, str | None] = {
        "default_target_language": None,
        "default_base_language": None,
        "self_assessed_level": None,
    }
    return Profile(user_id=1, username="ana", **(values | defaults))  # type: ignore[arg-type]


def test_the_request_wins_then_the_profile_then_the_defaults() -> None:
    user = profile(default_target_language="fr", self_assessed_level="B2")
    resolved = resolve_learner(
        user=user, data=GenerationRequest(query="x", base_language="de"), count=3
    )
    assert resolved.learner == LearnerContext("fr", "de", Level.B2, 3)
    assert resolved.sources == {
        "target_language": "profile",
        "base_language": "request",
        "level": "profile",
    }
    bare = resolve_learner(
        user=profile(), data=GenerationRequest(query="x", target_language="it"), count=None
    )
    assert bare.learner == LearnerContext("it", "en", Level.A2, None)
    assert bare.sources["base_language"] == bare.sources["level"] == "default"


def test_no_target_language_anywhere_is_a_conflict_that_says_where_to_set_one() -> None:
    with pytest.raises(Conflict, match="default_target_language"):
        resolve_learner(user=profile(), data=GenerationRequest(query="x"), count=None)


async def test_without_a_provider_the_model_is_not_configured() -> None:
    with pytest.raises(LLMNotConfigured, match="LANGTUTOR_LLM_PROVIDER"):
        await ask_model(
            provider=None,
            instructions="",
            kind=ContentType.flashcards,
            learner=LearnerContext("es", "en", Level.A2, 2),
            query="x",
        )


def test_validation_errors_are_summarized_for_the_repair_round() -> None:
    with pytest.raises(ValidationError) as caught:
        Flashcards.model_validate(
            {"cards": [{"front": "", "back": ""} for _ in range(12)]}, context={"count": 3}
        )
    summary = describe_errors(caught.value)
    assert summary.startswith("cards.0.front:")
    assert summary.endswith("and 16 more")  # 24 problems, 8 reported


def test_only_generation_reaches_into_its_service(repo_root: Path) -> None:
    """Practice, conversations and the pages ask `Generation` (`ask`, `model_call`, `stream`,
    the `generate_*_service` entry points); none reaches into its provider, rate limiter,
    activity log or calls under way."""
    parts = re.compile(r"\bgenerat(?:ion|or)\.(provider|rate_limiter|activity|calls)\b")
    package = repo_root / "src" / "langtutor"
    reaching = [
        f"{path.relative_to(package)}: {match.group(0)}"
        for path in package.rglob("*.py")
        if path.parent.name != "generation"
        for match in parts.finditer(path.read_text())
    ]
    assert not reaching
