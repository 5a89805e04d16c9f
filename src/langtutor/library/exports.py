"""Saved content as files: Anki packages (genanki), CSV, JSON and Markdown."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import genanki

from langtutor.enums import ContentType
from langtutor.errors import Conflict
from langtutor.library.models import SavedContent


class ExportFormat(StrEnum):
    apkg = "apkg"
    csv = "csv"
    json = "json"
    md = "md"


MEDIA_TYPES = {
    ExportFormat.apkg: "application/octet-stream",
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.json: "application/json",
    ExportFormat.md: "text/markdown; charset=utf-8",
}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    body: bytes


@dataclass(frozen=True)
class CardContext:
    """Where a saved set came from, for Anki tags; from its generation when known."""

    target_language: str | None = None
    base_language: str | None = None
    level: str | None = None


# Fixed forever: Anki recognises our note type by this id, so re-imports update notes.
ANKI_MODEL_ID = 1_734_061_029
ANKI_MODEL = genanki.Model(
    ANKI_MODEL_ID,
    "langtutor flashcard",
    fields=[
        {"name": "Front"},
        {"name": "Back"},
        {"name": "Example"},
        {"name": "Example translation"},
        {"name": "Notes"},
    ],
    templates=[
        {
            "name": "Card 1",
            "qfmt": '<div class="front">{{Front}}</div>',
            "afmt": (
                '{{FrontSide}}<hr id="answer"><div class="back">{{Back}}</div>'
                '{{#Example}}<p class="example">{{Example}}</p>{{/Example}}'
                '{{#Example translation}}<p class="translation">{{Example translation}}</p>'
                "{{/Example translation}}"
                '{{#Notes}}<p class="notes">{{Notes}}</p>{{/Notes}}'
            ),
        }
    ],
    css=(
        ".card { font-family: sans-serif; font-size: 22px; text-align: center; }"
        " .example { font-style: italic; } .translation, .notes { color: #555; font-size: 18px; }"
    ),
)


# Anki renders note fields as HTML (and runs their scripts); `[sound:…]` plays a media file.
# Characters that split a note's fields in Anki's storage, or that no text needs (a carriage
# return among them: "\r\n" is one line break).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MEDIA_REFERENCE = re.compile(r"\[(?=sound:)", re.IGNORECASE)


def anki_field(text: str | None) -> str:
    """Text as an Anki field shows it literally: HTML-escaped, line breaks as `<br>`, and no
    `[sound:…]` reference of its own (only media we attach may be referenced)."""
    if not text:
        return ""
    escaped = html.escape(_CONTROL.sub("", text), quote=False)
    return _MEDIA_REFERENCE.sub("&#91;", escaped).replace("\n", "<br>")


def _stable_id(*parts: object) -> int:
    """A deck id that stays the same for the same saved item, in Anki's id range."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


# Audio of a card's front and example, by (saved item, card index, field): a file to attach.
CardAudio = dict[tuple[int, int, str], Path]


def with_sound(field: str, audio: Path | None) -> str:
    """A field that plays its audio in Anki: `[sound:file]` after the (escaped) text."""
    return f"{field} [sound:{audio.name}]" if audio is not None and field else field


def _deck(item: SavedContent, context: CardContext, audio: CardAudio) -> genanki.Deck:
    title = item.user_label or item.original_query
    deck = genanki.Deck(
        _stable_id("langtutor-deck", item.user_id, item.saved_content_id),
        f"langtutor::{title[:80]}",
    )
    tags = ["langtutor"] + [
        f"{name}::{value}"
        for name, value in (
            ("target", context.target_language),
            ("base", context.base_language),
            ("level", context.level),
        )
        if value
    ]
    for index, card in enumerate(item.content_data["cards"]):
        deck.add_note(
            genanki.Note(
                model=ANKI_MODEL,
                fields=[
                    with_sound(
                        anki_field(card["front"]),
                        audio.get((item.saved_content_id, index, "front")),
                    ),
                    anki_field(card["back"]),
                    with_sound(
                        anki_field(card.get("example")),
                        audio.get((item.saved_content_id, index, "example")),
                    ),
                    anki_field(card.get("example_translation")),
                    anki_field(card.get("notes")),
                ],
                tags=tags,
                # One GUID per card of a saved item: importing again updates, never duplicates.
                guid=genanki.guid_for("langtutor", item.user_id, item.saved_content_id, index),
            )
        )
    return deck


def anki_package(
    items: list[tuple[SavedContent, CardContext]], filename: str, audio: CardAudio | None = None
) -> ExportFile:
    """Blocking (genanki writes an SQLite file): call it from a worker thread. With `audio`,
    the files are attached and the fronts and examples play them."""
    audio = audio or {}
    for item, _ in items:
        if item.content_type != ContentType.flashcards.value:
            raise Conflict("Anki export is for flashcards; use json, csv or md")
    package = genanki.Package([_deck(item, context, audio) for item, context in items])
    package.media_files = sorted({str(path) for path in audio.values()})
    fd, path = tempfile.mkstemp(suffix=".apkg")
    os.close(fd)
    try:
        package.write_to_file(path)
        with open(path, "rb") as handle:
            body = handle.read()
    finally:
        os.unlink(path)
    return ExportFile(filename, MEDIA_TYPES[ExportFormat.apkg], body)


def json_file(item: SavedContent) -> ExportFile:
    document = {
        "saved_content_id": item.saved_content_id,
        "content_type": item.content_type,
        "original_query": item.original_query,
        "user_label": item.user_label,
        "user_notes": item.user_notes,
        "saved_at": item.saved_at.isoformat() if item.saved_at else None,
        "generation_id": str(item.generation_id) if item.generation_id else None,
        "content": item.content_data,
    }
    body = json.dumps(document, ensure_ascii=False, indent=2).encode()
    return ExportFile(f"{_stem(item)}.json", MEDIA_TYPES[ExportFormat.json], body)


# A spreadsheet evaluates a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: formula-like cells get a leading apostrophe."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_file(item: SavedContent) -> ExportFile:
    out = io.StringIO()
    writer = csv.writer(out)
    if item.content_type == ContentType.flashcards.value:
        columns = ["front", "back", "example", "example_translation", "part_of_speech", "notes"]
        writer.writerow(columns)
        for card in item.content_data["cards"]:
            writer.writerow([csv_cell(card.get(column) or "") for column in columns])
    elif item.content_type == ContentType.exercises.value:
        writer.writerow(["type", "prompt", "options", "answer", "explanation"])
        for exercise in item.content_data["exercises"]:
            cells = (
                exercise["type"],
                exercise["prompt"],
                " | ".join(exercise.get("options") or []),
                exercise["answer"],
                exercise.get("explanation") or "",
            )
            writer.writerow([csv_cell(cell) for cell in cells])
    else:
        raise Conflict("CSV export is for flashcards and exercises; use json or md")
    return ExportFile(f"{_stem(item)}.csv", MEDIA_TYPES[ExportFormat.csv], out.getvalue().encode())


# Inline Markdown: emphasis, code, links and images, raw HTML and entities, table cells.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&!~|])")
# What turns a line into a heading, quote, list item or setext underline.
_MARKDOWN_LINE_START = re.compile(r"^(\d*)([#>+\-=.)])")
_SPACES = re.compile(r"\s+")


def md_inline(text: str) -> str:
    """Text that renders as itself inside a Markdown line: special characters
    backslash-escaped (CommonMark lets any ASCII punctuation be), line breaks as spaces."""
    return _MARKDOWN_INLINE.sub(r"\\\1", _SPACES.sub(" ", text).strip())


def md_block(text: str) -> str:
    """Lines of text, each escaped and unable to start a block, kept apart by hard breaks."""
    lines = [_MARKDOWN_LINE_START.sub(r"\1\\\2", md_inline(line)) for line in text.splitlines()]
    return "\\\n".join(line for line in lines if line)


def markdown_file(item: SavedContent) -> ExportFile:
    if item.content_type != ContentType.simulation.value:
        raise Conflict("Markdown export is for simulations; use csv, json or apkg")
    content: dict[str, Any] = item.content_data
    md = md_inline
    lines = [f"# {md(content['title'])}", "", md_block(content["scenario"]), "", "## Roles", ""]
    lines += [f"- **{md(role['name'])}**: {md(role['description'])}" for role in content["roles"]]
    lines += ["", "## Dialogue", ""]
    for line in content["dialogue"]:
        speaker, text, translation = md(line["speaker"]), md(line["text"]), md(line["translation"])
        lines += [f"**{speaker}:** {text}  ", f"*{translation}*", ""]
    lines += ["## Vocabulary", "", "| Term | Translation |", "| --- | --- |"]
    lines += [f"| {md(v['term'])} | {md(v['translation'])} |" for v in content["vocabulary"]]
    lines += ["", "## Questions", ""]
    for number, question in enumerate(content["questions"], 1):
        lines += [f"{number}. {md(question['question'])}", f"   - Answer: {md(question['answer'])}"]
    if item.user_notes:
        lines += ["", "## My notes", "", md_block(item.user_notes)]
    return ExportFile(
        f"{_stem(item)}.md", MEDIA_TYPES[ExportFormat.md], ("\n".join(lines) + "\n").encode()
    )


def _stem(item: SavedContent) -> str:
    title = (item.user_label or item.original_query).lower()
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in title).strip("-")[:40]
    slug = slug or "content"
    return f"langtutor-{item.saved_content_id}-{slug}"
