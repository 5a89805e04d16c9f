"""Text that the database and every client can take.

PostgreSQL stores no NUL (U+0000) in text or jsonb; no UTF-8 text holds a lone surrogate
(U+D800–U+DFFF), so neither the database driver nor an answer's encoder can write one; and the
other C0 control characters (BEL, ESC, ...) are nothing a learner should see but what a
terminal acts on. Requests with NUL are refused at the door (`schemas.RequestModel`); what a
language model answers is cleaned of all of them instead (`clean_json_text`), before it is
validated, stored, logged or shown: a learner can ask the model for such characters.
"""

from __future__ import annotations

import re
from typing import Any

# Tab, newline and carriage return are text; a surrogate code point in a Python string is a
# lone one (a pair decodes to one code point).
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# JSON escapes, left to right: a surrogate pair (one character, kept), one `\uXXXX` (dropped
# when unwanted), or any other escape, kept whole but for `\b` and `\f` (backspace and form
# feed); `\\` included: the `u0000` after an escaped backslash is text, not an escape.
_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|\\u([0-9a-fA-F]{4})"
    r"|\\.",
    re.DOTALL,
)


def _unwanted(code: int) -> bool:
    return (code < 0x20 and code not in (0x09, 0x0A, 0x0D)) or 0xD800 <= code <= 0xDFFF


_DROPPED_SHORT = frozenset({"\\b", "\\f"})


def _escape(match: re.Match[str]) -> str:
    code, escape = match.group(1), match.group(0)
    if code is not None:
        return "" if _unwanted(int(code, 16)) else escape
    return "" if escape in _DROPPED_SHORT else escape


def clean_text(text: str) -> str:
    """The text without NUL, lone surrogates and C0 controls (but tab, newline and CR)."""
    return _UNWANTED.sub("", text)


def clean_json_text(text: str) -> str:
    """JSON text (a model's answer, whole or as far as it has come) without those
    characters, written as they are or as `\\u` escapes."""
    text = clean_text(text)
    return _ESCAPE.sub(_escape, text) if "\\" in text else text


def clean_value(value: Any) -> Any:
    """A JSON value with every string (keys too) cleaned as `clean_text` does."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    return value
