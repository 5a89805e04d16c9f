"""Exports: an Anki package that a real Anki collection imports (twice, without duplicates),
CSV with a header row, JSON, and Markdown for simulations."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.anki import import_into_anki
from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM, valid_content


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings


async def test_anki_package_imports_once_per_card(
    client: httpx.AsyncClient, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    _, headers = await user_with_token(
        client, default_target_language="es", self_assessed_level="A2"
    )
    item = await saved_flashcards(client, headers, 4)
    answer = await client.get(
        f"/content/{item['saved_content_id']}/export", headers=headers, params={"format": "apkg"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    collection = tmp_path / "collection.anki2"
    notes = import_into_anki(collection, answer.content, tmp_path)
    assert len(notes) == 4
    fields, tags = sorted(notes, key=lambda n: n[0]["Front"])[0]
    assert fields == {
        "Front": "la palabra 1",
        "Back": "word 1",
        "Example": "Uso la palabra 1.",
        "Example translation": "I use word 1.",
        "Notes": "",
    }
    assert tags == ["base::en", "langtutor", "level::A2", "target::es"]

    again = await client.get(
        f"/content/{item['saved_content_id']}/export", headers=headers, params={"format": "apkg"}
    )
    assert (
        len(import_into_anki(collection, again.content, tmp_path)) == 4
    )  # updated, not duplicated


async def test_all_flashcards_in_one_package(
    client: httpx.AsyncClient, fake_llm: FakeLLM, tmp_path: Path
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    assert (await client.get("/content/export", headers=headers)).status_code == 404
    await saved_flashcards(client, headers, 2)
    await saved_flashcards(client, headers, 3)
    typed_in = {"cards": [{"front": "el gato", "back": "the cat"}]}  # no generation behind it
    await client.post(
        "/content/save",
        headers=headers,
        json={"content_type": "flashcards", "original_query": "cats", "content_data": typed_in},
    )
    answer = await client.get("/content/export", headers=headers, params={"format": "apkg"})
    assert answer.status_code == 200
    notes = import_into_anki(tmp_path / "all.anki2", answer.content, tmp_path)
    assert len(notes) == 6
    # Each set is tagged from its own generation; the typed-in one has nothing to tell.
    tags = {fields["Front"]: note_tags for fields, note_tags in notes}
    assert tags.pop("el gato") == ["langtutor"]
    assert all(t == ["base::en", "langtutor", "level::A2", "target::es"] for t in tags.values())
    assert (
        await client.get("/content/export", headers=headers, params={"format": "csv"})
    ).status_code == 422


async def test_csv_json_and_markdown(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)

    async def save(kind: str, content: dict[str, Any]) -> int:
        answer = await client.post(
            "/content/save",
            headers=headers,
            json={
                "content_type": kind,
                "original_query": f"{kind} café",
                "content_data": content,
                "user_notes": "ñ",
            },
        )
        return int(answer.json()["saved_content_id"])

    cards = await save("flashcards", valid_content("flashcards", 2))
    exercises = await save("exercises", valid_content("exercises", 3))
    simulation = await save("simulation", valid_content("simulation", 0))

    async def export(item: int, fmt: str) -> httpx.Response:
        return await client.get(f"/content/{item}/export", headers=headers, params={"format": fmt})

    rows = list(csv.DictReader(io.StringIO((await export(cards, "csv")).content.decode("utf-8"))))
    assert rows[0] == {
        "front": "la palabra 1",
        "back": "word 1",
        "example": "Uso la palabra 1.",
        "example_translation": "I use word 1.",
        "part_of_speech": "noun",
        "notes": "",
    }
    rows = list(
        csv.DictReader(io.StringIO((await export(exercises, "csv")).content.decode("utf-8")))
    )
    assert rows[0]["options"] == "sí | no | quizás"
    assert len(rows) == 3
    document = json.loads((await export(simulation, "json")).content)
    assert document["content"]["title"] == "At the bar"
    assert document["user_notes"] == "ñ"
    markdown = (await export(simulation, "md")).content.decode()
    assert markdown.startswith("# At the bar\n")
    assert "**Camarero:** ¿Qué le pongo?" in markdown
    assert "| la tapa | the snack |" in markdown
    for item, fmt in ((simulation, "csv"), (cards, "md"), (exercises, "apkg")):
        answer = await export(item, fmt)
        assert answer.status_code == 422
        assert "export is for" in answer.text
    assert (await export(cards, "pdf")).status_code == 422
