"""Login and sign-up throttling, kept in the database so that every process of a server
counts the same attempts.

A login is counted against its client: the client's address (an IPv6 address by its /64, as
one machine holds a whole /64), or, when the request carries this account's device cookie (a
browser that signed in to it before), that device. It is refused with 429, before any
password is hashed, when in the last 15 minutes:
- its address made `failures_per_client` failed logins, whatever the names (a flood costs at
  most that many Argon2 checks per address);
- its client made LOGIN_MAX_FAILURES failed logins for this name: a stranger's wrong
  passwords refuse that stranger, never the owner signing in from elsewhere;
- the name had ACCOUNT_MAX_FAILURES failed logins from addresses (guessing spread over many
  machines): then only the account's known devices may try it.
Sign-ups are counted by address: `signups_per_hour` attempts an hour, each before its hash.

Each attempt is written before it is counted, on a connection of its own whose statements
commit at once: concurrent attempts count each other before any of them hashes. A refused
attempt's row is taken out again, so a flood does not lengthen its own wait; a failed login's
row stays, a successful one takes out its client's rows for that name. Rows older than their
window are deleted on every write.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from langtutor.accounts.models import LoginAttempt, SignUpAttempt
from langtutor.config import Settings
from langtutor.db import utcnow
from langtutor.errors import TooManyRequests

LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES = 5
ACCOUNT_MAX_FAILURES = 50
SIGNUP_WINDOW = timedelta(hours=1)
ADDRESS, DEVICE = "addr:", "device:"
DEVICE_ID_MAX = 16
# What each rule says in the API's answers (the pages say it in their own words, by rule).
REFUSALS = {
    "address": "too many failed logins from your network address; try again in {seconds} s",
    "username": "too many failed logins for this username; try again in {seconds} s",
    "many_places": "too many failed logins for this username from many places; try again in "
    "{seconds} s, or sign in on a device you have signed in on before",
    "sign_ups": "too many sign-ups from your network address; try again in {seconds} s",
}


class Throttled(TooManyRequests):
    """Refused by one of the rules above, named by `rule`."""

    def __init__(self, rule: str, *, retry_after: int) -> None:
        super().__init__(REFUSALS[rule].format(seconds=retry_after), retry_after=retry_after)
        self.rule = rule


@dataclass(frozen=True)
class Client:
    """Where a login or sign-up comes from: its address as counted, and the device cookie
    it sent (checked against the account when it logs in)."""

    address: str
    device_cookie: str | None = None


# The command line, and the service called without HTTP.
LOCAL = Client(address="local")


def client_address(host: str | None) -> str:
    """The address a client is counted by: IPv4 as is, IPv6 by its /64."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:45]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# -- device cookies -----------------------------------------------------------------------------


def new_device(key: str, secret_key: str) -> str:
    """A device cookie for the account with this username key: `<id>.<HMAC>`."""
    device = secrets.token_urlsafe(9)
    return f"{device}.{_device_mac(key, device, secret_key)}"


def known_device(cookie: str | None, key: str, secret_key: str) -> str | None:
    """The device's id when the cookie was issued for this account, else None."""
    device, _, mac = (cookie or "").partition(".")
    if not device or len(device) > DEVICE_ID_MAX:
        return None
    # Bytes: a cookie may hold any character, and compare_digest takes ASCII text only.
    expected = _device_mac(key, device, secret_key).encode()
    return device if hmac.compare_digest(mac.encode(), expected) else None


def _device_mac(key: str, device: str, secret_key: str) -> str:
    message = f"device:{key}:{device}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


# -- the counts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginClient:
    """A login's client as counted: `addr:<address>`, or `device:<id>` for a known device."""

    tag: str

    @property
    def known(self) -> bool:
        return self.tag.startswith(DEVICE)

    @classmethod
    def of(cls, client: Client, *, key: str, secret_key: str) -> LoginClient:
        device = known_device(client.device_cookie, key, secret_key)
        return cls(DEVICE + device if device else ADDRESS + client.address)


@dataclass(frozen=True)
class Throttle:
    failures_per_client: int = 30
    signups_per_hour: int = 30

    @classmethod
    def of(cls, settings: Settings) -> Throttle:
        return cls(
            failures_per_client=settings.LOGIN_FAILURES_PER_CLIENT,
            signups_per_hour=settings.SIGNUP_RATE_PER_HOUR,
        )

    async def login_attempt(self, session: AsyncSession, *, key: str, client: LoginClient) -> None:
        """Count this login (as failed, until `login_succeeded`), or raise Throttled."""
        now = utcnow()
        since = now - LOGIN_WINDOW
        same_client = LoginAttempt.client == client.tag
        same_name = LoginAttempt.username == key
        rules: list[tuple[ColumnElement[bool], int, str]] = [
            (and_(same_name, same_client), LOGIN_MAX_FAILURES, "username"),
        ]
        if not client.known:
            rules.insert(0, (same_client, self.failures_per_client, "address"))
            from_addresses = and_(same_name, LoginAttempt.client.startswith(ADDRESS))
            rules.append((from_addresses, ACCOUNT_MAX_FAILURES, "many_places"))
        async with _own_statements(session) as connection:
            await connection.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < since))
            attempt_id = await connection.scalar(
                insert(LoginAttempt)
                .values(username=key, client=client.tag, attempted_at=now)
                .returning(LoginAttempt.attempt_id)
            )
            counts = select(
                *(
                    column
                    for rule, _, _ in rules
                    for column in (
                        func.count().filter(rule),
                        func.min(LoginAttempt.attempted_at).filter(rule),
                    )
                )
            ).where(or_(same_client, same_name), LoginAttempt.attempted_at > since)
            row: tuple[Any, ...] = tuple((await connection.execute(counts)).one())
            for (_, limit, name), count, oldest in zip(rules, row[::2], row[1::2], strict=True):
                if count > limit:  # this attempt included
                    await connection.execute(
                        delete(LoginAttempt).where(LoginAttempt.attempt_id == attempt_id)
                    )
                    raise _refused(name, oldest, LOGIN_WINDOW, now)

    async def login_succeeded(
        self, session: AsyncSession, *, key: str, client: LoginClient
    ) -> None:
        """The client's failures for this name end (this attempt's row with them); the
        name's failures from elsewhere still count."""
        await session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.username == key, LoginAttempt.client == client.tag
            )
        )

    async def sign_up_attempt(self, session: AsyncSession, client: Client) -> None:
        """Count this sign-up, or raise Throttled."""
        now = utcnow()
        since = now - SIGNUP_WINDOW
        async with _own_statements(session) as connection:
            await connection.execute(
                delete(SignUpAttempt).where(SignUpAttempt.attempted_at < since)
            )
            attempt_id = await connection.scalar(
                insert(SignUpAttempt)
                .values(client=client.address, attempted_at=now)
                .returning(SignUpAttempt.attempt_id)
            )
            count, oldest = (
                await connection.execute(
                    select(func.count(), func.min(SignUpAttempt.attempted_at)).where(
                        SignUpAttempt.client == client.address,
                        SignUpAttempt.attempted_at > since,
                    )
                )
            ).one()
            if count > self.signups_per_hour:
                await connection.execute(
                    delete(SignUpAttempt).where(SignUpAttempt.attempt_id == attempt_id)
                )
                raise _refused("sign_ups", oldest, SIGNUP_WINDOW, now)


@asynccontextmanager
async def _own_statements(session: AsyncSession) -> AsyncIterator[AsyncConnection]:
    """A connection of the session's engine whose statements each commit at once, whatever
    the session's transaction does."""
    engine = session.bind
    assert isinstance(engine, AsyncEngine), "a session bound to an engine"
    async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        yield connection


def _refused(rule: str, oldest: datetime, window: timedelta, now: datetime) -> Throttled:
    """Refused until the oldest attempt counted leaves the window."""
    return Throttled(rule, retry_after=math.ceil((oldest + window - now).total_seconds()))
