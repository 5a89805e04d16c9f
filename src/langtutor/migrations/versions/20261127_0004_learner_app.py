"""The learner's app: operator accounts and invite codes, browser sessions that renew on use,
a daily goal, where to continue, and each saved set's language, when it was last studied and
its best score.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("daily_goal", sa.Integer(), server_default="20", nullable=False))
        batch.add_column(sa.Column("continue_saved_content_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("continue_generation_id", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("continue_position", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("audio_autoplay", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("auth_tokens") as batch:
        batch.add_column(sa.Column("renewable_until", TIMESTAMPTZ, nullable=True))
    with op.batch_alter_table("saved_content") as batch:
        batch.add_column(sa.Column("target_language", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("last_studied_at", TIMESTAMPTZ, nullable=True))
        batch.add_column(sa.Column("best_score", sa.Float(), nullable=True))
    # Items saved from a generation learn its language from the generation's query entry.
    op.execute(
        """
        UPDATE saved_content SET target_language = (
            SELECT a.target_language FROM activity_log a
            WHERE a.generation_id = saved_content.generation_id
              AND a.user_id = saved_content.user_id AND a.event = 'query'
            LIMIT 1
        )
        WHERE generation_id IS NOT NULL
        """
    )
    op.create_table(
        "invite_codes",
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("expires_at", TIMESTAMPTZ, nullable=True),
        sa.Column("used_at", TIMESTAMPTZ, nullable=True),
        sa.Column("used_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["used_by_user_id"],
            ["users.user_id"],
            name=op.f("fk_invite_codes_used_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("invite_id", name=op.f("pk_invite_codes")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_invite_codes_code_digest")),
    )


def downgrade() -> None:
    op.drop_table("invite_codes")
    with op.batch_alter_table("saved_content") as batch:
        batch.drop_column("best_score")
        batch.drop_column("last_studied_at")
        batch.drop_column("target_language")
    with op.batch_alter_table("auth_tokens") as batch:
        batch.drop_column("renewable_until")
    with op.batch_alter_table("users") as batch:
        for column in (
            "audio_autoplay",
            "continue_position",
            "continue_generation_id",
            "continue_saved_content_id",
            "daily_goal",
            "is_admin",
        ):
            batch.drop_column(column)
