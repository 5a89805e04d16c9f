"""Reviews made offline: `review_logs.client_review_id`, the id the learner's device gave a
review, unique per learner so that a review sent twice is kept once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_logs") as batch:
        batch.add_column(sa.Column("client_review_id", sa.Uuid(), nullable=True))
        batch.create_unique_constraint("uq_review_logs_client", ["user_id", "client_review_id"])


def downgrade() -> None:
    with op.batch_alter_table("review_logs") as batch:
        batch.drop_constraint("uq_review_logs_client", type_="unique")
        batch.drop_column("client_review_id")
