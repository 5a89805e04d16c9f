"""Accounts: registration, login with throttling, profile and deletion (`Accounts`, the
service object routes and pages call, over the module's functions, which take a session)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts import policy, repository
from langtutor.accounts.credentials import (
    ACCOUNT_DISABLED,
    IssuedToken,
    issue_token,
    revoke_token,
    user_changed,
)
from langtutor.accounts.learner import Learner
from langtutor.accounts.models import User
from langtutor.accounts.operators import not_the_last
from langtutor.accounts.passwords import change_password, reset_password
from langtutor.accounts.registration import (
    Registration,
    check_sign_up,
    first_operator,
    use_invite,
)
from langtutor.accounts.schemas import UserCreate, UserPublic, UserUpdate, normalize_username
from langtutor.accounts.security import hash_password, verify_password
from langtutor.accounts.throttle import LOCAL, Client, LoginClient, Throttle
from langtutor.accounts.throttle import LOGIN_MAX_FAILURES as LOGIN_MAX_FAILURES
from langtutor.accounts.throttle import new_device as new_device_cookie
from langtutor.accounts.tokens import TokenCache, VerifiedToken
from langtutor.accounts.usernames import username_key
from langtutor.config import Settings
from langtutor.db import Database, utcnow
from langtutor.errors import Conflict, Forbidden, Unauthorized, Unprocessable
from langtutor.schemas import contains_nul

MAX_PASSWORD_LENGTH = 1024
DEFAULT_DAILY_GOAL = 20
# What a switch sent as null goes back to (`daily_goal`: DEFAULT_DAILY_GOAL).
RESETS = {"review_auto_cards": True, "use_history": True, "audio_autoplay": False}
DEFAULT_THROTTLE = Throttle()
ACCOUNT_GONE = "this account no longer exists; log in again"


class LoginFailed(Unauthorized):
    """A wrong username or password (the throttle counted the attempt before the check)."""

    def __init__(self) -> None:
        super().__init__("incorrect username or password")


class AccountDisabled(Forbidden):
    """The right password for an account an operator disabled: it cannot log in."""

    def __init__(self) -> None:
        super().__init__(ACCOUNT_DISABLED)


@dataclass(frozen=True)
class Authenticated:
    user: User
    token: VerifiedToken

    @property
    def user_id(self) -> int:
        return self.user.user_id


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
    first, mode = False, "open"
    if registration is not None:
        may_be_first = registration.first_user_admin and not await repository.any_user(session)
        if not may_be_first:
            mode = await check_sign_up(session, registration, data.invite_code)
        # Counted before what is taken is told, too: it bounds how fast a client learns that.
        # (On a connection of its own: before this transaction writes anything.)
        await registration.throttle.sign_up_attempt(session, registration.client)
        if may_be_first:
            first = await first_operator(session, registration)
            if not first:  # another sign-up was first
                mode = await check_sign_up(session, registration, data.invite_code)
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
        last_active_at=utcnow() if registration is not None else None,
    )
    session.add(user)
    await _flush_unique(session)
    if mode == "invite":
        await use_invite(
            session=session,
            code=data.invite_code or "",
            user_id=user.user_id,
            secret_key=secret_key,
        )
    return user


async def update_user(
    *, session: AsyncSession, tokens: TokenCache, user: User, data: UserUpdate
) -> User:
    changes: dict[str, Any] = {name: getattr(data, name) for name in data.model_fields_set}
    for name, default in {**RESETS, "daily_goal": DEFAULT_DAILY_GOAL}.items():
        if name in changes and changes[name] is None:
            changes[name] = default
    if changes.get("email") and changes["email"] != user.email:
        await _ensure_unique(session=session, username=None, email=changes["email"])
    for name, value in changes.items():
        setattr(user, name, value)
    await _flush_unique(session)
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    return user


async def set_level(
    *, session: AsyncSession, tokens: TokenCache, learner: Learner, level: str
) -> UserPublic:
    """The learner's CEFR level set in the caller's transaction (a placement accepted, with
    the placement's own row in the same commit)."""
    user = (await load_user(session=session, token=learner.token)).user
    await update_user(
        session=session, tokens=tokens, user=user, data=UserUpdate(self_assessed_level=level)
    )
    return UserPublic.model_validate(user)


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
    await repository.set_continue_point(
        session,
        user_id=user_id,
        saved_content_id=saved_content_id,
        generation_id=generation_id,
        position=max(0, position),
    )


async def delete_user(*, session: AsyncSession, tokens: TokenCache, user: User) -> None:
    """Every row of the user goes: the foreign keys cascade, login attempts go by name."""
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    await repository.delete_user(session, user_id=user.user_id, username=user.username)


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
    user = await repository.user_named(session, username, key)
    if not await verify_password(password, user.password_hash if user else None) or user is None:
        raise LoginFailed()
    if user.disabled_at is not None:
        raise AccountDisabled()
    await throttle.login_succeeded(session, key=key, client=counted_as)
    user.last_login = user.last_active_at = utcnow()
    await user_changed(session=session, tokens=tokens, user_id=user.user_id)
    issued = await issue_token(
        session=session,
        user_id=user.user_id,
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


async def load_user(*, session: AsyncSession, token: VerifiedToken) -> Authenticated:
    """The token's user as an ORM object in the session (for routes that change it)."""
    user = await repository.user_of(session, token.user_id)
    if user is None:
        raise Unauthorized(ACCOUNT_GONE)
    return Authenticated(user=user, token=token)


async def _ensure_unique(*, session: AsyncSession, username: str | None, email: str | None) -> None:
    if username is not None and await repository.username_taken(session, username):
        raise Conflict(f"username {username!r} is already taken")
    if email is not None and await repository.email_taken(session, email):
        raise Conflict(f"email {email!r} is already registered")


async def _flush_unique(session: AsyncSession) -> None:
    """A concurrent registration can pass the check above; the unique index has the last word."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict("username or email is already registered") from error


# -- the service object -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedUp:
    """A new account signed in at once (the pages): its browser session and device cookie."""

    user: UserPublic
    access_token: str
    device_cookie: str


class Accounts:
    """The accounts as routes and pages use them. Each method is one transaction of its own,
    committed before it returns; the server's rules (secret key, token lifetimes, sign-up
    mode, throttle) come from its settings."""

    def __init__(self, db: Database, tokens: TokenCache, settings: Settings) -> None:
        self.db = db
        self.tokens = tokens
        self.settings = settings

    async def register(self, *, data: UserCreate, client: Client) -> UserPublic:
        async with self.db.transaction() as session:
            return UserPublic.model_validate(await self._create(session, data, client))

    async def sign_up(self, *, data: UserCreate, client: Client) -> SignedUp:
        async with self.db.transaction() as session:
            user = await self._create(session, data, client)
            issued = await self._issue(session, user.user_id, browser=True)
            return SignedUp(
                user=UserPublic.model_validate(user),
                access_token=issued.access_token,
                device_cookie=device_cookie_for(user, self.settings.SECRET_KEY),
            )

    async def log_in(
        self, *, username: str, password: str, client: Client, browser: bool = False
    ) -> IssuedToken:
        """A token for the right username and password (`browser`: a session that slides on
        use), with the client's device cookie."""
        async with self.db.transaction() as session:
            return await login(
                session=session,
                tokens=self.tokens,
                username=username,
                password=password,
                secret_key=self.settings.SECRET_KEY,
                ttl_s=self.settings.ACCESS_TOKEN_TTL_S,
                renewable_for_s=self.settings.SESSION_MAX_AGE_S if browser else None,
                client=client,
                throttle=Throttle.of(self.settings),
            )

    async def refresh(self, learner: Learner, *, now: datetime) -> IssuedToken:
        """A new token with a full lifetime; the one the learner came with is revoked."""
        async with self.db.transaction() as session:
            await self._user(session, learner)
            issued = await self._issue(session, learner.user_id, now=now)
            await revoke_token(session=session, tokens=self.tokens, token=learner.token)
            return issued

    async def log_out(self, learner: Learner) -> None:
        """The token the learner came with is revoked."""
        async with self.db.transaction() as session:
            await revoke_token(session=session, tokens=self.tokens, token=learner.token)

    async def update(self, learner: Learner, *, data: UserUpdate) -> UserPublic:
        async with self.db.transaction() as session:
            user = await self._user(session, learner)
            await update_user(session=session, tokens=self.tokens, user=user, data=data)
            return UserPublic.model_validate(user)

    async def delete(self, learner: Learner) -> None:
        """Every row of the learner goes; not the last operator's (LastOperator, 409)."""
        async with self.db.transaction() as session:
            await policy.lock_operators(session)
            user = await self._user(session, learner)
            await not_the_last(session, user)
            await delete_user(session=session, tokens=self.tokens, user=user)

    async def change_password(
        self, learner: Learner, *, current_password: str, new_password: str
    ) -> None:
        """Every other token of the learner is revoked; a wrong current password: Forbidden."""
        async with self.db.transaction() as session:
            await change_password(
                session=session,
                tokens=self.tokens,
                user=await self._user(session, learner),
                token=learner.token,
                current_password=current_password,
                new_password=new_password,
            )

    async def reset_password(
        self, *, username: str, code: str, new_password: str, client: Client
    ) -> None:
        """A new password with an operator's one-time reset code (every token revoked)."""
        async with self.db.transaction() as session:
            await reset_password(
                session=session,
                tokens=self.tokens,
                username=username,
                code=code,
                new_password=new_password,
                secret_key=self.settings.SECRET_KEY,
                client=client,
                throttle=Throttle.of(self.settings),
            )

    async def registration(self) -> str:
        """The sign-up policy in force: an operator's choice, else LANGTUTOR_REGISTRATION."""
        async with self.db.reading() as session:
            return await Registration.of(self.settings).in_force(session)

    async def password_is(self, learner: Learner, password: str) -> bool:
        """Whether this is the learner's password (a page says a wrong one with the rest)."""
        async with self.db.reading() as session:
            user = await self._user(session, learner)
        return await verify_password(password, user.password_hash)

    async def _create(self, session: AsyncSession, data: UserCreate, client: Client) -> User:
        return await create_user(
            session=session,
            data=data,
            registration=Registration.of(self.settings, client),
            secret_key=self.settings.SECRET_KEY,
        )

    async def _issue(
        self,
        session: AsyncSession,
        user_id: int,
        *,
        browser: bool = False,
        now: datetime | None = None,
    ) -> IssuedToken:
        return await issue_token(
            session=session,
            user_id=user_id,
            secret_key=self.settings.SECRET_KEY,
            ttl_s=self.settings.ACCESS_TOKEN_TTL_S,
            renewable_for_s=self.settings.SESSION_MAX_AGE_S if browser else None,
            now=now,
        )

    async def _user(self, session: AsyncSession, learner: Learner) -> User:
        """The learner's row in the session, for a change; gone since the token was checked:
        Unauthorized, as the token check says."""
        return (await load_user(session=session, token=learner.token)).user
