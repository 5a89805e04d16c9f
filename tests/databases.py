"""Throwaway databases migrated by Alembic, for the tests and the benchmarks."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from alembic import command

from langtutor.migrations import alembic_config

PG_ADMIN_DSN = os.environ.get("LANGTUTOR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip()


@contextlib.contextmanager
def throwaway_database(kind: str, workdir: Path, prefix: str = "langtutor_test") -> Iterator[str]:
    """An async SQLAlchemy URL of a new database at the migrations' head, dropped afterwards."""
    if kind == "sqlite":
        with (
            contextlib.closing(sqlite3.connect(_sqlite_at_head())) as source,
            contextlib.closing(sqlite3.connect(workdir / f"{prefix}.db")) as copy,
        ):
            source.backup(copy)
        yield f"sqlite+aiosqlite:///{workdir}/{prefix}.db"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        url = f"{base}/{name}"
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@functools.cache
def _sqlite_at_head() -> Path:
    """A SQLite database at the migrations' head, made once per process: each throwaway is a
    copy of it (milliseconds, where migrating takes up to a second, and the mutation run
    starts a test session per mutant, forked from a process that made it already)."""
    folder = Path(tempfile.mkdtemp(prefix="langtutor-head-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "head.db"
    command.upgrade(alembic_config(f"sqlite+aiosqlite:///{path}"), "head")
    return path
