"""The first schema: users, activity_log, saved_content and feedback (with generation_id and
the activity event), and the tables that authentication needs.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMPTZ = sa.DateTime(timezone=True)
CONTENT_TYPES = "content_type IN ('flashcards', 'exercises', 'simulation')"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at", TIMESTAMPTZ, server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("last_login", TIMESTAMPTZ, nullable=True),
        sa.Column("default_target_language", sa.String(length=50), nullable=True),
        sa.Column("default_base_language", sa.String(length=50), nullable=True),
        sa.Column("self_assessed_level", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "self_assessed_level IN ('A1', 'A2', 'B1', 'B2', 'C1', 'C2')",
            name=op.f("ck_users_self_assessed_level"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index("idx_users_username", "users", ["username"])
    op.create_index("idx_users_email", "users", ["email"])

    op.create_table(
        "activity_log",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "timestamp", TIMESTAMPTZ, server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("query_text", sa.Text(), nullable=False),
        sa.Column("target_language", sa.String(length=50), nullable=False),
        sa.Column("base_language", sa.String(length=50), nullable=True),
        sa.Column("request_metadata", JSON, nullable=True),
        sa.Column("response_metadata", JSON, nullable=True),
        sa.Column("generation_id", sa.Uuid(), nullable=True),
        sa.Column("event", sa.String(length=10), nullable=False),
        sa.CheckConstraint(CONTENT_TYPES, name=op.f("ck_activity_log_content_type")),
        sa.CheckConstraint(
            "event IN ('query', 'output', 'error')", name=op.f("ck_activity_log_event")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_activity_log_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("log_id", name=op.f("pk_activity_log")),
    )
    op.create_index(
        "idx_activity_log_user_timestamp", "activity_log", ["user_id", sa.text("timestamp DESC")]
    )
    op.create_index("idx_activity_log_generation_id", "activity_log", ["generation_id"])

    op.create_table(
        "saved_content",
        sa.Column("saved_content_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("original_query", sa.Text(), nullable=False),
        sa.Column("content_data", JSON, nullable=False),
        sa.Column(
            "saved_at", TIMESTAMPTZ, server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("user_label", sa.String(length=100), nullable=True),
        sa.Column("user_notes", sa.Text(), nullable=True),
        sa.Column("generation_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(CONTENT_TYPES, name=op.f("ck_saved_content_content_type")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_saved_content_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("saved_content_id", name=op.f("pk_saved_content")),
    )
    op.create_index("idx_saved_content_user", "saved_content", ["user_id"])
    op.create_index(op.f("ix_saved_content_generation_id"), "saved_content", ["generation_id"])

    op.create_table(
        "feedback",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "timestamp", TIMESTAMPTZ, server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("related_log_id", sa.Integer(), nullable=True),
        sa.Column("related_saved_content_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("feedback_text", sa.Text(), nullable=True),
        sa.Column("context_details", JSON, nullable=True),
        sa.Column("generation_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_feedback_rating")),
        sa.ForeignKeyConstraint(
            ["related_log_id"],
            ["activity_log.log_id"],
            name=op.f("fk_feedback_related_log_id_activity_log"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["related_saved_content_id"],
            ["saved_content.saved_content_id"],
            name=op.f("fk_feedback_related_saved_content_id_saved_content"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_feedback_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_feedback")),
    )
    op.create_index("idx_feedback_user", "feedback", ["user_id"])
    op.create_index("idx_feedback_related_log", "feedback", ["related_log_id"])
    op.create_index("idx_feedback_related_saved", "feedback", ["related_saved_content_id"])
    op.create_index(op.f("ix_feedback_generation_id"), "feedback", ["generation_id"])

    op.create_table(
        "auth_tokens",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("expires_at", TIMESTAMPTZ, nullable=False),
        sa.Column("revoked_at", TIMESTAMPTZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_auth_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_auth_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_auth_tokens_token_digest")),
    )
    op.create_index(op.f("ix_auth_tokens_user_id"), "auth_tokens", ["user_id"])

    op.create_table(
        "login_attempts",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("attempted_at", TIMESTAMPTZ, nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_login_attempts")),
    )
    op.create_index(
        "idx_login_attempts_username_at", "login_attempts", ["username", "attempted_at"]
    )


def downgrade() -> None:
    for table in (
        "login_attempts",
        "auth_tokens",
        "feedback",
        "saved_content",
        "activity_log",
        "users",
    ):
        op.drop_table(table)
