"""The cleaning of a model's JSON answer: whatever text it holds, written as it is or escaped,
the cleaned answer decodes to that text without NUL, lone surrogates and C0 controls (tab,
newline and CR kept), and an escaped backslash is never read as the start of an escape."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from langtutor.text import clean_json_text, clean_text

# Any code point, lone surrogates and controls included, with backslashes and `u` often.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from(["\\", "u", "0", "d", "\x00", "\ud800", "\udc00"]),
    )
)


def expected(text: str) -> str:
    return "".join(
        character
        for character in text
        if not (
            (ord(character) < 0x20 and character not in "\t\n\r")
            or 0xD800 <= ord(character) <= 0xDFFF
        )
    )


@given(TEXT, st.booleans())
def test_a_json_string_decodes_to_its_text_cleaned(text: str, ascii_only: bool) -> None:
    answer = json.dumps({"reply": text}, ensure_ascii=ascii_only)
    assert json.loads(clean_json_text(answer)) == {"reply": expected(text)}


@given(TEXT)
def test_clean_text_keeps_everything_else(text: str) -> None:
    assert clean_text(text) == expected(text)


def test_a_surrogate_pair_is_one_character_and_stays() -> None:
    assert json.loads(clean_json_text('"\\ud83d\\ude00 \\ud83d \\ude00"')) == "\U0001f600  "
    assert clean_json_text('"\\\\u0000"') == '"\\\\u0000"'  # an escaped backslash, then text
