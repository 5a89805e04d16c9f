"""Exported files byte for byte, through the real HTTP app and database: what a spreadsheet, a
JSON reader, a Markdown viewer or Anki gets, and the file's name and type. A learner imports
these elsewhere (and imports a newer export over an older one), so their format is the
behaviour, down to the header row and the blank lines.

The Anki deck's id and each note's GUID are fixed forever by the saved item (and the card's
place in it): Anki updates, rather than duplicates, what an earlier export of the same item
made, whichever version of langtutor exported it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import genanki
import httpx
import pytest

from tests.factories import saved_flashcards, user_with_token
from tests.fakellm import FakeLLM

CARDS = {
    "cards": [
        {
            "front": "el café",
            "back": "coffee",
            "example": "Un café, por favor.",
            "example_translation": "A coffee, please.",
            "part_of_speech": "noun",
            "notes": "=masculine",
        },
        {"front": "la cuenta", "back": "the bill"},
    ]
}
EXERCISES = {
    "exercises": [
        {
            "type": "multiple_choice",
            "prompt": "¿Dónde ___ el baño?",
            "options": ["está", "es"],
            "answer": "está",
            "explanation": "Location: estar.",
        },
        {"type": "fill_in_the_blank", "prompt": "Yo ___ café.", "answer": "tomo"},
    ]
}
SIMULATION = {
    "title": "At the café",
    "scenario": "You order a coffee.\n# Not a heading",
    "roles": [
        {"name": "Camarero", "description": "takes orders"},
        {"name": "Cliente", "description": "you"},
    ],
    "dialogue": [
        {"speaker": "Camarero", "text": "¿Qué le pongo?", "translation": "What can I get you?"},
        {"speaker": "Cliente", "text": "Un café.", "translation": "A coffee."},
    ],
    "vocabulary": [{"term": "el café", "translation": "coffee"}],
    "questions": [{"question": "¿Qué pide?", "answer": "Un café."}],
}


@pytest.fixture
def settings_overrides(fake_llm_settings: dict[str, object]) -> dict[str, object]:
    return fake_llm_settings


async def save(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, content: Any, **fields: Any
) -> dict[str, Any]:
    body = {"content_type": kind, "content_data": content} | fields
    answer = await client.post("/content/save", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def export(
    client: httpx.AsyncClient, headers: dict[str, str], item: dict[str, Any], fmt: str
) -> httpx.Response:
    answer = await client.get(
        f"/content/{item['saved_content_id']}/export", headers=headers, params={"format": fmt}
    )
    assert answer.status_code == 200, answer.text
    return answer


def named(answer: httpx.Response) -> str:
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert disposition.endswith('"')
    return disposition.removeprefix('attachment; filename="').removesuffix('"')


async def test_csv_of_flashcards_and_of_exercises(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    cards = await save(
        client,
        headers,
        "flashcards",
        CARDS,
        original_query="café",
        user_label="Café & Tapas: Día 1",
    )
    answer = await export(client, headers, cards, "csv")
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert named(answer) == f"langtutor-{cards['saved_content_id']}-caf----tapas--d-a-1.csv"
    assert answer.content.decode() == (
        "front,back,example,example_translation,part_of_speech,notes\r\n"
        'el café,coffee,"Un café, por favor.","A coffee, please.",noun,\'=masculine\r\n'
        "la cuenta,the bill,,,,\r\n"
    )

    exercises = await save(
        client,
        headers,
        "exercises",
        EXERCISES,
        original_query="¿Dónde está el baño? Ejercicios de repaso para la semana",
    )
    answer = await export(client, headers, exercises, "csv")
    # The name is cut at 40 characters, with no dash at either end.
    assert named(answer) == (
        f"langtutor-{exercises['saved_content_id']}-d-nde-est--el-ba-o--ejercicios-de-repaso.csv"
    )
    assert answer.content.decode() == (
        "type,prompt,options,answer,explanation\r\n"
        "multiple_choice,¿Dónde ___ el baño?,está | es,está,Location: estar.\r\n"
        "fill_in_the_blank,Yo ___ café.,,tomo,\r\n"
    )

    simulation = await save(client, headers, "simulation", SIMULATION, original_query="bar")
    refused = await client.get(
        f"/content/{simulation['saved_content_id']}/export",
        headers=headers,
        params={"format": "csv"},
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "CSV export is for flashcards and exercises; use json or md"


async def test_json_keeps_the_text_as_written_and_says_where_it_came_from(
    client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    _, headers = await user_with_token(client, default_target_language="es")
    typed = await save(client, headers, "exercises", EXERCISES, original_query="el baño")
    generated = await saved_flashcards(client, headers, 1)
    for item, generation_id in ((typed, None), (generated, generated["generation_id"])):
        answer = await export(client, headers, item, "json")
        assert answer.headers["content-type"] == "application/json"
        stem = "el-ba-o" if item is typed else "tapas"
        assert named(answer) == f"langtutor-{item['saved_content_id']}-{stem}.json"
        document = json.loads(answer.content)
        # Indented, and the learner's letters as they are (not \u escapes).
        assert answer.content == json.dumps(document, ensure_ascii=False, indent=2).encode()
        assert datetime.fromisoformat(document.pop("saved_at")) == datetime.fromisoformat(
            item["saved_at"]
        )
        assert document == {
            "saved_content_id": item["saved_content_id"],
            "content_type": item["content_type"],
            "original_query": item["original_query"],
            "user_label": item["user_label"],
            "user_notes": None,
            "generation_id": generation_id,
            "content": item["content_data"],
        }
    assert "baño".encode() in (await export(client, headers, typed, "json")).content


async def test_markdown_of_a_simulation(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    item = await save(
        client,
        headers,
        "simulation",
        SIMULATION,
        original_query="café",
        user_label="日本語",
        user_notes="Bring cash!",
    )
    answer = await export(client, headers, item, "md")
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert named(answer) == f"langtutor-{item['saved_content_id']}-content.md"
    assert answer.content.decode() == (
        "# At the café\n"
        "\n"
        "You order a coffee.\\\n"
        "\\# Not a heading\n"
        "\n"
        "## Roles\n"
        "\n"
        "- **Camarero**: takes orders\n"
        "- **Cliente**: you\n"
        "\n"
        "## Dialogue\n"
        "\n"
        "**Camarero:** ¿Qué le pongo?  \n"
        "*What can I get you?*\n"
        "\n"
        "**Cliente:** Un café.  \n"
        "*A coffee.*\n"
        "\n"
        "## Vocabulary\n"
        "\n"
        "| Term | Translation |\n"
        "| --- | --- |\n"
        "| el café | coffee |\n"
        "\n"
        "## Questions\n"
        "\n"
        "1. ¿Qué pide?\n"
        "   - Answer: Un café.\n"
        "\n"
        "## My notes\n"
        "\n"
        "Bring cash\\!\n"
    )
    cards = await save(client, headers, "flashcards", CARDS, original_query="café")
    refused = await client.get(
        f"/content/{cards['saved_content_id']}/export", headers=headers, params={"format": "md"}
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Markdown export is for simulations; use csv, json or apkg"


def deck_id(user_id: int, saved_content_id: int) -> int:
    """The deck id of a saved item, in Anki's id range (fixed forever)."""
    digest = hashlib.sha256(f"langtutor-deck:{user_id}:{saved_content_id}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def package_contents(package: bytes, tmp_path: Path) -> tuple[dict[int, str], list[Any]]:
    """The decks (id: name) and notes (guid, fields, tags) of an exported package."""
    path = tmp_path / "package.apkg"
    path.write_bytes(package)
    with zipfile.ZipFile(path) as archive:
        (tmp_path / "collection.anki2").write_bytes(archive.read("collection.anki2"))
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        decks = json.loads(connection.execute("SELECT decks FROM col").fetchone()[0])
        notes = connection.execute("SELECT guid, flds, tags FROM notes ORDER BY id").fetchall()
    finally:
        connection.close()
    named_decks = {int(key): deck["name"] for key, deck in decks.items() if key != "1"}
    return named_decks, [(guid, fields.split("\x1f"), tags.split()) for guid, fields, tags in notes]


async def test_anki_decks_and_notes_keep_their_identity(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    user, headers = await user_with_token(client)
    label = "Mi mazo " + "x" * 90  # a deck's name keeps 80 characters of it
    first = await save(client, headers, "flashcards", CARDS, original_query="a", user_label=label)
    second = await save(client, headers, "flashcards", CARDS, original_query="cuentas")
    answer = await export(client, headers, first, "apkg")
    assert answer.headers["content-type"] == "application/octet-stream"
    assert named(answer) == f"langtutor-{first['saved_content_id']}.apkg"
    expected_decks = {}
    for item, title in ((first, label[:80]), (second, "cuentas")):
        decks, notes = package_contents(
            (await export(client, headers, item, "apkg")).content, tmp_path
        )
        expected_decks[deck_id(user["user_id"], item["saved_content_id"])] = f"langtutor::{title}"
        assert decks == {deck_id(user["user_id"], item["saved_content_id"]): f"langtutor::{title}"}
        assert [guid for guid, _, _ in notes] == [
            genanki.guid_for("langtutor", user["user_id"], item["saved_content_id"], index)
            for index in range(2)
        ]
        assert notes[0][1] == [
            "el café",
            "coffee",
            "Un café, por favor.",
            "A coffee, please.",
            "=masculine",
        ]
        assert notes[1][1] == ["la cuenta", "the bill", "", "", ""]
        assert notes[0][2] == ["langtutor"]  # typed in: no languages nor level to tell
    every = await client.get("/content/export", headers=headers, params={"format": "apkg"})
    assert package_contents(every.content, tmp_path)[0] == expected_decks
    simulation = await save(client, headers, "simulation", SIMULATION, original_query="bar")
    refused = await client.get(
        f"/content/{simulation['saved_content_id']}/export",
        headers=headers,
        params={"format": "apkg"},
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Anki export is for flashcards; use json, csv or md"
