"""Archiving of the activity log: per-learner, per-day summaries (`activity_days`) and per-day
quality summaries (`quality_days`) of archived entries; on PostgreSQL, `activity_log` becomes
partitioned by month (a copy of every row into the new table, in this migration's transaction).

A partition key must belong to every unique key, so on PostgreSQL the primary key becomes
(log_id, timestamp) and the spool's unique index (entry_id, timestamp), `timestamp` NOT NULL
(rows without one, which nothing ever wrote, get 1970-01-01), and the foreign key from
`feedback.related_log_id` (which would need the whole key) is replaced by a trigger with the
same effect: deleting an entry sets the links to it to NULL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INDEXES = (
    "CREATE INDEX idx_activity_log_generation_id ON activity_log (generation_id)",
    "CREATE INDEX idx_activity_log_user_timestamp ON activity_log (user_id, timestamp DESC)",
    "CREATE INDEX idx_activity_log_user_event_timestamp"
    " ON activity_log (user_id, event, timestamp DESC)",
)
# The partitions' SQL as it was at this revision (a migration never imports live code, which
# may change after it): monthly partitions `activity_log_pYYYYMM` (UTC months), this month and
# the next three made ahead, and the trigger that unlinks feedback from a deleted entry.
AHEAD_MONTHS = 3
UNLINK_FEEDBACK_FUNCTION = """
CREATE OR REPLACE FUNCTION activity_log_unlink_feedback() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('langtutor.moving_rows', true), '') <> 'on' THEN
        UPDATE feedback SET related_log_id = NULL WHERE related_log_id = OLD.log_id;
    END IF;
    RETURN NULL;
END
$$
"""
UNLINK_FEEDBACK_TRIGGER = (
    "CREATE TRIGGER activity_log_unlink_feedback AFTER DELETE ON activity_log"
    " FOR EACH ROW EXECUTE FUNCTION activity_log_unlink_feedback()"
)


def upgrade() -> None:
    op.create_table(
        "activity_days",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_activity_days_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_activity_days")),
    )
    op.create_table(
        "quality_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("target_language", sa.String(length=50), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("prompt_version", sa.String(length=50), nullable=False),
        sa.Column("error", sa.String(length=50), nullable=False),
        *[
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "generations",
                "reasked",
                "mismatched",
                "rated",
                "rating_sum",
                "thumbs",
                "down",
            )
        ],
        sa.Column("comments", JSON, nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "content_type",
            "target_language",
            "model",
            "prompt_version",
            "error",
            name=op.f("pk_quality_days"),
        ),
    )
    stamps = sa.table("activity_log", sa.column("timestamp", sa.DateTime(timezone=True)))
    op.execute(stamps.update().where(stamps.c.timestamp.is_(None)).values(timestamp=EPOCH))
    if op.get_bind().dialect.name == "postgresql":
        _partition()
        return
    with op.batch_alter_table("activity_log") as batch:
        batch.alter_column("timestamp", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.drop_index("idx_activity_log_entry_id")
        batch.create_index("idx_activity_log_entry_id", ["entry_id", "timestamp"], unique=True)
    _descending_indexes_again()


def _descending_indexes_again() -> None:
    """SQLite's batch mode copies the table and its indexes, losing an index's DESC."""
    indexes: dict[str, list[str | sa.TextClause]] = {
        "idx_activity_log_user_timestamp": ["user_id", sa.text("timestamp DESC")],
        "idx_activity_log_user_event_timestamp": ["user_id", "event", sa.text("timestamp DESC")],
    }
    for name, columns in indexes.items():
        op.drop_index(name, table_name="activity_log")
        op.create_index(name, "activity_log", columns)


def _partition() -> None:
    """The partitioned table beside the old one, every row copied (indexes built after), then
    the names swapped; the id sequence is kept."""
    op.execute(
        "CREATE TABLE activity_log_partitioned"
        " (LIKE activity_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        " PARTITION BY RANGE (timestamp)"
    )
    op.execute("ALTER TABLE activity_log_partitioned ALTER COLUMN timestamp SET NOT NULL")
    op.execute("CREATE TABLE activity_log_default PARTITION OF activity_log_partitioned DEFAULT")
    months = op.get_bind().execute(
        sa.text(
            "SELECT DISTINCT date_trunc('month', timestamp AT TIME ZONE 'UTC') FROM activity_log"
        )
    )
    for month in sorted({row[0].date() for row in months} | set(_months_ahead())):
        op.execute(_create_partition_sql(month, parent="activity_log_partitioned"))
    op.execute("INSERT INTO activity_log_partitioned SELECT * FROM activity_log")
    op.execute("ALTER TABLE feedback DROP CONSTRAINT fk_feedback_related_log_id_activity_log")
    op.execute("ALTER SEQUENCE activity_log_log_id_seq OWNED BY NONE")
    op.execute("DROP TABLE activity_log")
    op.execute("ALTER TABLE activity_log_partitioned RENAME TO activity_log")
    op.execute("ALTER SEQUENCE activity_log_log_id_seq OWNED BY activity_log.log_id")
    op.execute(
        "ALTER TABLE activity_log ADD CONSTRAINT pk_activity_log PRIMARY KEY (log_id, timestamp)"
    )
    op.execute(
        "ALTER TABLE activity_log ADD CONSTRAINT fk_activity_log_user_id_users"
        " FOREIGN KEY (user_id) REFERENCES users (user_id) ON DELETE CASCADE"
    )
    for statement in INDEXES:
        op.execute(statement)
    op.execute(
        "CREATE UNIQUE INDEX idx_activity_log_entry_id ON activity_log (entry_id, timestamp)"
    )
    op.execute(UNLINK_FEEDBACK_FUNCTION)
    op.execute(UNLINK_FEEDBACK_TRIGGER)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _months_ahead() -> list[date]:
    """This month (UTC) and the AHEAD_MONTHS after it."""
    months = [datetime.now(UTC).date().replace(day=1)]
    for _ in range(AHEAD_MONTHS):
        months.append(_next_month(months[-1]))
    return months


def _create_partition_sql(month: date, *, parent: str) -> str:
    def bound(day: date) -> str:
        return f"'{datetime.combine(day, datetime.min.time(), UTC).isoformat()}'"

    return (
        f"CREATE TABLE activity_log_p{month:%Y%m} PARTITION OF {parent}"
        f" FOR VALUES FROM ({bound(month)}) TO ({bound(_next_month(month))})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition()
    else:
        with op.batch_alter_table("activity_log") as batch:
            batch.drop_index("idx_activity_log_entry_id")
            batch.create_index("idx_activity_log_entry_id", ["entry_id"], unique=True)
            batch.alter_column("timestamp", existing_type=sa.DateTime(timezone=True), nullable=True)
        _descending_indexes_again()
    op.drop_table("quality_days")
    op.drop_table("activity_days")


def _unpartition() -> None:
    op.execute(
        "CREATE TABLE activity_log_plain (LIKE activity_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    op.execute("INSERT INTO activity_log_plain SELECT * FROM activity_log")
    op.execute("ALTER SEQUENCE activity_log_log_id_seq OWNED BY NONE")
    op.execute("DROP TABLE activity_log CASCADE")
    op.execute("DROP FUNCTION IF EXISTS activity_log_unlink_feedback()")
    op.execute("ALTER TABLE activity_log_plain RENAME TO activity_log")
    op.execute("ALTER SEQUENCE activity_log_log_id_seq OWNED BY activity_log.log_id")
    op.execute("ALTER TABLE activity_log ALTER COLUMN timestamp DROP NOT NULL")
    op.execute("ALTER TABLE activity_log ADD CONSTRAINT pk_activity_log PRIMARY KEY (log_id)")
    op.execute(
        "ALTER TABLE activity_log ADD CONSTRAINT fk_activity_log_user_id_users"
        " FOREIGN KEY (user_id) REFERENCES users (user_id) ON DELETE CASCADE"
    )
    for statement in INDEXES:
        op.execute(statement)
    op.execute("CREATE UNIQUE INDEX idx_activity_log_entry_id ON activity_log (entry_id)")
    op.execute(
        "ALTER TABLE feedback ADD CONSTRAINT fk_feedback_related_log_id_activity_log"
        " FOREIGN KEY (related_log_id) REFERENCES activity_log (log_id) ON DELETE SET NULL"
    )
