"""A client generated from our OpenAPI schema works: `openapi-python-client` (what a Python
user of the API would reach for) builds one from `/openapi.json` of a live server, and the
test walks a learner's path with it: register → token → generate → save → export →
feedback → progress. A schema change that breaks generated clients (a model the generator
cannot read, a body it turns into fragments) fails here."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.fakellm import FakeLLM
from tests.servers import ThreadedServer

PACKAGE = "langtutor_client"


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("generated")
    yield folder
    for name in [module for module in sys.modules if module.split(".")[0] == PACKAGE]:
        del sys.modules[name]
    if str(folder) in sys.path:
        sys.path.remove(str(folder))


def generated_client(server_url: str, folder: Path) -> ModuleType:
    """The client package, generated once from the first server's schema."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    schema = folder / "openapi.json"
    schema.write_bytes(httpx.get(f"{server_url}/openapi.json").content)
    bin_dir = Path(sys.executable).parent
    run = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        # The generator formats its output with ruff, from the virtualenv.
        env=os.environ | {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(folder))
    return importlib.import_module(PACKAGE)


def operation(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def test_a_learner_walks_through_with_a_generated_client(
    serve: Callable[..., ThreadedServer],
    fake_llm_settings: dict[str, object],
    fake_llm: FakeLLM,
    client_dir: Path,
) -> None:
    server = serve(**fake_llm_settings)
    generated = generated_client(server.url, client_dir)
    models = importlib.import_module(f"{PACKAGE}.models")
    anonymous = generated.Client(base_url=server.url)

    user = operation("accounts.register_auth_register_post").sync(
        client=anonymous,
        body=models.UserCreate(
            username="gen_client",
            password="generated pass",
            default_target_language="es",
            self_assessed_level=models.UserCreateSelfAssessedLevelType0.BEGINNER,
        ),
    )
    assert isinstance(user, models.UserPublic), user
    assert user.default_target_language == "es"
    assert user.self_assessed_level == models.Level.A2

    token = operation("accounts.login_auth_token_post").sync(
        client=anonymous,
        body=models.BodyLoginAuthTokenPost(username="gen_client", password="generated pass"),
    )
    assert isinstance(token, models.TokenResponse), token
    client = generated.AuthenticatedClient(base_url=server.url, token=token.access_token)

    generation = operation("generation.generate_flashcards_generate_flashcards_post").sync(
        client=client, body=models.CountedGenerationRequest(query="colours", count=2)
    )
    assert isinstance(generation, models.GenerationResponse), generation
    assert generation.content_type == models.ContentType.FLASHCARDS
    cards = models.Flashcards.from_dict(generation.content.to_dict())
    assert len(cards.cards) == 2

    saved = operation("library.save_content_content_save_post").sync(
        client=client,
        body=models.SaveFlashcards(
            original_query=generation.query,
            content_type="flashcards",
            content_data=cards,
            generation_id=generation.generation_id,
            user_label="Colours",
        ),
    )
    assert isinstance(saved, models.SavedItem), saved
    assert saved.user_label == "Colours"

    export = operation("library.export_content_content_saved_content_id_export_get")
    answer = export.sync_detailed(
        saved.saved_content_id, client=client, format_=models.ExportFormat.CSV
    )
    assert answer.status_code == 200
    assert answer.content.decode().splitlines()[0].startswith("front,back")

    feedback = operation("library.create_feedback_feedback_post").sync(
        client=client,
        body=models.FeedbackCreate(
            saved_content_id=saved.saved_content_id, rating=5, feedback_text="useful"
        ),
    )
    assert isinstance(feedback, models.FeedbackItem), feedback
    assert feedback.rating == 5

    progress = operation("activity.read_progress_progress_get").sync(
        client=client, days=7, tz="Europe/Madrid"
    )
    assert isinstance(progress, models.Progress), progress
    assert progress.totals["flashcards"] == 1
    assert progress.saved_count == 1
    assert progress.feedback_count == 1

    # Errors come back as the documented bodies, too.
    missing = operation("library.read_content_content_saved_content_id_get").sync(
        saved.saved_content_id + 1000, client=client
    )
    assert isinstance(missing, models.ErrorBody), missing
