"""Exports: an Anki package that a real Anki collection imports (twice, without duplicates),
CSV with a header row, JSON, and Markdown for simulations; hostile text stays text in each."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile
from markdown_it import MarkdownIt

from langtutor.library.exports import csv_cell
from tests.anki import import_into_anki, rendered_cards
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
    # Each front and example plays its audio, attached to the package as media.
    front_sound = re.fullmatch(r"la palabra 1 \[sound:([0-9a-f]{64}\.mp3)\]", fields["Front"])
    example_sound = re.fullmatch(
        r"Uso la palabra 1\. \[sound:([0-9a-f]{64}\.mp3)\]", fields["Example"]
    )
    assert front_sound, fields
    assert example_sound, fields
    assert {k: v for k, v in fields.items() if k not in ("Front", "Example")} == {
        "Back": "word 1",
        "Example translation": "I use word 1.",
        "Notes": "",
    }
    assert tags == ["base::en", "langtutor", "level::A2", "target::es"]
    media = tmp_path / "collection.media"
    for sound in (front_sound, example_sound):
        data, rate = soundfile.read(media / sound.group(1))
        assert len(data) / rate > 0.3

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
        assert answer.status_code == 409  # a format the set's kind has not
        assert "export is for" in answer.text
    assert (await export(cards, "pdf")).status_code == 422


# -- hostile text: every export carries it as text, never as live markup -----------------------

HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script> [sound:evil.mp3]"
# Content text is stripped when saved, so a leading tab or carriage return cannot reach a cell
# through the API; csv_cell still neutralizes them (checked directly below).
FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]
ORDINARY = "l'été à Zürich: a < b & c > d\nsecond line"


class TagCollector(HTMLParser):
    """The tags and the text of an HTML fragment, as a browser (or Anki's webview) reads it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(fragment: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(fragment)
    collector.close()
    return collector


async def save_item(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, content: dict[str, Any]
) -> int:
    answer = await client.post(
        "/content/save",
        headers=headers,
        json={
            "content_type": kind,
            "original_query": HOSTILE,
            "content_data": content,
            "user_label": HOSTILE,
            "user_notes": HOSTILE + "\n# not a heading\n" + ORDINARY,
        },
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["saved_content_id"])


async def test_anki_fields_are_escaped_text(client: httpx.AsyncClient, tmp_path: Path) -> None:
    _, headers = await user_with_token(client)
    cards = [
        {
            "front": HOSTILE,
            "back": HOSTILE,
            "example": HOSTILE,
            "example_translation": HOSTILE,
            "part_of_speech": HOSTILE,
            "notes": HOSTILE,
        },
        {"front": "el café", "back": ORDINARY, "notes": "a < b, \"quoted\" & 'single'"},
        {"front": "[sound:also-evil.mp3]", "back": "{{Front}} \x1f shifted?"},
    ]
    item = await save_item(client, headers, "flashcards", {"cards": cards})
    package = await client.get(
        f"/content/{item}/export", headers=headers, params={"format": "apkg"}
    )
    assert package.status_code == 200
    collection = tmp_path / "collection.anki2"
    notes = {
        fields["Front"]: fields
        for fields, _ in import_into_anki(collection, package.content, tmp_path)
    }
    assert len(notes) == 3
    for fields in notes.values():
        for value in fields.values():
            found = parsed(value)
            assert set(found.tags) <= {"br"}, value  # no tag but our line breaks
            assert not found.attributes
            assert "[sound:" not in value
    hostile = notes[html.escape(HOSTILE, quote=False).replace("[sound:", "&#91;sound:")]
    assert "".join(parsed(hostile["Back"]).text) == HOSTILE  # what the learner sees: the text
    ordinary = notes["el café"]
    assert ordinary["Back"] == "l'été à Zürich: a &lt; b &amp; c &gt; d<br>second line"
    assert "".join(parsed(ordinary["Notes"]).text) == "a < b, \"quoted\" & 'single'"
    assert notes["&#91;sound:also-evil.mp3]"]["Back"] == "{{Front}}  shifted?"

    # Anki's own rendering of the cards: the hostile text shows literally, nothing runs.
    for question, answer in rendered_cards(collection):
        for side in (question, answer):
            found = parsed(side)
            assert not {"script", "img"} & set(found.tags), side
            assert not any(name.startswith("on") for name in found.attributes), side
            assert "[anki:play" not in side  # no sound reference survived to be played
    rendered = "\n".join(q + a for q, a in rendered_cards(collection))
    texts = "".join(parsed(rendered).text)
    assert HOSTILE in texts
    assert "l'été à Zürich: a < b & c > d" in texts


async def test_csv_neutralizes_formulas_and_keeps_other_cells(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    cards = [{"front": formula, "back": ORDINARY, "notes": HOSTILE} for formula in FORMULAS]
    flashcards = await save_item(client, headers, "flashcards", {"cards": cards})
    exercises = await save_item(
        client,
        headers,
        "exercises",
        {
            "exercises": [
                {
                    "type": "multiple_choice",
                    "prompt": "=1+1",
                    "options": ["-1", "2"],
                    "answer": "2",
                },
                {
                    "type": "translation",
                    "prompt": "el café",
                    "answer": "@coffee",
                    "explanation": "a < b",
                },
            ]
        },
    )

    async def rows(item: int) -> list[list[str]]:
        answer = await client.get(
            f"/content/{item}/export", headers=headers, params={"format": "csv"}
        )
        return list(csv.reader(io.StringIO(answer.content.decode("utf-8"), newline="")))

    header, *lines = await rows(flashcards)
    assert header[0] == "front"
    assert [line[0] for line in lines] == ["'" + formula for formula in FORMULAS]
    for line in lines:
        assert line[1] == ORDINARY  # ordinary text unchanged, its line break included
        assert line[5] == HOSTILE  # markup is no formula: a spreadsheet shows it as text
    _, first, second = await rows(exercises)
    assert first == ["multiple_choice", "'=1+1", "'-1 | 2", "2", ""]
    assert second == ["translation", "el café", "", "'@coffee", "a < b"]
    assert [csv_cell(c) for c in ("\tcmd", "\rcmd", "a=b", "", "'x")] == [
        "'\tcmd",
        "'\rcmd",
        "a=b",
        "",
        "'x",
    ]


async def test_markdown_renders_as_the_text_it_is(client: httpx.AsyncClient) -> None:
    _, headers = await user_with_token(client)
    tricky = HOSTILE + " *bold* _em_ `code` [link](javascript:alert(3)) | pipe ![i](x.png) &amp;"
    simulation = {
        "title": tricky,
        "scenario": "# heading?\n> quote?\n- item?\n1. item?\n===\n" + ORDINARY,
        "roles": [{"name": "Ana", "description": tricky}],
        "dialogue": [{"speaker": "Ana", "text": tricky, "translation": tricky}],
        "vocabulary": [{"term": tricky, "translation": "a | b"}],
        "questions": [{"question": tricky, "answer": tricky}],
    }
    item = await save_item(client, headers, "simulation", simulation)
    answer = await client.get(f"/content/{item}/export", headers=headers, params={"format": "md"})
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(answer.text)
    found = parsed(rendered)
    # Only the document's own structure: no tag, link, image, code or emphasis from the content.
    assert set(found.tags) <= {
        "h1",
        "h2",
        "p",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
    assert not found.attributes or set(found.attributes) <= {"style"}
    assert found.tags.count("h1") == 1
    assert found.tags.count("em") == 1  # the dialogue line's translation, nothing else
    text = "".join(found.text)
    assert tricky in text
    assert "# heading?\n> quote?\n- item?\n1. item?\n===" in text.replace("\\\n", "\n")
    assert "a | b" in text
