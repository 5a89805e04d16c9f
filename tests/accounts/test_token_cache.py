"""Each process remembers the tokens it verified (and their user as the API shows them) for
TOKEN_CACHE_TTL_S seconds, so most requests need no database round trip. What must stay
true, with two app instances on one database standing for two server processes:

- the process that revokes a token (logout, refresh, password change, account deletion)
  refuses it at once, and reads a profile change back at once;
- another process does both within TOKEN_CACHE_TTL_S (the delay docs/security.md states); on
  PostgreSQL, as soon as the change commits (its notice), long before that;
- with the cache off (0) every process refuses it at once.

A login is a change to its user: it holds the user's tokens back from the cache for as long
as an entry could live. So each test first waits that out and shows that the tokens are
really answered from the cache (a token revoked behind the processes' backs is still
accepted), before it changes anything: else "refused at once" would hold whatever the cache
did.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.accounts.models import AuthToken
from langtutor.accounts.schemas import UserPublic
from langtutor.accounts.security import token_digest
from langtutor.accounts.tokens import TokenCache, VerifiedToken
from langtutor.db import utcnow
from tests.conftest import TEST_SECRET, AppFactory
from tests.factories import PASSWORD, login, user_with_token

TTL_S = 2.0


async def seen_within(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    limit_s: float,
    seen: Callable[[httpx.Response], bool],
) -> float:
    """Seconds until GET /users/me answers as `seen` wants, asking every 50 ms."""
    started = time.monotonic()
    while not seen(await client.get("/users/me", headers=headers)):
        assert time.monotonic() - started < limit_s, "the other process still answers as before"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def refused(answer: httpx.Response) -> bool:
    return answer.status_code == 401


async def revoke_behind_their_backs(db: AsyncEngine, headers: dict[str, str]) -> None:
    """Revoke a token in the database, as no process would: none of them hears of it."""
    digest = token_digest(headers["Authorization"].removeprefix("Bearer "), TEST_SECRET)
    async with db.begin() as connection:
        await connection.execute(
            update(AuthToken).where(AuthToken.token_digest == digest).values(revoked_at=utcnow())
        )


async def cached_tokens(
    processes: Sequence[httpx.AsyncClient], db: AsyncEngine, ttl_s: float, count: int = 1
) -> list[dict[str, str]]:
    """A learner's `count` tokens, each checked by every process, and so cached unless the
    cache is off: this waits out the hold of the learner's logins (one more token, the
    witness, is then revoked behind the processes' backs: each still accepts it from its
    cache, or, with the cache off, refuses it at once)."""
    user, first = await user_with_token(processes[0])
    tokens = [first] + [await login(processes[0], user["username"]) for _ in range(count)]
    *kept, witness = tokens
    await asyncio.sleep(ttl_s + 0.3)  # the logins' hold lapses (their notices come first)
    for process in processes:
        for headers in tokens:
            answer = await process.get("/users/me", headers=headers)
            assert answer.status_code == 200
            assert answer.json()["daily_goal"] == 20
    await revoke_behind_their_backs(db, witness)
    for process in processes:
        answer = await process.get("/users/me", headers=witness)
        assert answer.status_code == (200 if ttl_s > 0 else 401), "not answered from the cache"
    return kept


@contextlib.asynccontextmanager
async def two_processes(
    app_factory: AppFactory, db: AsyncEngine, ttl_s: float
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]]]:
    """Two app instances on one database, and a learner's token that both have cached
    (unless the cache is off)."""
    async with (
        app_factory(TOKEN_CACHE_TTL_S=ttl_s) as first,
        app_factory(TOKEN_CACHE_TTL_S=ttl_s) as second,
    ):
        (headers,) = await cached_tokens((first, second), db, ttl_s)
        yield first, second, headers


async def test_logout_is_seen_at_once_here_and_within_the_delay_elsewhere(
    app_factory: AppFactory, db: AsyncEngine
) -> None:
    async with two_processes(app_factory, db, TTL_S) as (first, second, headers):
        assert (await first.post("/auth/logout", headers=headers)).status_code == 204
        assert (await first.get("/users/me", headers=headers)).status_code == 401
        assert (await first.get("/content", headers=headers)).status_code == 401
        # The other process answers from its cache until the entry lapses, never longer.
        await seen_within(second, headers, TTL_S + 0.5, refused)
        assert (await second.get("/content", headers=headers)).status_code == 401


async def test_a_change_reaches_the_other_process_when_it_commits_on_postgresql(
    app_factory: AppFactory, db: AsyncEngine, backend: str
) -> None:
    """Entries that live 4 s: only PostgreSQL's notice can make the other process see the
    changes within 1 s; on SQLite it answers from its cache (until the entry lapses)."""
    async with two_processes(app_factory, db, 4.0) as (first, second, headers):
        changed = await first.patch("/users/me", headers=headers, json={"daily_goal": 35})
        assert changed.status_code == 200
        assert (await first.get("/users/me", headers=headers)).json()["daily_goal"] == 35
        if backend == "postgresql":
            await seen_within(
                second, headers, 1.0, lambda answer: answer.json()["daily_goal"] == 35
            )
        else:
            await asyncio.sleep(0.3)
            assert (await second.get("/users/me", headers=headers)).json()["daily_goal"] == 20
        assert (await first.post("/auth/logout", headers=headers)).status_code == 204
        assert (await first.get("/users/me", headers=headers)).status_code == 401
        if backend == "postgresql":
            await seen_within(second, headers, 1.0, refused)


async def test_a_profile_change_is_read_back_at_once_and_elsewhere_within_the_delay(
    app_factory: AppFactory, db: AsyncEngine
) -> None:
    async with two_processes(app_factory, db, TTL_S) as (first, second, headers):
        changed = await first.patch(
            "/users/me", headers=headers, json={"default_target_language": "fr"}
        )
        assert changed.status_code == 200
        me = (await first.get("/users/me", headers=headers)).json()
        assert me["default_target_language"] == "fr"
        await seen_within(
            second,
            headers,
            TTL_S + 0.5,
            lambda answer: answer.json()["default_target_language"] == "fr",
        )


async def test_without_the_cache_every_process_refuses_at_once(
    app_factory: AppFactory, db: AsyncEngine
) -> None:
    async with two_processes(app_factory, db, 0) as (first, second, headers):
        assert (await second.get("/users/me", headers=headers)).status_code == 200
        assert (await first.post("/auth/logout", headers=headers)).status_code == 204
        assert (await second.get("/users/me", headers=headers)).status_code == 401


async def test_a_password_change_and_a_deletion_revoke_the_other_tokens_at_once(
    app_factory: AppFactory, db: AsyncEngine
) -> None:
    async with app_factory(TOKEN_CACHE_TTL_S=TTL_S) as client:
        kept, other = await cached_tokens((client,), db, TTL_S, count=2)
        changed = await client.post(
            "/users/me/password",
            headers=kept,
            json={"current_password": PASSWORD, "new_password": "a new long password"},
        )
        assert changed.status_code == 204
        assert (await client.get("/content", headers=other)).status_code == 401
        assert (await client.get("/content", headers=kept)).status_code == 200
        assert (await client.delete("/users/me", headers=kept)).status_code == 204
        assert (await client.get("/content", headers=kept)).status_code == 401


async def test_refresh_revokes_the_old_token_at_once(
    app_factory: AppFactory, db: AsyncEngine
) -> None:
    async with app_factory(TOKEN_CACHE_TTL_S=TTL_S) as client:
        (headers,) = await cached_tokens((client,), db, TTL_S)
        refreshed = await client.post("/auth/refresh", headers=headers)
        assert refreshed.status_code == 200
        assert (await client.get("/content", headers=headers)).status_code == 401
        new = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        assert (await client.get("/content", headers=new)).status_code == 200


def verified(digest: str, user_id: int = 1) -> VerifiedToken:
    now = datetime.now(UTC)
    user = UserPublic(
        user_id=user_id,
        username=f"learner{user_id}",
        email=None,
        created_at=now,
        last_login=now,
        default_target_language="es",
        default_base_language="en",
        self_assessed_level=None,
        timezone=None,
        review_auto_cards=True,
        review_desired_retention=None,
        review_new_per_day=None,
        use_history=True,
        daily_goal=20,
        is_admin=False,
        audio_autoplay=False,
    )
    return VerifiedToken(
        token_id=1,
        digest=digest,
        expires_at=now + timedelta(hours=1),
        renewable_until=None,
        user=user,
    )


def test_a_check_that_raced_a_revocation_is_not_remembered() -> None:
    """A request that read the token from the database before the revocation committed must
    not put it back in the cache: the revoking process would accept it for another TTL."""
    tokens = TokenCache(60)
    tokens.put(verified("a"))
    tokens.put(verified("b"))
    tokens.put(verified("c", user_id=2))
    tokens.hold_back(1)  # "a" is being revoked: its user is held back
    tokens.put(verified("a"))  # the racing check's answer
    assert tokens.get("a") is None
    tokens.hold_back(1, keep="b")
    tokens.put(verified("d"))  # another token of user 1, checked during the change
    assert tokens.get("d") is None
    assert tokens.get("b") is not None
    assert tokens.get("c") is not None
    tokens.hold_back(1)
    assert tokens.get("b") is None


def test_a_zero_lifetime_keeps_nothing() -> None:
    tokens = TokenCache(0)
    tokens.put(verified("a"))
    assert tokens.get("a") is None


async def test_requests_with_one_token_share_its_check_and_a_change_starts_another() -> None:
    """Fifty requests with one token, not cached: one database check answers them all; after
    a change to a user, a request that starts gets a check of its own; a failed check fails
    every request that waited on it."""
    tokens = TokenCache(60)
    checks: list[str] = []
    release = asyncio.Event()

    async def check() -> VerifiedToken:
        checks.append("a")
        await release.wait()
        return verified("a")

    waiting = [asyncio.create_task(tokens.check_once("a", check)) for _ in range(50)]
    await asyncio.sleep(0.01)
    tokens.hold_back(2)  # another user changed: the check under way is forgotten
    late = asyncio.create_task(tokens.check_once("a", check))
    await asyncio.sleep(0.01)
    release.set()
    answers = await asyncio.gather(*waiting, late)
    assert len(checks) == 2
    assert {answer.digest for answer in answers} == {"a"}

    async def refused() -> VerifiedToken:
        await asyncio.sleep(0.01)
        raise ValueError("invalid token")

    failing = [asyncio.create_task(tokens.check_once("b", refused)) for _ in range(5)]
    failing[0].cancel()  # a client that went away cancels only its own wait
    results = await asyncio.gather(*failing, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert all(isinstance(result, ValueError) for result in results[1:])


async def test_a_lifetime_under_a_second_is_kept_and_not_exceeded(
    app_factory: AppFactory, db: AsyncEngine
) -> None:
    """TOKEN_CACHE_TTL_S may be a fraction of a second: tokens are still answered from the
    cache, and one revoked behind the process's back is refused once its entry lapses,
    within that lifetime, not a second later."""
    ttl_s = 0.3
    async with app_factory(TOKEN_CACHE_TTL_S=ttl_s) as client:
        (headers,) = await cached_tokens((client,), db, ttl_s)
        await revoke_behind_their_backs(db, headers)
        await seen_within(client, headers, ttl_s + 0.3, refused)


async def test_a_check_that_raced_a_change_is_not_served_once_the_hold_lapses() -> None:
    """The answer of a check that read the token before a change committed is not kept: it
    would be served after the hold (as long as an entry lives) has lapsed."""
    tokens = TokenCache(0.4)
    tokens.hold_back(1)
    await asyncio.sleep(0.2)
    tokens.put(verified("a"))  # the racing check's answer, half a lifetime later
    await asyncio.sleep(0.3)  # the hold has lapsed; an entry put then would still live
    assert tokens.get("a") is None


def test_a_notice_of_another_process_holds_its_user_back() -> None:
    """`notices.USERS` carries the id of the user who changed (PostgreSQL): their cached
    tokens go unused; a payload that is no user id changes nothing."""
    tokens = TokenCache(60)
    tokens.put(verified("a", user_id=7))
    tokens.put(verified("b", user_id=8))
    tokens.user_changed("not a user")
    assert tokens.get("a") is not None
    tokens.user_changed("7")
    assert tokens.get("a") is None
    assert tokens.get("b") is not None


async def test_a_failed_check_that_no_request_waits_for_any_more_leaves_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every request that waited on a check went away, then the check failed: its error is
    taken (nobody is told), not reported as an exception never retrieved."""
    tokens = TokenCache(60)

    async def refused() -> VerifiedToken:
        await asyncio.sleep(0.01)
        raise ValueError("invalid token")

    waiting = asyncio.create_task(tokens.check_once("a", refused))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0.05)  # the check fails meanwhile
    del waiting
    gc.collect()
    assert "never retrieved" not in caplog.text
