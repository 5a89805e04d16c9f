"""`users` (credentials, default languages and level) and the tables authentication needs."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from langtutor.db import Base, JSONType, UTCDateTime, utcnow
from langtutor.enums import Level, sql_in


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("idx_users_username", "username"),
        Index("idx_users_email", "email"),
        Index("idx_users_username_key", "username_key", unique=True),
        CheckConstraint(f"self_assessed_level IN ({sql_in(Level)})", name="self_assessed_level"),
    )

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    # The name as names compare (accounts.usernames): one account per key, found by any case
    # of its name. NULL only for accounts that shared a key with an older one when keys came.
    username_key: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    default_target_language: Mapped[str | None] = mapped_column(String(50))
    default_base_language: Mapped[str | None] = mapped_column(String(50))
    self_assessed_level: Mapped[str | None] = mapped_column(String(20))
    # Where the learner's days end (reviews roll over at 4 a.m. there); UTC when unset.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Review: each learner's own settings (the server's defaults when unset) and FSRS fit.
    review_auto_cards: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    review_desired_retention: Mapped[float | None] = mapped_column(Float)
    review_new_per_day: Mapped[int | None] = mapped_column(Integer)
    fsrs_parameters: Mapped[list[float] | None] = mapped_column(JSONType)
    fsrs_reviews_at_fit: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Generation may show the model the learner's weak items and recent content.
    use_history: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The operator: made with `langtutor user create --admin`, or the first account.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Items a day (cards reviewed or studied, answers checked) the learner aims at.
    daily_goal: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    # "Continue" on the home page: the set last opened (saved, or a generation not yet
    # saved) and the card reached in it. No foreign key: a deleted set is simply not found.
    continue_saved_content_id: Mapped[int | None] = mapped_column(Integer)
    continue_generation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    continue_position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Cards read aloud as they come into view (off: only when the learner presses play).
    audio_autoplay: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The language the pages speak to them (a tag of languages.INTERFACE_LANGUAGES); None: their
    # base language where the pages have it, else the browser's.
    interface_language: Mapped[str | None] = mapped_column(String(16))
    # Disabled by an operator: no login, and every token revoked when it happened.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last login or browser-session renewal (renewals are written at most once an hour).
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthToken(Base):
    """A bearer token; only its keyed digest is stored, so a database leak yields no tokens."""

    __tablename__ = "auth_tokens"

    token_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A browser session renews on use (sliding expiry) up to this moment; API tokens, NULL
    # here, keep their fixed lifetime.
    renewable_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InviteCode(Base):
    """A sign-up code (the sign-up policy `invite`), good for `max_uses` sign-ups until it
    expires or an operator revokes it; only its digest and its last four characters (to tell
    codes apart in a list) are stored."""

    __tablename__ = "invite_codes"
    __table_args__ = (
        CheckConstraint("max_uses >= 1", name="max_uses"),
        CheckConstraint("use_count >= 0 AND use_count <= max_uses", name="use_count"),
    )

    invite_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last sign-up that used it.
    used_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )
    max_uses: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    use_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_hint: Mapped[str | None] = mapped_column(String(4))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="SET NULL")
    )


REGISTRATION_MODES = ("open", "invite", "closed")


class ServerSettings(Base):
    """The server's one row of settings an operator changes at run time: the sign-up policy
    (NULL: `LANGTUTOR_REGISTRATION`), and whether the first operator has been made (the
    first sign-up claims it with a conditional update, so exactly one account ever does)."""

    __tablename__ = "server_settings"
    __table_args__ = (
        CheckConstraint("settings_id = 1", name="one_row"),
        CheckConstraint(
            "registration IN ({})".format(", ".join(f"'{mode}'" for mode in REGISTRATION_MODES)),
            name="registration",
        ),
    )

    settings_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    registration: Mapped[str | None] = mapped_column(String(16))
    first_operator_claimed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordResetCode(Base):
    """A one-time code an operator gave a learner to set a new password; only its digest is
    stored, and a new code replaces the learner's unused ones."""

    __tablename__ = "password_reset_codes"

    reset_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """Logins that failed (and the one under way), kept in the database so that throttling
    holds across processes (see accounts.throttle); older than the window, they are deleted."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("idx_login_attempts_username_at", "username", "attempted_at"),
        Index("idx_login_attempts_client_at", "client", "attempted_at"),
        Index("idx_login_attempts_at", "attempted_at"),
    )

    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The key of the username tried (accounts.usernames), whether an account has it or not.
    username: Mapped[str] = mapped_column(String(255))
    # Who tried: `addr:<address>` (an IPv6 address by its /64) or `device:<id>`, a browser
    # that signed in to this account before.
    client: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignUpAttempt(Base):
    """Sign-ups asked for, by client address, for the per-address limit (accounts.throttle)."""

    __tablename__ = "sign_up_attempts"
    __table_args__ = (
        Index("idx_sign_up_attempts_client_at", "client", "attempted_at"),
        Index("idx_sign_up_attempts_at", "attempted_at"),
    )

    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
