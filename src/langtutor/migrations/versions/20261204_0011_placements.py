"""Placement ("Find my level"): `placements`, one row per placement test (its items and
answers as JSON, its result, the level accepted), and the activity log's `placement` event
(a level accepted).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
LEVELS = "'A1', 'A2', 'B1', 'B2', 'C1', 'C2'"
EVENTS = "'query', 'output', 'error', 'answer', 'explain', 'study', 'turn', 'reply'"
EVENTS_BEFORE = f"event IN ({EVENTS})"
EVENTS_AFTER = f"event IN ({EVENTS}, 'placement')"


def upgrade() -> None:
    op.create_table(
        "placements",
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=50), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("texts", JSON, nullable=True),
        sa.Column("level", sa.String(length=2), nullable=True),
        sa.Column("vocabulary_size", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("accepted_level", sa.String(length=2), nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("finished_at", TIMESTAMPTZ, nullable=True),
        sa.Column("accepted_at", TIMESTAMPTZ, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "stage IN ('vocabulary', 'gaps', 'done')", name=op.f("ck_placements_stage")
        ),
        sa.CheckConstraint(f"level IN ({LEVELS})", name=op.f("ck_placements_level")),
        sa.CheckConstraint(
            f"accepted_level IN ({LEVELS})", name=op.f("ck_placements_accepted_level")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_placements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("placement_id", name=op.f("pk_placements")),
    )
    op.create_index(
        "idx_placements_user_created", "placements", ["user_id", "created_at"], unique=False
    )
    _events(EVENTS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM activity_log WHERE event = 'placement'")
    _events(EVENTS_BEFORE)
    op.drop_index("idx_placements_user_created", table_name="placements")
    op.drop_table("placements")


def _events(check: str) -> None:
    """The activity log's events: on PostgreSQL the partitioned table's CHECK (its partitions
    follow); on SQLite through batch mode, which copies the table and loses an index's DESC."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_activity_log_event"), "activity_log", type_="check")
        op.create_check_constraint(op.f("ck_activity_log_event"), "activity_log", check)
        return
    with op.batch_alter_table("activity_log") as batch:
        batch.drop_constraint(op.f("ck_activity_log_event"), type_="check")
        batch.create_check_constraint(op.f("ck_activity_log_event"), check)
    indexes: dict[str, list[str | sa.TextClause]] = {
        "idx_activity_log_user_timestamp": ["user_id", sa.text("timestamp DESC")],
        "idx_activity_log_user_event_timestamp": ["user_id", "event", sa.text("timestamp DESC")],
    }
    for name, columns in indexes.items():
        op.drop_index(name, table_name="activity_log")
        op.create_index(name, "activity_log", columns)
