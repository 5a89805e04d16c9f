"""Notices between the server's processes (workers, machines) on one PostgreSQL database,
through its LISTEN/NOTIFY: no other server needed.

- `USERS` (payload: a user id): the user changed (profile, password, tokens, deletion); each
  process stops answering for them from its token cache. Sent in the changing transaction,
  so it arrives when the change commits.
- `FLUSH`: a process waits for activity entries that another may hold in its buffer (a
  generation answered there, saved here); each process writes its buffer now.

On SQLite nothing is sent: one machine, and the delays that then apply are stated where the
notices would have cut them short.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

import psycopg
from sqlalchemy import func, make_url, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

logger = logging.getLogger("langtutor.notices")

USERS = "langtutor_users"
FLUSH = "langtutor_flush"
MAX_BACKOFF_S = 30.0


async def notify(executor: AsyncSession | AsyncConnection, channel: str, payload: str = "") -> None:
    """Send a notice with the executor's transaction (at once, if it commits each statement)."""
    bind = executor.get_bind() if isinstance(executor, AsyncSession) else executor
    if bind.dialect.name == "postgresql":
        await executor.execute(select(func.pg_notify(channel, payload)))


async def listen(
    database_url: str,
    handlers: Mapping[str, Callable[[str], None]],
    *,
    on_listening: Callable[[], None] = lambda: None,
    on_lost: Callable[[], None] = lambda: None,
) -> None:
    """Call each channel's handler with the payload of every notice, until cancelled. After a
    lost connection it listens again (with backoff); `on_listening` runs each time it starts
    listening, for whoever must assume that notices went by unheard meanwhile, `on_lost`
    each time it stops hearing them."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    failures = 0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                dsn, autocommit=True, connect_timeout=5
            ) as connection:
                for channel in handlers:
                    await connection.execute(f"LISTEN {channel}")
                on_listening()
                if failures:
                    logger.warning("notices: listening again")
                failures = 0
                async for notice in connection.notifies():
                    handler = handlers.get(notice.channel)
                    if handler is not None:
                        handler(notice.payload)
        except asyncio.CancelledError:
            on_lost()
            raise
        except Exception as error:  # any driver error: listen again after a pause
            on_lost()
            failures += 1
            backoff = min(MAX_BACKOFF_S, 0.5 * 2 ** min(failures, 10))
            logger.warning("notices: not listening (%s); again in %.1f s", error, backoff)
            await asyncio.sleep(backoff)
