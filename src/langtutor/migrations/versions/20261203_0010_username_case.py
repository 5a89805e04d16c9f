"""Usernames compare without case: each account gets a `username_key` (unique), and login
throttling counts by client as well as by name (`login_attempts` gains the client and holds
keys; `sign_up_attempts` is new).

Accounts whose names already differ only in case: the oldest (lowest user_id) of each group
gets the key and so every spelling of the name at login; the others keep no key and log in
by their exact name, as before. They are listed in the migration's log.

`login_attempts` is made anew: it holds at most fifteen minutes of failed logins, so the
throttling state of the moment of the upgrade is all that is lost.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMPTZ = sa.DateTime(timezone=True)
logger = logging.getLogger("alembic.runtime.migration")


def username_key(name: str) -> str:
    """The application's rule when this migration was written (accounts.usernames)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFD", name).casefold())
    return unicodedata.normalize("NFKC", folded.casefold())


def upgrade() -> None:
    op.add_column("users", sa.Column("username_key", sa.String(length=255), nullable=True))
    connection = op.get_bind()
    owners: dict[str, str] = {}
    keys = []
    for user_id, username in connection.execute(
        sa.text("SELECT user_id, username FROM users ORDER BY user_id")
    ):
        key = username_key(username)
        if key in owners:
            logger.warning(
                "username %r differs from the older %r only in case: it keeps no key and "
                "logs in by its exact name",
                username,
                owners[key],
            )
            continue
        owners[key] = username
        keys.append({"user_id": user_id, "key": key})
    if keys:
        connection.execute(
            sa.text("UPDATE users SET username_key = :key WHERE user_id = :user_id"), keys
        )
    op.create_index("idx_users_username_key", "users", ["username_key"], unique=True)

    op.drop_index("idx_login_attempts_username_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.create_table(
        "login_attempts",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", TIMESTAMPTZ, nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_login_attempts")),
    )
    op.create_index(
        "idx_login_attempts_username_at", "login_attempts", ["username", "attempted_at"]
    )
    op.create_index("idx_login_attempts_client_at", "login_attempts", ["client", "attempted_at"])
    op.create_index("idx_login_attempts_at", "login_attempts", ["attempted_at"])

    op.create_table(
        "sign_up_attempts",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", TIMESTAMPTZ, nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_sign_up_attempts")),
    )
    op.create_index(
        "idx_sign_up_attempts_client_at", "sign_up_attempts", ["client", "attempted_at"]
    )
    op.create_index("idx_sign_up_attempts_at", "sign_up_attempts", ["attempted_at"])


def downgrade() -> None:
    op.drop_table("sign_up_attempts")
    op.drop_table("login_attempts")
    op.create_table(
        "login_attempts",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("attempted_at", TIMESTAMPTZ, nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_login_attempts")),
    )
    op.create_index(
        "idx_login_attempts_username_at", "login_attempts", ["username", "attempted_at"]
    )
    op.drop_index("idx_users_username_key", table_name="users")
    op.drop_column("users", "username_key")
