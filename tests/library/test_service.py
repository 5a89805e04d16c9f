"""The library's rules without HTTP: checked content, the text helpers of the exports, and the
page read through `db.fetch_rows`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.db import fetch_rows
from langtutor.enums import ContentType
from langtutor.errors import PayloadTooLarge, Unprocessable
from langtutor.library.exports import anki_field, md_block, md_inline
from langtutor.library.models import SavedContent
from langtutor.library.repository import _Filters, _page_query
from langtutor.library.schemas import MAX_CONTENT_BYTES
from langtutor.library.service import checked_content


def test_content_is_checked_against_its_type_and_normalized() -> None:
    content = checked_content(
        ContentType.flashcards, {"cards": [{"front": " el gato ", "back": "the cat", "notes": ""}]}
    )
    assert content["cards"][0]["front"] == "el gato"
    assert content["cards"][0]["notes"] is None  # a blank optional field means absent
    with pytest.raises(
        Unprocessable, match="not valid exercises: exercises.0: .*at least two options"
    ):
        checked_content(
            ContentType.exercises,
            {"exercises": [{"type": "multiple_choice", "prompt": "p", "answer": "a"}]},
        )


def test_content_over_the_size_limit_is_refused() -> None:
    big = {"cards": [{"front": "x" * MAX_CONTENT_BYTES, "back": "y"}]}
    with pytest.raises(PayloadTooLarge):
        checked_content(ContentType.flashcards, big)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("a < b & c", "a &lt; b &amp; c"),
        ("line\r\nbreak", "line<br>break"),
        ("[sound:x.mp3] [Sound:y.ogg]", "&#91;sound:x.mp3] &#91;Sound:y.ogg]"),
        ("tab\tkept, \x1fseparator dropped", "tab\tkept, separator dropped"),
        ('l\'été "cité"', 'l\'été "cité"'),
        (None, ""),
    ],
)
def test_anki_fields(text: str | None, field: str) -> None:
    assert anki_field(text) == field


def test_markdown_text() -> None:
    assert md_inline("*a*  _b_\n<i>") == r"\*a\* \_b\_ \<i\>"
    assert (
        md_block("# title\n  - item\n2. two\nplain") == "\\# title\\\n\\- item\\\n2\\. two\\\nplain"
    )


async def test_fetch_rows_reads_what_sqlalchemy_reads(db: AsyncEngine) -> None:
    """The library's page through `fetch_rows` (psycopg's prepared statement on PostgreSQL)
    gives the rows SQLAlchemy gives: same columns, same values and types (times with their
    zone, UUIDs, JSON, floats, NULLs), with the statement's own constants (the full-text
    search's 'simple') in place."""
    async with db.begin() as connection:
        await connection.execute(
            text("INSERT INTO users (username, password_hash) VALUES ('reader', 'x')")
        )
        user_id = (await connection.execute(text("SELECT user_id FROM users"))).scalar_one()
        for number, (label, score) in enumerate([("Market words", 0.75), (None, None)]):
            await connection.execute(
                insert(SavedContent).values(
                    user_id=user_id,
                    content_type="flashcards",
                    original_query=f"topic {number} ¿qué?",
                    content_data={"cards": [{"front": "hola", "back": "hello"}]},
                    saved_at=datetime(2026, 11, 28, 6, number, 5, 123456, tzinfo=UTC),
                    user_label=label,
                    generation_id=uuid.uuid4() if score else None,
                    target_language="es",
                    best_score=score,
                )
            )
    shapes = [(False, {}), (True, {}), (True, {"q": "market"})]
    async with db.connect() as connection:
        for as_text, search in shapes:
            words = search.get("q")
            shape = _Filters(
                dialect=db.dialect.name, by_type=False, by_language=False, words=1 if words else 0
            )
            values: dict[str, object] = {"user_id": user_id, "limit": 20, "offset": 0}
            if words:
                values |= (
                    {"words": words}
                    if db.dialect.name == "postgresql"
                    else {"word_0": f"%{words}%"}
                )
            page = _page_query(shape, content_as_text=as_text)
            expected = (await connection.execute(page, values)).all()
            found = await fetch_rows(connection, page, values)
            assert len(found) == len(expected) == (1 if words else 2)
            for ours, theirs in zip(found, expected, strict=True):
                assert ours._fields == theirs._fields
                assert tuple(ours) == tuple(theirs)
                assert [type(v) for v in ours] == [type(v) for v in theirs]
