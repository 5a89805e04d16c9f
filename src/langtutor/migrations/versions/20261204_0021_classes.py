"""Classes: `classes` (a teacher's class and its join code), `class_members` (who joined, and
whether assigned sets go into their review), `class_assignments` (a set assigned, its due
date), `assignment_copies` (which saved set is a member's copy of it); and
`saved_content.finished_at` (when a set was first gone through to its end: an assignment
done).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def _user(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.user_id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def _set(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["saved_content_id"],
        ["saved_content.saved_content_id"],
        name=op.f(f"fk_{table}_saved_content_id_saved_content"),
        ondelete="SET NULL",
    )


def _class(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["class_id"],
        ["classes.class_id"],
        name=op.f(f"fk_{table}_class_id_classes"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("saved_content") as batch:
        batch.add_column(sa.Column("finished_at", TIMESTAMPTZ, nullable=True))
    op.create_table(
        "classes",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("join_code", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["users.user_id"],
            name=op.f("fk_classes_teacher_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("class_id", name=op.f("pk_classes")),
    )
    op.create_index("idx_classes_teacher", "classes", ["teacher_id"])
    op.create_index("uq_classes_join_code", "classes", ["join_code"], unique=True)
    op.create_table(
        "class_members",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("review_cards", sa.Boolean(), nullable=False),
        sa.Column("joined_at", TIMESTAMPTZ, nullable=False),
        _class("class_members"),
        _user("class_members"),
        sa.PrimaryKeyConstraint("class_id", "user_id", name=op.f("pk_class_members")),
    )
    op.create_index("idx_class_members_user", "class_members", ["user_id"])
    op.create_table(
        "class_assignments",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("saved_content_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("assigned_at", TIMESTAMPTZ, nullable=False),
        _class("class_assignments"),
        _set("class_assignments"),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_class_assignments")),
    )
    op.create_index("idx_class_assignments_class", "class_assignments", ["class_id"])
    op.create_table(
        "assignment_copies",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("saved_content_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["class_assignments.assignment_id"],
            name=op.f("fk_assignment_copies_assignment_id_class_assignments"),
            ondelete="CASCADE",
        ),
        _user("assignment_copies"),
        _set("assignment_copies"),
        sa.PrimaryKeyConstraint("assignment_id", "user_id", name=op.f("pk_assignment_copies")),
    )
    op.create_index("idx_assignment_copies_user", "assignment_copies", ["user_id"])


def downgrade() -> None:
    op.drop_table("assignment_copies")
    op.drop_table("class_assignments")
    op.drop_table("class_members")
    op.drop_table("classes")
    with op.batch_alter_table("saved_content") as batch:
        batch.drop_column("finished_at")
