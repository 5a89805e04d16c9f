"""Learning together: a saved set shared by link (`content_shares`: one live, unguessable
token per set, deleted with the set), and per-address rate limits for what anyone may ask
without an account (`client_rate_limits`: a shared set's views).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CALLS = postgresql.ARRAY(sa.Float()).with_variant(sa.JSON(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "content_shares",
        sa.Column("saved_content_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["saved_content_id"],
            ["saved_content.saved_content_id"],
            name=op.f("fk_content_shares_saved_content_id_saved_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_content_shares_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("saved_content_id", name=op.f("pk_content_shares")),
        sa.UniqueConstraint("token", name=op.f("uq_content_shares_token")),
    )
    op.create_index("idx_content_shares_user", "content_shares", ["user_id"])
    op.create_table(
        "client_rate_limits",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("calls", CALLS, nullable=False),
        sa.PrimaryKeyConstraint("address", "kind", name=op.f("pk_client_rate_limits")),
    )


def downgrade() -> None:
    op.drop_table("client_rate_limits")
    op.drop_index("idx_content_shares_user", table_name="content_shares")
    op.drop_table("content_shares")
