"""Speaking: the activity log's `transcription` event (a learner's recording written out by
the transcription server), and room for its name (`event` from 10 to 16 characters).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = "'query', 'output', 'error', 'answer', 'explain', 'study', 'turn', 'reply', 'placement'"
EVENTS_BEFORE = f"event IN ({EVENTS})"
EVENTS_AFTER = f"event IN ({EVENTS}, 'transcription')"


def upgrade() -> None:
    _events(EVENTS_AFTER, sa.String(length=16))


def downgrade() -> None:
    op.execute("DELETE FROM activity_log WHERE event = 'transcription'")
    _events(EVENTS_BEFORE, sa.String(length=10))


def _events(check: str, width: sa.String) -> None:
    """The event column's width and CHECK: on PostgreSQL on the partitioned table (its
    partitions follow); on SQLite through batch mode, which copies the table and loses an
    index's DESC (made again)."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_activity_log_event"), "activity_log", type_="check")
        op.alter_column("activity_log", "event", type_=width, existing_nullable=False)
        op.create_check_constraint(op.f("ck_activity_log_event"), "activity_log", check)
        return
    with op.batch_alter_table("activity_log") as batch:
        batch.drop_constraint(op.f("ck_activity_log_event"), type_="check")
        batch.alter_column("event", type_=width, existing_nullable=False)
        batch.create_check_constraint(op.f("ck_activity_log_event"), check)
    indexes: dict[str, list[str | sa.TextClause]] = {
        "idx_activity_log_user_timestamp": ["user_id", sa.text("timestamp DESC")],
        "idx_activity_log_user_event_timestamp": ["user_id", "event", sa.text("timestamp DESC")],
    }
    for name, columns in indexes.items():
        op.drop_index(name, table_name="activity_log")
        op.create_index(name, "activity_log", columns)
