"""Indexes by time for the operator's console: the activity log's entries of a period
(`timestamp`, with `event` and `user_id` so that counting learners and answers reads the
index alone) and the review log's (`reviewed_at`, `user_id`). On PostgreSQL's partitioned
`activity_log` the index is made on every partition.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "idx_activity_log_timestamp_event_user",
        "activity_log",
        ["timestamp", "event", "user_id"],
    )
    op.create_index("idx_review_logs_reviewed_user", "review_logs", ["reviewed_at", "user_id"])


def downgrade() -> None:
    op.drop_index("idx_review_logs_reviewed_user", table_name="review_logs")
    op.drop_index("idx_activity_log_timestamp_event_user", table_name="activity_log")
