"""Review: cards and review logs (FSRS), each learner's review settings and time zone, and a
generation saved at most once per learner.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("review_auto_cards", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(sa.Column("review_desired_retention", sa.Float(), nullable=True))
        batch.add_column(sa.Column("review_new_per_day", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("fsrs_parameters", JSON, nullable=True))
        batch.add_column(
            sa.Column("fsrs_reviews_at_fit", sa.Integer(), server_default="0", nullable=False)
        )

    # Saves of one generation made before this revision: the first keeps the link.
    op.execute(
        """
        UPDATE saved_content SET generation_id = NULL
        WHERE generation_id IS NOT NULL AND saved_content_id NOT IN (
            SELECT MIN(saved_content_id) FROM saved_content
            WHERE generation_id IS NOT NULL GROUP BY user_id, generation_id
        )
        """
    )
    op.create_index(
        "uq_saved_content_user_generation",
        "saved_content",
        ["user_id", "generation_id"],
        unique=True,
    )

    op.create_table(
        "review_cards",
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("saved_content_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("item_index", sa.Integer(), nullable=True),
        sa.Column("front", sa.Text(), nullable=False),
        sa.Column("back", sa.Text(), nullable=False),
        sa.Column("example", sa.Text(), nullable=True),
        sa.Column("example_translation", sa.Text(), nullable=True),
        sa.Column("target_language", sa.String(length=50), nullable=True),
        sa.Column("base_language", sa.String(length=50), nullable=True),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", TIMESTAMPTZ, nullable=False),
        sa.Column("last_review", TIMESTAMPTZ, nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.CheckConstraint("state IN (1, 2, 3)", name=op.f("ck_review_cards_state")),
        sa.ForeignKeyConstraint(
            ["saved_content_id"],
            ["saved_content.saved_content_id"],
            name=op.f("fk_review_cards_saved_content_id_saved_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_review_cards_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_review_cards")),
        sa.UniqueConstraint(
            "saved_content_id", "source", "item_index", name="uq_review_cards_source"
        ),
    )
    op.create_index(
        "idx_review_cards_user_due",
        "review_cards",
        ["user_id", "due", "state", "suspended", "last_review"],
    )

    op.create_table(
        "review_logs",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("reviewed_at", TIMESTAMPTZ, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("elapsed_days", sa.Integer(), nullable=False),
        sa.Column("stability_after", sa.Float(), nullable=False),
        sa.Column("difficulty_after", sa.Float(), nullable=False),
        sa.Column("state_before", sa.SmallInteger(), nullable=False),
        sa.Column("step_before", sa.Integer(), nullable=True),
        sa.Column("stability_before", sa.Float(), nullable=True),
        sa.Column("difficulty_before", sa.Float(), nullable=True),
        sa.Column("due_before", TIMESTAMPTZ, nullable=False),
        sa.Column("last_review_before", TIMESTAMPTZ, nullable=True),
        sa.CheckConstraint("rating >= 1 AND rating <= 4", name=op.f("ck_review_logs_rating")),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["review_cards.card_id"],
            name=op.f("fk_review_logs_card_id_review_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_review_logs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_review_logs")),
    )
    op.create_index("idx_review_logs_card", "review_logs", ["card_id"])
    op.create_index("idx_review_logs_user_reviewed", "review_logs", ["user_id", "reviewed_at"])


def downgrade() -> None:
    op.drop_table("review_logs")
    op.drop_table("review_cards")
    op.drop_index("uq_saved_content_user_generation", table_name="saved_content")
    with op.batch_alter_table("users") as batch:
        for column in (
            "fsrs_reviews_at_fit",
            "fsrs_parameters",
            "review_new_per_day",
            "review_desired_retention",
            "review_auto_cards",
            "timezone",
        ):
            batch.drop_column(column)
