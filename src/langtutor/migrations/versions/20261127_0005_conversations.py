"""Conversations: interactive role-play, its scene and roles, and each turn.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("roles", JSON, nullable=False),
        sa.Column("learner_role", sa.String(length=100), nullable=False),
        sa.Column("vocabulary", JSON, nullable=True),
        sa.Column("target_language", sa.String(length=50), nullable=False),
        sa.Column("base_language", sa.String(length=50), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("source_generation_id", sa.Uuid(), nullable=True),
        sa.Column("source_saved_content_id", sa.Integer(), nullable=True),
        sa.Column("learner_turns", sa.Integer(), nullable=False),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=False),
        sa.Column("finished_at", TIMESTAMPTZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_conversations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("key", name=op.f("uq_conversations_key")),
    )
    op.create_index("idx_conversations_user_updated", "conversations", ["user_id", "updated_at"])
    op.create_table(
        "conversation_turns",
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("translation", sa.Text(), nullable=True),
        sa.Column("corrections", JSON, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.CheckConstraint(
            "speaker IN ('learner', 'model')", name=op.f("ck_conversation_turns_speaker")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.conversation_id"],
            name=op.f("fk_conversation_turns_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("turn_id", name=op.f("pk_conversation_turns")),
        sa.UniqueConstraint("conversation_id", "position", name="uq_conversation_turns_position"),
    )


def downgrade() -> None:
    op.drop_table("conversation_turns")
    op.drop_index("idx_conversations_user_updated", table_name="conversations")
    op.drop_table("conversations")
