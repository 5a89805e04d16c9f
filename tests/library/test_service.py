"""The library's rules without HTTP: checked content, and the text helpers of the exports."""

from __future__ import annotations

import pytest

from langtutor.enums import ContentType
from langtutor.errors import PayloadTooLarge, Unprocessable
from langtutor.library.exports import anki_field, md_block, md_inline
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
