"""Language codes and CEFR levels: what learners type, normalized to what we store."""

from __future__ import annotations

from functools import lru_cache

import langcodes
from language_data.names import code_to_names, normalize_name

from langtutor.enums import Level

LEVEL_ALIASES = {
    "beginner": Level.A2,
    "intermediate": Level.B1,
    "advanced": Level.C1,
    "fluent": Level.C2,
}

LEVEL_DESCRIPTIONS = {
    Level.A1: "Breakthrough: understands and uses familiar everyday expressions and basic phrases.",
    Level.A2: "Waystage: handles simple, routine exchanges on familiar topics in short sentences.",
    Level.B1: "Threshold: deals with most travel situations and describes experiences and plans.",
    Level.B2: "Vantage: interacts with fluency on a wide range of topics, including abstract ones.",
    Level.C1: "Effective proficiency: flexible language for social, academic and work use.",
    Level.C2: "Mastery: understands virtually everything and expresses nuance precisely.",
}

# The languages the pages can be read in (BCP 47 tags; each has a catalog under
# web/locales/, English being the source).
INTERFACE_LANGUAGES = (
    "en", "ar", "de", "es", "fr", "hi", "it", "ja", "ko", "pl", "pt-BR", "ru", "tr", "uk", "vi",
    "zh-Hans",
)  # fmt: skip


class UnknownLanguageError(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(
            f"unknown language {value!r}: give a language code such as 'es' or a name in "
            "English such as 'Spanish'"
        )
        self.value = value


class UnknownLevelError(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(
            f"unknown level {value!r}: use a CEFR level A1, A2, B1, B2, C1 or C2 "
            "(or Beginner, Intermediate, Advanced, Fluent)"
        )
        self.value = value


@lru_cache(maxsize=4096)
def normalize_language(value: str) -> str:
    """'Spanish', 'spanish', 'ES' and 'es' all become 'es'; unknown input raises."""
    text = value.strip()
    if not text or len(text) > 50 or not text.isprintable():
        raise UnknownLanguageError(value)
    try:
        if langcodes.tag_is_valid(text.replace("_", "-")):
            code = langcodes.standardize_tag(text.replace("_", "-"), macro=True)
            if _is_known(code):
                return str(code)
        code = str(langcodes.find(text))
        # find() also matches prefixes ("Klingonish" -> Klingon); accept only an exact name.
        names = {normalize_name(name) for name in code_to_names(code).values()}
    except (LookupError, ValueError, SystemError):  # the name trie chokes on odd code points
        raise UnknownLanguageError(value) from None
    if normalize_name(text) not in names or not _is_known(code):
        raise UnknownLanguageError(value)
    return code


def _is_known(code: str) -> bool:
    language = langcodes.Language.get(code)
    if not language.is_valid() or language.language in (None, "und"):
        return False
    return bool(code_to_names(language.language))


@lru_cache(maxsize=1024)
def language_name(code: str) -> str:
    """English name of a stored code, for prompts and pages: 'es' -> 'Spanish' (remembered:
    langcodes takes a tenth of a millisecond to say it, on every generation's prompt)."""
    return str(langcodes.Language.get(code).display_name("en"))


def normalize_level(value: str) -> Level:
    text = value.strip()
    alias = LEVEL_ALIASES.get(text.lower())
    if alias is not None:
        return alias
    try:
        return Level(text.upper())
    except ValueError:
        raise UnknownLevelError(value) from None
