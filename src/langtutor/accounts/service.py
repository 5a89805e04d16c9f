"""Accounts: registration, login with throttling, tokens, profile and deletion."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from langtutor import notices
from langtutor.accounts.models import AuthToken, InviteCode, LoginAttempt, User
from langtutor.accounts.schemas import UserCreate, UserPublic, UserUpdate, normalize_username
from langtutor.accounts.security import hash_password, new_token, token_digest, verify_password
from langtutor.accounts.throttle import LOCAL, Client, LoginClient, Throttle
from langtutor.accounts.throttle import LOGIN_MAX_FAILURES as LOGIN_MAX_FAILURES
from langtutor.accounts.throttle import new_device as new_device_cookie
from langtutor.accounts.tokens import TokenCache, VerifiedToken
from langtutor.accounts.usernames import username_key
from langtutor.config import Settings
from langtutor.db import session_scope, utcnow
from langtutor.errors import Conflict, Forbidden, Unauthorized, Unprocessable
from langtutor.schemas import contains_nul

MAX_PASSWORD_LENGTH = 1024
DEFAULT_DAILY_GOAL = 20
DEFAULT_THROTTLE = Throttle()
ACCOUNT_GONE = "this account no longer exists; log in again"


class LoginFailed(Unauthorized):
    """A wrong username or password (the throttle counted the attempt before the check)."""

    def __init__(self) -> None:
        super().__init__("incorrect username or password")


@dataclass(frozen=True)
class Authenticated:
    user: User
    token: VerifiedToken

    @property
    def user_id(self) -> int:
        return self.user.user_id


@dataclass(frozen=True)
class Profile:
    """What generation needs of a user: plain values, no ORM object, no open session."""

    user_id: int
    username: str
    default_target_language: str | None
    default_base_language: str | None
    self_assessed_level: str | None
    use_history: bool = True
    review_auto_cards: bool = True
    audio_autoplay: bool = False


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    # After a login: the device cookie that makes this client known to the account.
    device_cookie: str | None = None


@dataclass(frozen=True)
class Registration:
    """Who may sign up: anyone (`open`), holders of an unused invite code (`invite`), or
    nobody (`closed`); whether the first account becomes the operator; how often a client
    may try."""

    mode: str = "open"
    first_user_admin: bool = False
    client: Client = LOCAL
    throttle: Throttle = field(default_factory=Throttle)

    @classmethod
    def of(cls, settings: Settings, client: Client = LOCAL) -> Registration:
        return cls(
            mode=settings.REGISTRATION,
            first_user_admin=settings.FIRST_USER_ADMIN,
            client=client,
            throttle=Throttle.of(settings),
        )


async def create_user(
    *,
    session: AsyncSession,
    data: UserCreate,
    registration: Registration | None = None,
    admin: bool = False,
    secret_key: str = "",
) -> User:
    """A new account. With a `registration` (sign-up through the API or the pages) its rules
    apply; without one (the operator's command line) the account is made as asked."""
    first = False
    if registration is not None:
        first = registration.first_user_admin and not await session.scalar(
            select(User.user_id).limit(1)
        )
        if not first and registration.mode == "closed":
            raise Forbidden("sign-up is closed on this server: ask its operator for an account")
        if not first and registration.mode == "invite" and not data.invite_code:
            raise Forbidden("sign-up on this server needs an invite code from its operator")
        # Counted before what is taken is told, too: it bounds how fast a client learns that.
        await registration.throttle.sign_up_attempt(session, registration.client)
    await _ensure_unique(session=session, username=data.username, email=data.email)
    user = User(
        username=data.username,
        username_key=username_key(data.username),
        email=data.email,
        password_hash=await hash_password(data.password),
        default_target_language=data.default_target_language,
        default_base_language=data.default_base_language,
        self_assessed_level=data.self_assessed_level,
        is_admin=admin or first,
        daily_goal=data.daily_goal or DEFAULT_DAILY_GOAL,
    )
    session.add(user)
    await _flush_unique(session)
    if registration is not None and registration.mode == "invite" and not first:
        await _use_invite(
            session=session, code=data.invite_code or "", user=user, secret_key=secret_key
        )
    return user


# -- invite codes -------------------------------------------------------------------------------

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand


def normalized_invite(code: str) -> str:
    return "".join(char for char in code.upper() if char.isalnum())


async def create_invites(
    *, session: AsyncSession, count: int, secret_key: str, valid_days: int | None = None
) -> list[str]:
    """New one-use codes (XXXX-XXXX-XXXX); only their digests are stored."""
    now = utcnow()
    codes = [
        "-".join("".join(secrets.choice(INVITE_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]
    session.add_all(
        InviteCode(
            code_digest=token_digest(normalized_invite(code), secret_key),
            created_at=now,
            expires_at=now + timedelta(days=valid_days) if valid_days else None,
        )
        for code in codes
    )
    await session.flush()
    return codes


async def _use_invite(*, session: AsyncSession, code: str, user: User, secret_key: str) -> None:
    """Marks the code used by this account, once: a code used already, by a concurrent
    sign-up too, is refused (and the account with it, as the transaction rolls back)."""
    now = utcnow()
    used = await session.execute(
        update(InviteCode)
        .where(
            InviteCode.code_digest == token_digest(normalized_invite(code), secret_key),
            InviteCode.used_at.is_(None),
            (InviteCode.expires_at.is_(None)) | (InviteCode.expires_at > now),
        )
        .values(used_at=now, used_by_user_id=user.user_id)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Forbidden("this invite code is not valid, or has been used already")


async def user_changed(*, session: AsyncSession, tokens: TokenCache, user_id: int) -> None:
    """Every change to a user (profile, password, tokens, deletion) goes through here: this
    process holds the user's cached tokens back at once, and the others when the change
    commits (PostgreSQL delivers the notice then; see accounts.tokens)."""
    tokens.hold_back(user_id)
    await notices.notify(session, notices.USERS, str(user_id))


async def update_user(
    *, session: AsyncSession, tokens: TokenCache, user: User, data: UserUpdate
) -> User:
    changes: dict[str, Any] = {name: getattr(data, name) for name in data.model_fields_set}
    for switch in ("review_auto_cards", "use_history"):
        if changes.get(switch, False) is None:
            changes[switch] = True  # null: back to the default
    if "daily_goal" in changes and changes["daily_goal"] is None:
        changes["daily_goal"] = DEFAULT_DAILY_GOAL
    if "audio_autoplay" in changes and changes["audio_autoplay"] is None:
        changes["audio_autoplay"] = False
    if changes.get("email") and changes["email"] != user.email:
        await _ensure_unique(session=session, username=None, email=changes["email"])
    for name, value in changes.items():
        setattr(user, name, value)
    await _flush_unique(session)
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    return user


async def set_continue_point(
    *,
    session: AsyncSession,
    user_id: int,
    saved_content_id: int | None,
    generation_id: uuid.UUID | None,
    position: int,
) -> None:
    """Where "Continue" takes the learner: a saved set or a generation, at a card (neither:
    nothing to continue, as after finishing a set)."""
    await session.execute(
        update(User)
        .where(User.user_id == user_id)
        .values(
            continue_saved_content_id=saved_content_id,
            continue_generation_id=generation_id,
            continue_position=max(0, position),
        )
    )


async def delete_user(*, session: AsyncSession, tokens: TokenCache, user: User) -> None:
    """Every row of the user goes: the foreign keys cascade, login attempts go by name."""
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    await session.execute(
        delete(LoginAttempt).where(LoginAttempt.username == username_key(user.username))
    )
    await session.execute(delete(User).where(User.user_id == user.user_id))
    await session.flush()


async def change_password(
    *,
    session: AsyncSession,
    tokens: TokenCache,
    auth: Authenticated,
    current_password: str,
    new_password: str,
) -> None:
    if not await verify_password(current_password, auth.user.password_hash):
        raise Forbidden("current password is incorrect")
    await user_changed(session=session, tokens=tokens, user_id=auth.user_id)
    tokens.hold_back(auth.user_id, keep=auth.token.digest)
    auth.user.password_hash = await hash_password(new_password)
    await session.execute(
        update(AuthToken)
        .where(
            AuthToken.user_id == auth.user.user_id,
            AuthToken.token_id != auth.token.token_id,
            AuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    await session.flush()


async def login(
    *,
    session: AsyncSession,
    tokens: TokenCache,
    username: str,
    password: str,
    secret_key: str,
    ttl_s: int,
    renewable_for_s: int | None = None,
    client: Client = LOCAL,
    throttle: Throttle = DEFAULT_THROTTLE,
) -> IssuedToken:
    """A new token for the right username (in any case) and password, and the client's
    device cookie for the account. Otherwise LoginFailed; too many recent failures (see
    accounts.throttle) raise TooManyRequests before the password is checked, and text that
    no account could have (NUL, over 1,024 characters) Unprocessable."""
    for name, value in (("username", username), ("password", password)):
        if contains_nul(value) or len(value) > MAX_PASSWORD_LENGTH:
            raise Unprocessable(f"{name} is not acceptable", loc=["body", name])
    username = normalize_username(username)  # as it was stored, however it is typed
    key = username_key(username)
    counted_as = LoginClient.of(client, key=key, secret_key=secret_key)
    await throttle.login_attempt(session, key=key, client=counted_as)
    user = await session.scalar(_named(username, key))
    if not await verify_password(password, user.password_hash if user else None) or user is None:
        raise LoginFailed()
    await throttle.login_succeeded(session, key=key, client=counted_as)
    user.last_login = utcnow()
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    issued = await issue_token(
        session=session,
        user=user,
        secret_key=secret_key,
        ttl_s=ttl_s,
        renewable_for_s=renewable_for_s,
    )
    device = (
        client.device_cookie
        if counted_as.known and client.device_cookie
        else new_device_cookie(key, secret_key)
    )
    return IssuedToken(issued.access_token, issued.expires_in, device_cookie=device)


def device_cookie_for(user: User, secret_key: str) -> str:
    """A device cookie for a browser that just made the account."""
    return new_device_cookie(username_key(user.username), secret_key)


def _named(username: str, key: str) -> Select[User]:
    """The account with this name in any case: the one whose name is exactly this first (an
    account that predates case-insensitive names may share its key with an older one)."""
    return (
        select(User)
        .where(or_(User.username_key == key, User.username == username))
        .order_by(case((User.username == username, 0), else_=1))
        .limit(1)
    )


async def issue_token(
    *,
    session: AsyncSession,
    user: User,
    secret_key: str,
    ttl_s: int,
    renewable_for_s: int | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """A token valid for `ttl_s`; with `renewable_for_s` (a browser session) it renews on
    use for up to that long in all."""
    token = new_token()
    now = now or utcnow()
    session.add(
        AuthToken(
            user_id=user.user_id,
            token_digest=token_digest(token, secret_key),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
            renewable_until=(
                now + timedelta(seconds=renewable_for_s) if renewable_for_s is not None else None
            ),
        )
    )
    await session.flush()
    return IssuedToken(access_token=token, expires_in=ttl_s)


# Built once: every request with a token not in the cache runs it.
_PUBLIC_COLUMNS = [getattr(User, name) for name in UserPublic.model_fields]
_TOKEN_CHECK = (
    select(
        AuthToken.token_id,
        AuthToken.revoked_at,
        AuthToken.expires_at,
        AuthToken.renewable_until,
        User.fsrs_parameters,
        *_PUBLIC_COLUMNS,
    )
    .join(User, User.user_id == AuthToken.user_id)
    .where(AuthToken.token_digest == bindparam("digest"))
)


async def signed_in_token(
    *,
    tokens: TokenCache,
    sessions: async_sessionmaker[AsyncSession],
    token: str,
    secret_key: str,
    ttl_s: int,
    now: datetime,
) -> VerifiedToken:
    """The live token a request carries: from the cache when it holds it (no round trip),
    else checked (and a browser session in use renewed) in the database, then cached."""
    digest = token_digest(token, secret_key)
    cached = tokens.get(digest)
    if (
        cached is not None
        and cached.expires_at > now
        and _renewed_expiry(cached.expires_at, cached.renewable_until, ttl_s, now) is None
    ):
        return cached

    async def check() -> VerifiedToken:
        async with session_scope(sessions) as session:
            verified = await verify_token(session=session, digest=digest, ttl_s=ttl_s, now=now)
        tokens.put(verified)
        return verified

    return await tokens.check_once(digest, check)


async def verify_token(
    *, session: AsyncSession, digest: str, ttl_s: int, now: datetime
) -> VerifiedToken:
    row = (await session.execute(_TOKEN_CHECK, {"digest": digest})).one_or_none()
    if row is None:
        raise Unauthorized("invalid token")
    _check_token_state(revoked_at=row.revoked_at, expires_at=row.expires_at, now=now)
    expires_at = row.expires_at
    renewed = _renewed_expiry(row.expires_at, row.renewable_until, ttl_s, now)
    if renewed is not None:
        await session.execute(
            update(AuthToken).where(AuthToken.token_id == row.token_id).values(expires_at=renewed)
        )
        expires_at = renewed
    return VerifiedToken(
        token_id=row.token_id,
        digest=digest,
        expires_at=expires_at,
        renewable_until=row.renewable_until,
        user=UserPublic.model_validate(row._asdict()),
        fsrs_parameters=tuple(row.fsrs_parameters) if row.fsrs_parameters else None,
    )


async def load_user(*, session: AsyncSession, token: VerifiedToken) -> Authenticated:
    """The token's user as an ORM object in the session (for routes that change it)."""
    user = await session.get(User, token.user_id)
    if user is None:
        raise Unauthorized(ACCOUNT_GONE)
    return Authenticated(user=user, token=token)


def profile_of(user: User | UserPublic) -> Profile:
    """What generation needs of a user (as the token check read them, or as just changed)."""
    return Profile(
        user_id=user.user_id,
        username=user.username,
        default_target_language=user.default_target_language,
        default_base_language=user.default_base_language,
        self_assessed_level=user.self_assessed_level,
        use_history=user.use_history,
        review_auto_cards=user.review_auto_cards,
        audio_autoplay=user.audio_autoplay,
    )


# A session used again renews at most this often: one write an hour, not one per request.
RENEW_STEP = timedelta(hours=1)


def _renewed_expiry(
    expires_at: datetime, renewable_until: datetime | None, ttl_s: int, now: datetime
) -> datetime | None:
    """The new expiry of a browser session in use (sliding, capped), or None: no change."""
    if renewable_until is None:
        return None
    renewed = min(now + timedelta(seconds=ttl_s), renewable_until)
    return renewed if renewed - expires_at >= RENEW_STEP else None


def _check_token_state(*, revoked_at: datetime | None, expires_at: datetime, now: datetime) -> None:
    if revoked_at is not None:
        raise Unauthorized("token has been revoked; log in again")
    if expires_at <= now:
        raise Unauthorized("token has expired; log in again")


async def revoke_token(*, session: AsyncSession, tokens: TokenCache, token: VerifiedToken) -> None:
    await user_changed(session=session, tokens=tokens, user_id=token.user_id)
    await session.execute(
        update(AuthToken).where(AuthToken.token_id == token.token_id).values(revoked_at=utcnow())
    )


async def _ensure_unique(*, session: AsyncSession, username: str | None, email: str | None) -> None:
    if username is not None and await session.scalar(
        select(User.user_id).where(
            or_(User.username_key == username_key(username), User.username == username)
        )
    ):
        raise Conflict(f"username {username!r} is already taken")
    if email is not None and await session.scalar(select(User.user_id).where(User.email == email)):
        raise Conflict(f"email {email!r} is already registered")


async def _flush_unique(session: AsyncSession) -> None:
    """A concurrent registration can pass the check above; the unique index has the last word."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("username or email is already registered") from error


# -- review parameters --------------------------------------------------------------------------


@dataclass(frozen=True)
class FsrsFit:
    user_id: int
    username: str
    parameters: list[float] | None
    reviews_at_fit: int


async def fsrs_fits(*, session: AsyncSession, username: str | None = None) -> list[FsrsFit]:
    """Each learner's FSRS parameters and the review count they were fitted at."""
    query = select(User.user_id, User.username, User.fsrs_parameters, User.fsrs_reviews_at_fit)
    if username is not None:
        query = query.where(User.username == username)
    rows = await session.execute(query.order_by(User.user_id))
    return [FsrsFit(*row) for row in rows]


async def store_fsrs_fit(
    *, session: AsyncSession, user_id: int, parameters: list[float] | None, reviews: int
) -> None:
    """Keep new parameters (None keeps the current ones) and the review count of this fit."""
    values: dict[str, Any] = {"fsrs_reviews_at_fit": reviews}
    if parameters is not None:
        values["fsrs_parameters"] = parameters
    await session.execute(update(User).where(User.user_id == user_id).values(**values))
    if parameters is not None:
        # The token check reads the parameters with the user: every process's token cache
        # reads them again when this commits (on SQLite, within the cache's lifetime).
        await notices.notify(session, notices.USERS, str(user_id))
