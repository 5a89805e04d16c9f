"""Study plans: `plans` (one a learner: level, language, weeks, minutes a day) and
`plan_steps` (each unit's deck, exercise set and role-play, and what each was made into).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=2), nullable=False),
        sa.Column("target_language", sa.String(length=50), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("minutes_per_day", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.CheckConstraint("weeks >= 1 AND weeks <= 52", name=op.f("ck_plans_weeks")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_plans_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plans")),
        sa.UniqueConstraint("user_id", name="uq_plans_user"),
    )
    op.create_table(
        "plan_steps",
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_index", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=10), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("saved_content_id", sa.Integer(), nullable=True),
        sa.Column("generation_id", sa.Uuid(), nullable=True),
        sa.Column("items", sa.Integer(), nullable=True),
        sa.Column("started_at", TIMESTAMPTZ, nullable=True),
        sa.CheckConstraint(
            "kind IN ('deck', 'exercises', 'conversation')", name=op.f("ck_plan_steps_kind")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.plan_id"],
            name=op.f("fk_plan_steps_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_content_id"],
            ["saved_content.saved_content_id"],
            name=op.f("fk_plan_steps_saved_content_id_saved_content"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_plan_steps_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("step_id", name=op.f("pk_plan_steps")),
        sa.UniqueConstraint("plan_id", "unit_index", "kind", name="uq_plan_steps_unit_kind"),
    )


def downgrade() -> None:
    op.drop_table("plan_steps")
    op.drop_table("plans")
