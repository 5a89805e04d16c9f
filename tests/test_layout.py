"""The shape docs/architecture.md promises, checked against the code: one way in for routes
and pages (the learner and the service they call, never a database handle), the route →
service table of the page, and the sizes of modules and functions."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from starlette.routing import BaseRoute

import langtutor
from langtutor.app import create_app
from langtutor.config import Settings
from langtutor.db import Database

PACKAGE = Path(langtutor.__file__).parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# What a route or page may not be given: the database is its service's business.
DATABASE_HANDLES = (AsyncSession, AsyncConnection, AsyncEngine, Database)
DATABASE_WORDS = re.compile(
    r"\b(SessionDep|ReadSessionDep|ReadEngineDep|fetch_rows|AsyncSession|AsyncConnection)\b"
    r"|\.commit\(|\.connect\(|\.connection\(|from langtutor\.db import|\.models import"
    r"|\.repository import"
)
ROUTE_TABLE = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)` \| (.*) \|$", re.M)


@pytest.fixture(scope="module")
def routes() -> list[APIRoute]:
    app = create_app(Settings(DATABASE_URL="sqlite+aiosqlite:///:memory:"))
    return list(flattened(app.routes))


def flattened(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every operation and page, through the routers included in others."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from flattened(included.routes)


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from calls(dependency)


def learner_dependencies(dependant: Dependant) -> set[str]:
    """The ways the route itself asks who the learner is (its own parameters)."""
    return {
        dependency.call.__name__
        for dependency in dependant.dependencies
        if dependency.call is not None and dependency.call.__qualname__.startswith("signed_in.")
    }


def services(dependant: Dependant) -> list[str]:
    """The service objects a route is given, by class name."""
    found = []
    for dependency in dependant.dependencies:
        if dependency.call is None or dependency.call.__module__ != "langtutor.deps":
            continue
        returned = get_type_hints(dependency.call).get("return")
        name = getattr(returned, "__name__", "")
        name = BOUND.get(name, name)
        if name in SERVICE_CLASSES:
            found.append(name)
    return sorted(found)


# The generation service, bound to the request (the model call ends when the client leaves).
BOUND = {"RequestGeneration": "Generation"}
SERVICE_CLASSES = {
    "Classes",
    "Accounts",
    "AdminStats",
    "Activity",
    "Console",
    "Conversations",
    "Generation",
    "Library",
    "Placement",
    "Plans",
    "Practice",
    "PracticeAhead",
    "Review",
    "Sharing",
    "Speaking",
    "Speech",
}


def returns_a_database_handle(call: Callable[..., Any]) -> bool:
    returned = get_type_hints(call).get("return")
    handles = [*getattr(returned, "__args__", ()), returned]  # AsyncIterator[AsyncSession]
    return any(isinstance(kind, type) and issubclass(kind, DATABASE_HANDLES) for kind in handles)


def test_no_route_or_page_holds_a_database_handle(routes: list[APIRoute]) -> None:
    holding = sorted(
        f"{sorted(route.methods)} {route.path}"
        for route in routes
        if any(returns_a_database_handle(call) for call in calls(route.dependant))
    )
    assert not holding, f"routes with a database handle: {holding}"


def test_the_learner_comes_one_way(routes: list[APIRoute]) -> None:
    other = sorted(
        f"{sorted(route.methods)} {route.path}: {ways}"
        for route in routes
        if (ways := learner_dependencies(route.dependant) - {"current_learner"})
    )
    assert not other, f"routes that read the learner another way: {other}"


def test_route_modules_and_pages_import_no_database_code() -> None:
    files = [*(PACKAGE / "api").glob("*.py"), *(PACKAGE / "web").glob("*.py")]
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DATABASE_WORDS.search(line)
    ]
    assert not found, "database code in routes or pages:\n" + "\n".join(found)


def test_the_route_table_of_the_architecture_page_is_the_apps(
    routes: list[APIRoute], repo_root: Path
) -> None:
    documented = {
        (method, path): cells.strip()
        for method, path, cells in ROUTE_TABLE.findall(
            (repo_root / "docs" / "architecture.md").read_text()
        )
    }
    assert documented == route_table(routes), "regenerate it: python -m tests.test_layout"


def route_table(routes: list[APIRoute]) -> dict[tuple[str, str], str]:
    """Each operation and page, and the service objects its route is given."""
    return {
        (method, route.path): ", ".join(f"`{name}`" for name in services(route.dependant)) or "–"
        for route in routes
        if route.path not in ("/docs", "/redoc")
        for method in sorted(route.methods)
    }


def source_files() -> list[Path]:
    return [path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts]


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in source_files()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long


def test_no_function_is_over_60_lines() -> None:
    long = {
        f"{path.relative_to(PACKAGE)}:{node.name}": length
        for path in source_files()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
    }
    assert not long


if __name__ == "__main__":  # the table for docs/architecture.md
    app = create_app(Settings(DATABASE_URL="sqlite+aiosqlite:///:memory:"))
    print("| route | service |\n| --- | --- |")
    for (method, path), names in route_table(list(flattened(app.routes))).items():
        print(f"| `{method} {path}` | {names} |")
