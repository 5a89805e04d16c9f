"""Learning together: a saved set copied from another learner's (a shared link or a class's
assignment) names who it came from (`saved_content.shared_by`, their name at copy time).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("saved_content") as batch:
        batch.add_column(sa.Column("shared_by", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saved_content") as batch:
        batch.drop_column("shared_by")
