"""docs/architecture.md matches the code: every package and top-level module it names exists,
and every one that exists is named."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import langtutor

PACKAGE = Path(langtutor.__file__).parent
NAMED = re.compile(r"`(langtutor(?:\.[a-z_]+)*)`")


def named_in_docs(repo_root: Path) -> set[str]:
    return set(NAMED.findall((repo_root / "docs" / "architecture.md").read_text()))


def existing() -> set[str]:
    packages = {
        "langtutor." + ".".join(init.parent.relative_to(PACKAGE).parts)
        for init in PACKAGE.rglob("__init__.py")
        if init.parent != PACKAGE
    }
    modules = {f"langtutor.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    return packages | modules


def test_every_name_in_the_architecture_page_exists(repo_root: Path) -> None:
    missing = sorted(
        name for name in named_in_docs(repo_root) if importlib.util.find_spec(name) is None
    )
    assert not missing, f"docs/architecture.md names what does not exist: {missing}"


def test_every_package_and_module_is_in_the_architecture_page(repo_root: Path) -> None:
    unnamed = sorted(existing() - named_in_docs(repo_root))
    assert not unnamed, f"docs/architecture.md does not name: {unnamed}"
