"""Activity-log entries that the database refused on their own, set aside for an operator
(`activity_quarantine`) instead of holding up everyone's entries behind them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "activity_quarantine",
        sa.Column("quarantine_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("entry_timestamp", TIMESTAMPTZ, nullable=False),
        sa.Column("quarantined_at", TIMESTAMPTZ, nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_activity_quarantine_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("quarantine_id", name=op.f("pk_activity_quarantine")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_activity_quarantine_entry_id")),
    )
    op.create_index(
        op.f("ix_activity_quarantine_user_id"), "activity_quarantine", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_activity_quarantine_user_id"), table_name="activity_quarantine")
    op.drop_table("activity_quarantine")
