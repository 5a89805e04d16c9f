"""Alembic migrations of the schema, one set for PostgreSQL and SQLite."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from langtutor.config import get_settings


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic's configuration without an ini file: these migrations, on this database
    (LANGTUTOR_DATABASE_URL unless given)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url or get_settings().DATABASE_URL)
    return config
