"""How usernames compare: names that differ only in case, or in Unicode's compatibility forms
(full-width letters, ligatures), are one name. Each account stores its name's key; the key is
unique, and logging in finds the account by it."""

from __future__ import annotations

import unicodedata


def username_key(name: str) -> str:
    """Unicode's compatibility caseless match (D146: NFKD, case fold, NFKD, case fold), kept
    in its composed form. Python's `casefold()`, not the database's `lower()`: they differ for
    some scripts, and one rule must decide everywhere (`VICTIM` and `victim`, `Straße` and
    `STRASSE`, `ｖｉｃｔｉｍ` and `victim` are each one name)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFD", name).casefold())
    return unicodedata.normalize("NFKC", folded.casefold())
