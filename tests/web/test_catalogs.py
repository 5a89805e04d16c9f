"""Every interface language is complete: each catalog translates every message the code and
templates hold (extraction finds none missing), with no fuzzy entry, the English placeholders
and markup kept, and every page renders in it with the right `<html lang dir>`."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from langtutor.languages import INTERFACE_LANGUAGES
from langtutor.web import i18n
from tests.web.html import parse
from tests.web.test_pages import sign_up

ROOT = Path(__file__).parents[2]
TRANSLATED = [tag for tag in INTERFACE_LANGUAGES if tag != i18n.SOURCE_LANGUAGE]
# Python's named placeholders (%(name)s) and the markup a message may hold.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%%")
MARKUP = re.compile(r"</?[a-z][^>]*>")


@cache
def extracted(tmp: Path) -> Catalog:
    """The messages of the code and templates as `make messages` extracts them."""
    pot = tmp / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "pyproject.toml"]
        + ["--no-location", "-k", "N_", "-o", str(pot), "src/langtutor"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return extracted(tmp_path_factory.mktemp("messages"))


def catalog(tag: str) -> Catalog:
    with i18n.catalog_path(tag).open("rb") as file:
        return read_po(file, locale=i18n.interface(tag).locale)


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_extraction_reads_the_templates(messages: Catalog) -> None:
    assert messages.get("Language") is not None


@pytest.mark.parametrize("tag", TRANSLATED)
def test_a_catalog_translates_every_message_of_the_code_and_no_other(
    tag: str, messages: Catalog
) -> None:
    translated = catalog(tag)
    wanted = {message.id for message in messages if message.id}
    held = {message.id for message in translated if message.id}
    assert not wanted - held, f"{tag} lacks (run `make messages`): {sorted(wanted - held)[:5]}"
    assert not held - wanted, (
        f"{tag} holds messages no longer in the code: {sorted(held - wanted)[:5]}"
    )


@pytest.mark.parametrize("tag", TRANSLATED)
def test_every_entry_is_translated_not_fuzzy_with_the_english_placeholders(tag: str) -> None:
    translated = catalog(tag)
    plural_forms = translated.num_plurals
    problems: list[str] = []
    for message in translated:
        if not message.id:
            continue
        english = ids(message)
        if message.fuzzy:
            problems.append(f"fuzzy: {english[0]!r}")
        texts = forms(message)
        if not all(text.strip() for text in texts):
            problems.append(f"untranslated: {english[0]!r}")
            continue
        if message.pluralizable and len(texts) != plural_forms:
            problems.append(f"{len(texts)} of {plural_forms} plural forms: {english[0]!r}")
        names = sorted({name for text in english for name in placeholders(text)})
        for text in texts:
            if sorted(set(placeholders(text))) != names:
                problems.append(f"placeholders {placeholders(text)} for {names}: {english[0]!r}")
            if sorted(MARKUP.findall(text)) != sorted(MARKUP.findall(english[-1])):
                problems.append(f"markup changed: {english[0]!r}")
    assert not problems, f"{tag}: " + "; ".join(problems[:10])


SIGNED_OUT_PAGES = ["/", "/app/login", "/app/register", "/app/nowhere"]
SIGNED_IN_PAGES = [
    "/app",
    "/app/review",
    "/app/generate",
    "/app/conversations",
    "/app/library",
    "/app/progress",
    "/app/profile",
    "/app/plan",
    "/app/placement",
]


@pytest.mark.parametrize("tag", INTERFACE_LANGUAGES)
async def test_every_page_renders_in_every_language(client: httpx.AsyncClient, tag: str) -> None:
    direction = i18n.interface(tag).direction
    for path in SIGNED_OUT_PAGES:
        answer = await client.get(path, headers={"Accept-Language": tag})
        assert answer.status_code in (200, 404), (path, answer.status_code)
        html = parse(answer.text).find("html").attrs
        assert (html["lang"], html["dir"]) == (tag, direction), path
    csrf = await sign_up(client, "ana", default_target_language="fr", default_base_language="en")
    chosen = await client.patch(
        "/users/me", json={"interface_language": tag}, headers={"X-CSRF-Token": csrf}
    )
    assert chosen.status_code == 200
    for path in SIGNED_IN_PAGES:
        answer = await client.get(path, headers={"Accept-Language": "en"})
        assert answer.status_code == 200, (path, answer.status_code)
        html = parse(answer.text).find("html").attrs
        assert (html["lang"], html["dir"]) == (tag, direction), path
