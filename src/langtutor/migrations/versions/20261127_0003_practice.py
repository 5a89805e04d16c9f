"""Practice: scored exercise answers, explanations and studied sets in the activity log,
review cards from mistakes (keyed by their generation), and each learner's history-aware
generation switch.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS_BEFORE = "event IN ('query', 'output', 'error')"
EVENTS_AFTER = (
    "event IN ('query', 'output', 'error', 'answer', 'explain', 'study', 'turn', 'reply')"
)


def upgrade() -> None:
    with op.batch_alter_table("activity_log") as batch:
        batch.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch.drop_constraint(op.f("ck_activity_log_event"), type_="check")
        batch.create_check_constraint(op.f("ck_activity_log_event"), EVENTS_AFTER)
        batch.create_check_constraint(
            op.f("ck_activity_log_score"), "score >= 0.0 AND score <= 1.0"
        )
    _keep_descending_index()
    op.create_index(
        "idx_activity_log_user_event_timestamp",
        "activity_log",
        ["user_id", "event", sa.text("timestamp DESC")],
    )
    with op.batch_alter_table("review_cards") as batch:
        batch.add_column(sa.Column("generation_id", sa.Uuid(), nullable=True))
        batch.create_unique_constraint(
            "uq_review_cards_generation", ["user_id", "generation_id", "source", "item_index"]
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("use_history", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("use_history")
    with op.batch_alter_table("review_cards") as batch:
        batch.drop_constraint("uq_review_cards_generation", type_="unique")
        batch.drop_column("generation_id")
    op.drop_index("idx_activity_log_user_event_timestamp", table_name="activity_log")
    op.execute(
        "DELETE FROM activity_log WHERE event IN ('answer', 'explain', 'study', 'turn', 'reply')"
    )
    with op.batch_alter_table("activity_log") as batch:
        batch.drop_constraint(op.f("ck_activity_log_score"), type_="check")
        batch.drop_constraint(op.f("ck_activity_log_event"), type_="check")
        batch.create_check_constraint(op.f("ck_activity_log_event"), EVENTS_BEFORE)
        batch.drop_column("score")
    _keep_descending_index()


def _keep_descending_index() -> None:
    """SQLite's batch mode copies the table and its indexes, losing an index's DESC."""
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("idx_activity_log_user_timestamp", table_name="activity_log")
        op.create_index(
            "idx_activity_log_user_timestamp",
            "activity_log",
            ["user_id", sa.text("timestamp DESC")],
        )
