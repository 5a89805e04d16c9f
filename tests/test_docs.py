"""The documentation holds together: every setting is in the settings page, the README opens
with the two commands and stays short, each page stays readable, and every relative link
leads somewhere."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from langtutor.config import Settings

SETTINGS_PAGE = Path("docs") / "configuration.md"
README_MAX_LINES = 300
DOCS_PAGE_MAX_LINES = 400
TEXT_TOKENS = {"text", "code_inline"}


def pages(repo_root: Path) -> list[Path]:
    return [repo_root / "README.md", *sorted((repo_root / "docs").glob("*.md"))]


def parse(page: Path) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(page.read_text())


def links(page: Path) -> list[str]:
    """Every link and image target of a page, outside code."""
    found = []
    for token in parse(page):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(str(child.attrs["href"]))
            elif child.type == "image":
                found.append(str(child.attrs["src"]))
    return found


def anchors(page: Path) -> set[str]:
    """The ids GitHub gives a page's headings: the heading's text in lower case, punctuation
    dropped, spaces as hyphens."""
    tokens = parse(page)
    found = set()
    for opening, inline in itertools.pairwise(tokens):
        if opening.type == "heading_open":
            text = "".join(
                child.content for child in inline.children or [] if child.type in TEXT_TOKENS
            )
            found.add(re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-"))
    return found


def test_every_setting_is_in_the_settings_page(repo_root: Path) -> None:
    text = (repo_root / SETTINGS_PAGE).read_text()
    missing = [name for name in Settings.model_fields if f"`LANGTUTOR_{name}`" not in text]
    assert not missing, f"settings missing from the settings table in {SETTINGS_PAGE}: {missing}"


def test_readme_opens_with_the_two_commands(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    first_block = readme.split("```", 2)[1]
    assert "make run" in first_block
    assert "make test" in first_block


def test_readme_and_docs_pages_stay_short(repo_root: Path) -> None:
    limits = dict.fromkeys(pages(repo_root), DOCS_PAGE_MAX_LINES)
    limits[repo_root / "README.md"] = README_MAX_LINES
    too_long = {
        str(page.relative_to(repo_root)): f"{lines} lines (at most {limit})"
        for page, limit in limits.items()
        if (lines := len(page.read_text().splitlines())) > limit
    }
    assert not too_long, f"move reference material to a page of docs/: {too_long}"


def test_every_relative_link_leads_to_a_file_and_heading(repo_root: Path) -> None:
    broken = []
    for page in pages(repo_root):
        for target in links(page):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            path, _, fragment = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(repo_root)} -> {target}"
            if not linked.exists():
                broken.append(f"{where}: no such file")
            elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
                broken.append(f"{where}: no such heading")
    assert not broken, f"relative links that lead nowhere: {broken}"
