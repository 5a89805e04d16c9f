"""Activity-log entries carry the id the batch logger gave them: a replayed spool writes
each entry once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("activity_log", sa.Column("entry_id", sa.Uuid(), nullable=True))
    op.create_index("idx_activity_log_entry_id", "activity_log", ["entry_id"], unique=True)


def downgrade() -> None:
    op.drop_index("idx_activity_log_entry_id", table_name="activity_log")
    op.drop_column("activity_log", "entry_id")
