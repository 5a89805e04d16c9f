"""The vocabulary stage's item bank for one language: real words in frequency bands and
pseudowords, all from `wordfreq`'s word list (shipped in its wheel: nothing is downloaded).

Real words: the list's words in frequency order, kept when they look like a dictionary word
of the language (letters of its own script only, no digits or punctuation, long enough to
be a word and not a fragment) and are not international (a word as frequent in two other
languages of its script is a name, a brand or a loanword: "sebastian", "hotel"). Their rank
in what is kept places them in bands of `BAND_SIZE`.

Pseudowords: made by a model of the same kept words (letter trigrams; for words in Han
characters, which character stands at each place), from a fixed seed (the same bank on
every server), each of the length of a real word of the bank, and thrown away
when `wordfreq` has the string in this language's list or in English's (a learner may know
English), or when it breaks the same shape rule as the real words.
"""

from __future__ import annotations

import gc
import random
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import wordfreq

BAND_SIZE = 1000
BANDS = 6
# Pseudowords made per language: enough for every length the real words have.
PSEUDOWORDS = 1200
# Letters of a script among a language's first words for the script to be its own.
SCRIPT_SHARE = 0.03
# Languages a word is checked against for being international, by script.
_REFERENCES = {
    "LATIN": ("en", "es", "fr", "de", "it", "pt", "nl", "pl", "sv"),
    "CYRILLIC": ("ru", "uk", "bg", "mk"),
    "ARABIC": ("ar", "fa", "ur"),
}
# Written without spaces (one script of a few letters a word): words of 2 to 4 characters;
# Japanese words written in kanji alone or katakana alone (not fragments with okurigana).
_HAN = "CJK"
_UNSPACED_LENGTHS = range(2, 5)
_SPACED_LENGTHS = range(3, 15)
_START, _END = "\x02", "\x03"


@dataclass(frozen=True)
class Word:
    text: str
    # Its place among the bank's real words (0 = most frequent); -1 for a pseudoword.
    rank: int

    @property
    def real(self) -> bool:
        return self.rank >= 0

    @property
    def band(self) -> int:
        return self.rank // BAND_SIZE


@dataclass(frozen=True)
class Bank:
    language: str
    # The real words of each band, in frequency order.
    bands: tuple[tuple[Word, ...], ...]
    # Pseudowords by length.
    pseudowords: dict[int, tuple[Word, ...]]

    def pseudoword_like(self, word: Word, rng: random.Random, taken: set[str]) -> Word:
        """A pseudoword of the word's length (the nearest length there is), not yet used."""
        lengths = sorted(self.pseudowords, key=lambda length: abs(length - len(word.text)))
        for length in lengths:
            free = [w for w in self.pseudowords[length] if w.text not in taken]
            if free:
                return rng.choice(free)
        raise LookupError("the bank has no pseudoword left")


def has_bank(language: str) -> bool:
    """Whether `wordfreq` has a word list of the language big enough for the bands."""
    return language in _BANKABLE


@cache
def bank(language: str) -> Bank:
    """The language's bank, made once per process (a second or two: call it off the event
    loop); the same on every run and every server. `wordfreq` keeps every list it reads for
    good (hundreds of MB for the languages a bank reads): they are let go once it is made."""
    try:
        return _made(language)
    finally:
        wordfreq.get_frequency_dict.cache_clear()
        wordfreq.get_frequency_list.cache_clear()
        gc.collect()


def _made(language: str) -> Bank:
    words = real_words(language)
    bands = tuple(
        tuple(Word(text, rank) for rank, text in enumerate(words) if rank // BAND_SIZE == band)
        for band in range(BANDS)
    )
    known = set(wordfreq.get_frequency_dict(language)) | set(wordfreq.get_frequency_dict("en"))
    made = make_pseudowords(language, words, known)
    by_length: dict[int, list[Word]] = defaultdict(list)
    for text in made:
        by_length[len(text)].append(Word(text, -1))
    return Bank(language, bands, {length: tuple(ws) for length, ws in by_length.items()})


def real_words(language: str) -> list[str]:
    """The language's first `BANDS * BAND_SIZE` words that pass `is_item`, in order."""
    scripts = language_scripts(language)
    international = _International(language, scripts)
    kept: list[str] = []
    for text in wordfreq.iter_wordlist(language):
        if is_item(text, scripts) and not international(text):
            kept.append(text)
            if len(kept) == BANDS * BAND_SIZE:
                break
    return kept


def language_scripts(language: str) -> frozenset[str]:
    """The scripts a language's words are written in: those of a share of the letters of its
    first thousand words (Japanese: kanji, hiragana, katakana)."""
    letters: Counter[str] = Counter()
    for text in wordfreq.top_n_list(language, 1000):
        letters.update(script(ch) for ch in text if ch.isalpha())
    total = sum(letters.values())
    return frozenset(name for name, n in letters.items() if n >= SCRIPT_SHARE * total)


def script(ch: str) -> str:
    """The script of a letter, as the first word of its Unicode name (LATIN, ARABIC, CJK,
    HIRAGANA, KATAKANA...)."""
    return unicodedata.name(ch, "UNKNOWN").split(" ")[0]


def is_item(text: str, scripts: frozenset[str]) -> bool:
    """A word of the language's own letters only, of a word's length; where words are
    written without spaces, in kanji alone or katakana alone."""
    if not text.isalpha():
        return False
    used = {script(ch) for ch in text}
    if not used <= scripts:
        return False
    if _HAN in scripts:
        return len(text) in _UNSPACED_LENGTHS and (used == {_HAN} or used == {"KATAKANA"})
    return len(text) in _SPACED_LENGTHS


class _International:
    """Whether a word is as frequent in two other languages of its script as in its own."""

    def __init__(self, language: str, scripts: frozenset[str]) -> None:
        self.language = language
        references = next((refs for name, refs in _REFERENCES.items() if name in scripts), ())
        self.others = [
            wordfreq.get_frequency_dict(other)
            for other in references
            if other != language and other in wordfreq.available_languages()
        ]
        self.own = wordfreq.get_frequency_dict(language)

    def __call__(self, text: str) -> bool:
        threshold = self.own.get(text, 0.0) / 10  # one unit of Zipf below
        return sum(other.get(text, 0.0) >= threshold for other in self.others) >= 2


def make_pseudowords(language: str, words: list[str], known: set[str]) -> list[str]:
    """`PSEUDOWORDS` strings, each made like a real word of the bank drawn at random and of
    its length (so their lengths are distributed as the words' are), none a known word:
    words in Han characters (Chinese, Japanese kanji) by a model of which character stands
    at each place of a word of that length; all others by a letter trigram model."""
    rng = random.Random(f"langtutor placement {language}")
    han = [text for text in words if _is_han(text)]
    trigrams = _trigrams(text for text in words if not _is_han(text))
    places = _places(han)
    scripts = language_scripts(language)
    real = set(words)
    made: list[str] = []
    seen: set[str] = set()
    for _ in range(PSEUDOWORDS * 50):
        target = rng.choice(words)
        if _is_han(target):
            text: str | None = "".join(rng.choice(chars) for chars in places[len(target)])
        else:
            text = _generate(trigrams, len(target), rng)
        if text is None or text in seen or text in real or text in known:
            continue
        if not is_item(text, scripts):
            continue
        seen.add(text)
        made.append(text)
        if len(made) == PSEUDOWORDS:
            break
    return made


def _is_han(text: str) -> bool:
    return all(script(ch) == _HAN for ch in text)


def _places(words: Iterable[str]) -> dict[int, list[list[str]]]:
    """For each length, the characters found at each place of words of that length (as
    often as found)."""
    found: dict[int, list[list[str]]] = {}
    for text in words:
        places = found.setdefault(len(text), [[] for _ in text])
        for place, ch in zip(places, text, strict=True):
            place.append(ch)
    return found


_Model = dict[str, tuple[list[str], list[int]]]


def _trigrams(words: Iterable[str]) -> _Model:
    """For each two letters (with start marks), the letters that follow and how often."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for text in words:
        padded = _START * 2 + text + _END
        for i in range(len(padded) - 2):
            counts[padded[i : i + 2]][padded[i + 2]] += 1
    return {key: (list(c), list(c.values())) for key, c in counts.items()}


def _generate(model: _Model, length: int, rng: random.Random) -> str | None:
    """A string of exactly `length` letters drawn from the model, or None if it ends early
    or runs on."""
    out: list[str] = []
    context = _START * 2
    for _ in range(length + 1):
        letters, weights = model.get(context, ([], []))
        if not letters:
            return None
        letter = rng.choices(letters, weights)[0]
        if letter == _END:
            return "".join(out) if len(out) == length else None
        out.append(letter)
        context = context[1] + letter
    return None


def _bankable() -> Iterator[str]:
    """Languages whose `wordfreq` list is large enough for every band: those of its large
    lists (the others have small lists, of 30,000 to 65,000 forms from fewer sources)."""
    yield from wordfreq.available_languages(wordlist="large")


_BANKABLE = frozenset(_bankable())
