"""The live schema built by the migrations holds every column, CHECK, index and ON DELETE
rule of the original four-table design (docs/architecture.md), on PostgreSQL and on SQLite."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from langtutor.migrations import alembic_config

# table -> column -> (PostgreSQL type, SQLite declared type, nullable), as first designed.
SEED_COLUMNS: dict[str, dict[str, tuple[str, str, bool]]] = {
    "users": {
        "user_id": ("integer", "INTEGER", False),
        "username": ("character varying(50)", "VARCHAR(50)", False),
        "email": ("character varying(255)", "VARCHAR(255)", True),
        "password_hash": ("character varying(255)", "VARCHAR(255)", False),
        "created_at": ("timestamp with time zone", "DATETIME", True),
        "last_login": ("timestamp with time zone", "DATETIME", True),
        "default_target_language": ("character varying(50)", "VARCHAR(50)", True),
        "default_base_language": ("character varying(50)", "VARCHAR(50)", True),
        "self_assessed_level": ("character varying(20)", "VARCHAR(20)", True),
    },
    "activity_log": {
        "log_id": ("integer", "INTEGER", False),
        "user_id": ("integer", "INTEGER", False),
        # NOT NULL since activity_log is partitioned by it (a partition key belongs to the
        # primary key); nothing ever wrote an entry without one.
        "timestamp": ("timestamp with time zone", "DATETIME", False),
        "content_type": ("character varying(20)", "VARCHAR(20)", False),
        "query_text": ("text", "TEXT", False),
        "target_language": ("character varying(50)", "VARCHAR(50)", False),
        "base_language": ("character varying(50)", "VARCHAR(50)", True),
        "request_metadata": ("jsonb", "JSON", True),
        "response_metadata": ("jsonb", "JSON", True),
        "generation_id": ("uuid", "CHAR(32)", True),
        "event": ("character varying(16)", "VARCHAR(16)", False),  # 16 since 0018
    },
    "saved_content": {
        "saved_content_id": ("integer", "INTEGER", False),
        "user_id": ("integer", "INTEGER", False),
        "content_type": ("character varying(20)", "VARCHAR(20)", False),
        "original_query": ("text", "TEXT", False),
        "content_data": ("jsonb", "JSON", False),
        "saved_at": ("timestamp with time zone", "DATETIME", True),
        "user_label": ("character varying(100)", "VARCHAR(100)", True),
        "user_notes": ("text", "TEXT", True),
    },
    "feedback": {
        "feedback_id": ("integer", "INTEGER", False),
        "user_id": ("integer", "INTEGER", False),
        "timestamp": ("timestamp with time zone", "DATETIME", True),
        "related_log_id": ("integer", "INTEGER", True),
        "related_saved_content_id": ("integer", "INTEGER", True),
        "rating": ("smallint", "SMALLINT", True),
        "feedback_text": ("text", "TEXT", True),
        "context_details": ("jsonb", "JSON", True),
    },
}

SEED_INDEXES = {
    "idx_users_username": ("users", ["username"]),
    "idx_users_email": ("users", ["email"]),
    "idx_activity_log_user_timestamp": ("activity_log", ["user_id", "timestamp DESC"]),
    "idx_saved_content_user": ("saved_content", ["user_id"]),
    "idx_feedback_user": ("feedback", ["user_id"]),
    "idx_feedback_related_log": ("feedback", ["related_log_id"]),
    "idx_feedback_related_saved": ("feedback", ["related_saved_content_id"]),
}


async def columns(connection: AsyncConnection, table: str) -> dict[str, tuple[str, bool]]:
    if connection.dialect.name == "postgresql":
        rows = await connection.execute(
            text(
                "SELECT column_name, format_type(a.atttypid, a.atttypmod), is_nullable = 'YES'"
                " FROM information_schema.columns c"
                " JOIN pg_attribute a ON a.attrelid = c.table_name::regclass"
                "  AND a.attname = c.column_name"
                " WHERE c.table_name = :table"
            ),
            {"table": table},
        )
        return {name: (kind, nullable) for name, kind, nullable in rows}
    rows = await connection.execute(text(f"PRAGMA table_info({table})"))
    return {row.name: (row.type, not row.notnull and not row.pk) for row in rows}


async def test_seed_columns(db: AsyncEngine, backend: str) -> None:
    async with db.connect() as connection:
        for table, expected in SEED_COLUMNS.items():
            live = await columns(connection, table)
            for column, (pg_type, sqlite_type, nullable) in expected.items():
                kind = pg_type if backend == "postgresql" else sqlite_type
                assert live[column] == (kind, nullable), (table, column, live[column])


async def test_serial_keys_and_timestamp_defaults(db: AsyncEngine, backend: str) -> None:
    keys = (
        "users.user_id",
        "activity_log.log_id",
        "saved_content.saved_content_id",
        "feedback.feedback_id",
    )
    stamps = (
        "users.created_at",
        "activity_log.timestamp",
        "saved_content.saved_at",
        "feedback.timestamp",
    )
    async with db.connect() as connection:
        if backend == "postgresql":
            defaults = dict(
                (
                    await connection.execute(
                        text(
                            "SELECT table_name || '.' || column_name, column_default"
                            " FROM information_schema.columns WHERE column_default IS NOT NULL"
                        )
                    )
                ).all()
            )
            for key in keys:
                assert defaults[key].startswith("nextval("), key  # SERIAL
        else:
            defaults = {}
            for table in SEED_COLUMNS:
                for row in await connection.execute(text(f"PRAGMA table_info({table})")):
                    defaults[f"{table}.{row.name}"] = row.dflt_value
                    if f"{table}.{row.name}" in keys:
                        assert (row.pk, row.type) == (1, "INTEGER")  # rowid alias: auto-numbered
    for key in stamps:
        assert defaults[key].strip("()") == "CURRENT_TIMESTAMP", key


async def test_seed_indexes(db: AsyncEngine, backend: str) -> None:
    async with db.connect() as connection:
        if backend == "postgresql":
            rows = await connection.execute(
                text(
                    "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                )
            )
            live = {name: (table, definition) for name, table, definition in rows}
            for name, (table, parts) in SEED_INDEXES.items():
                assert live[name][0] == table
                columns_sql = live[name][1].split("(", 1)[1].rstrip(")")
                assert columns_sql.replace('"', "") == ", ".join(parts), live[name]
        else:
            for name, (table, parts) in SEED_INDEXES.items():
                sql = (
                    await connection.execute(
                        text(
                            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND name = :n"
                        ),
                        {"n": name},
                    )
                ).one()
                assert sql[0] == table
                assert sql[1].split("(", 1)[1].rstrip(")").replace('"', "") == ", ".join(parts)


async def insert_user(connection: AsyncConnection, name: str) -> int:
    return int(
        (
            await connection.execute(
                text(
                    "INSERT INTO users (username, password_hash) VALUES (:n, 'x') RETURNING user_id"
                ),
                {"n": name},
            )
        ).scalar_one()
    )


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO activity_log (user_id, content_type, query_text, target_language, event)"
        " VALUES (:u, 'poems', 'q', 'es', 'query')",
        "INSERT INTO saved_content (user_id, content_type, original_query, content_data)"
        " VALUES (:u, 'poems', 'q', '{}')",
        "INSERT INTO feedback (user_id, rating) VALUES (:u, 0)",
        "INSERT INTO feedback (user_id, rating) VALUES (:u, 6)",
        "INSERT INTO activity_log (user_id, content_type, query_text, target_language, event)"
        " VALUES (:u, 'flashcards', 'q', 'es', 'other')",
        "INSERT INTO activity_log (user_id, content_type, query_text, target_language, event)"
        " VALUES (99999, 'flashcards', 'q', 'es', 'query')",
        "INSERT INTO users (username, password_hash) VALUES ('dup', 'x')",
    ],
)
async def test_check_and_foreign_key_constraints(db: AsyncEngine, statement: str) -> None:
    async with db.begin() as connection:
        user_id = await insert_user(connection, "dup")
    with pytest.raises(IntegrityError):
        async with db.begin() as connection:
            await connection.execute(text(statement), {"u": user_id})
    async with db.begin() as connection:
        for rating in (1, 5, None):
            await connection.execute(
                text("INSERT INTO feedback (user_id, rating) VALUES (:u, :r)"),
                {"u": user_id, "r": rating},
            )


async def test_on_delete_rules(db: AsyncEngine) -> None:
    async with db.begin() as connection:
        user_id = await insert_user(connection, "owner")
        keep_id = await insert_user(connection, "bystander")
        ids = {}
        for who in (user_id, keep_id):
            log_id = (
                await connection.execute(
                    text(
                        "INSERT INTO activity_log (user_id, content_type, query_text, target_language, event)"
                        " VALUES (:u, 'exercises', 'q', 'es', 'output') RETURNING log_id"
                    ),
                    {"u": who},
                )
            ).scalar_one()
            saved_id = (
                await connection.execute(
                    text(
                        "INSERT INTO saved_content (user_id, content_type, original_query, content_data)"
                        " VALUES (:u, 'exercises', 'q', '{}') RETURNING saved_content_id"
                    ),
                    {"u": who},
                )
            ).scalar_one()
            feedback_id = (
                await connection.execute(
                    text(
                        "INSERT INTO feedback (user_id, related_log_id, related_saved_content_id, rating)"
                        " VALUES (:u, :l, :s, 3) RETURNING feedback_id"
                    ),
                    {"u": who, "l": log_id, "s": saved_id},
                )
            ).scalar_one()
            ids[who] = (log_id, saved_id, feedback_id)

    log_id, saved_id, feedback_id = ids[user_id]
    async with db.begin() as connection:
        await connection.execute(
            text("DELETE FROM saved_content WHERE saved_content_id = :s"), {"s": saved_id}
        )
        await connection.execute(text("DELETE FROM activity_log WHERE log_id = :l"), {"l": log_id})
        row = (
            await connection.execute(
                text(
                    "SELECT related_log_id, related_saved_content_id FROM feedback WHERE feedback_id = :f"
                ),
                {"f": feedback_id},
            )
        ).one()
        assert tuple(row) == (None, None)  # SET NULL from both
        await connection.execute(text("DELETE FROM users WHERE user_id = :u"), {"u": user_id})
    async with db.connect() as connection:
        for table in ("activity_log", "saved_content", "feedback"):
            owners = (
                (await connection.execute(text(f"SELECT user_id FROM {table}"))).scalars().all()
            )
            assert owners == [keep_id], table  # CASCADE from users, bystander untouched
        kept = (
            await connection.execute(
                text("SELECT related_log_id, related_saved_content_id FROM feedback")
            )
        ).one()
        assert tuple(kept) == ids[keep_id][:2]


def test_models_and_migrations_agree(database_url: str) -> None:
    """`alembic check` on both databases: no difference between the ORM models and the schema
    the migrations build."""
    command.check(alembic_config(database_url))
