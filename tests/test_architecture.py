"""docs/architecture.md matches the code: every package and top-level module it names exists,
and every one that exists is named; migrations import no application code."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
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


def test_migrations_import_no_application_code() -> None:
    """A revision is the schema as it was: live code changes after it (import-linter does not
    see the revisions, which are files rather than modules, so this reads their imports)."""
    allowed = {"__future__", "alembic", "sqlalchemy"}
    found = {}
    for path in sorted((PACKAGE / "migrations" / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in allowed and top not in sys.stdlib_module_names:
                    found.setdefault(path.name, []).append(name)
    assert not found, f"migrations import application code: {found}"
