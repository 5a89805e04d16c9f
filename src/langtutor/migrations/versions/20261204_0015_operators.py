"""The operator's console, its people side: accounts disabled and last active
(`users.disabled_at`, `users.last_active_at`), invite codes with uses, expiry and revocation,
the server's settings row (`server_settings`: the sign-up policy, the first operator made
once), one-time password-reset codes (`password_reset_codes`) and the audit log
(`audit_log`).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("disabled_at", TIMESTAMPTZ, nullable=True))
        batch.add_column(sa.Column("last_active_at", TIMESTAMPTZ, nullable=True))
    op.execute("UPDATE users SET last_active_at = last_login")
    _invite_codes()
    _server_settings()
    _reset_codes()
    _audit_log()


def _invite_codes() -> None:
    with op.batch_alter_table("invite_codes") as batch:
        batch.add_column(sa.Column("max_uses", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("use_count", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("revoked_at", TIMESTAMPTZ, nullable=True))
        batch.add_column(sa.Column("code_hint", sa.String(length=4), nullable=True))
        batch.add_column(sa.Column("created_by_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_invite_codes_created_by_user_id_users"),
            "users",
            ["created_by_user_id"],
            ["user_id"],
            ondelete="SET NULL",
        )
    op.execute("UPDATE invite_codes SET use_count = 1 WHERE used_at IS NOT NULL")
    with op.batch_alter_table("invite_codes") as batch:
        batch.create_check_constraint(op.f("ck_invite_codes_max_uses"), "max_uses >= 1")
        batch.create_check_constraint(
            op.f("ck_invite_codes_use_count"), "use_count >= 0 AND use_count <= max_uses"
        )


def _server_settings() -> None:
    op.create_table(
        "server_settings",
        sa.Column("settings_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("registration", sa.String(length=16), nullable=True),
        sa.Column(
            "first_operator_claimed", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=True),
        sa.CheckConstraint("settings_id = 1", name=op.f("ck_server_settings_one_row")),
        sa.CheckConstraint(
            "registration IN ('open', 'invite', 'closed')",
            name=op.f("ck_server_settings_registration"),
        ),
        sa.PrimaryKeyConstraint("settings_id", name=op.f("pk_server_settings")),
    )
    # A server that has accounts already has had its first sign-up.
    op.execute(
        "INSERT INTO server_settings (settings_id, first_operator_claimed) "
        "SELECT 1, EXISTS (SELECT 1 FROM users)"
    )


def _reset_codes() -> None:
    op.create_table(
        "password_reset_codes",
        sa.Column("reset_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("expires_at", TIMESTAMPTZ, nullable=False),
        sa.Column("used_at", TIMESTAMPTZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_password_reset_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reset_id", name=op.f("pk_password_reset_codes")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_password_reset_codes_code_digest")),
    )
    op.create_index(
        op.f("ix_password_reset_codes_user_id"), "password_reset_codes", ["user_id"], unique=False
    )


def _audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMPTZ, nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=50), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("target_name", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=255), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.user_id"],
            name=op.f("fk_audit_log_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_audit_log")),
    )
    op.create_index("idx_audit_log_at", "audit_log", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("idx_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_password_reset_codes_user_id"), table_name="password_reset_codes")
    op.drop_table("password_reset_codes")
    op.drop_table("server_settings")
    with op.batch_alter_table("invite_codes") as batch:
        batch.drop_constraint(op.f("ck_invite_codes_use_count"), type_="check")
        batch.drop_constraint(op.f("ck_invite_codes_max_uses"), type_="check")
        batch.drop_constraint(op.f("fk_invite_codes_created_by_user_id_users"), type_="foreignkey")
        batch.drop_column("created_by_user_id")
        batch.drop_column("code_hint")
        batch.drop_column("revoked_at")
        batch.drop_column("use_count")
        batch.drop_column("max_uses")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_active_at")
        batch.drop_column("disabled_at")
