"""Throwaway databases migrated by Alembic, for the tests and the benchmarks."""

from __future__ import annotations

import contextlib
import os
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
        url = f"sqlite+aiosqlite:///{workdir}/{prefix}.db"
        command.upgrade(alembic_config(url), "head")
        yield url
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
