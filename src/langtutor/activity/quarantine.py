"""The activity log's quarantine (`activity_quarantine`): entries that the database refused on
their own, try after try, set aside so that they hold up no one's entries behind them.

The batch logger writes a batch in one statement; when the database refuses it for its data
(an entry it cannot store, as text with NUL on PostgreSQL) rather than for an outage, the
logger writes the batch's entries one by one: the others go in, and one refused on its own is
kept aside and tried again alone, `QUARANTINE_AFTER` times in all, then set aside here, with
the database's last error, a metric (`langtutor_log_entries_quarantined_total`) and an error
in the log. An operator lists, writes again (cleaned of what the database cannot store) or
removes them with `langtutor activity quarantine`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor import metrics
from langtutor.activity.entries import LogEntry, insert_entries, outage
from langtutor.activity.models import ActivityQuarantine
from langtutor.activity.spool import ascii_json, entry_of
from langtutor.db import utcnow
from langtutor.text import clean_text, clean_value

logger = logging.getLogger("langtutor.activity")

# Tries of an entry the database refuses on its own (its batch's included) before it is set
# aside; they are RETRY_REFUSED_S apart.
QUARANTINE_AFTER = 3
RETRY_REFUSED_S = 1.0


@dataclass
class Refused:
    """An entry the database refused on its own, and its last error."""

    entry: LogEntry
    error: str
    tries: int = 1


def reason(error: BaseException) -> str:
    """The database's words (not SQLAlchemy's, which repeat the statement and the entry)."""
    cause = getattr(error, "orig", None) or error
    return clean_text(f"{type(cause).__name__}: {cause}")[:2000]


async def set_aside(engine: AsyncEngine, refused: Refused) -> None:
    """Into the quarantine, once (another process may have set it aside from a replay)."""
    entry = refused.entry
    row = {
        "entry_id": entry.entry_id,
        "user_id": entry.user_id,
        "event": clean_text(entry.event)[:50],
        "entry_timestamp": entry.timestamp,
        "quarantined_at": utcnow(),
        "tries": refused.tries,
        "error": refused.error,
        # In ASCII, as a spool line: what the database could not store is escaped.
        "entry": ascii_json(entry),
    }
    make = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        make(ActivityQuarantine).values(row).on_conflict_do_nothing(index_elements=["entry_id"])
    )
    try:
        async with engine.begin() as connection:
            await connection.execute(statement)
    except IntegrityError:  # the learner's account went meanwhile, and their entries with it
        metrics.LOG_DROPPED.inc()
        logger.warning("activity log: dropped entry %s of a deleted account", entry.entry_id)
        return
    metrics.LOG_QUARANTINED.inc()
    logger.error(
        "activity log: entry %s of user %d (%s) refused %d times by the database; set aside "
        "in activity_quarantine (langtutor activity quarantine list): %s",
        entry.entry_id,
        entry.user_id,
        entry.event,
        refused.tries,
        refused.error,
    )


class Refusals:
    """Entries that the database refused on their own, out of the logger's buffer (their
    batch went in without them): each is tried again alone, RETRY_REFUSED_S apart, and set
    aside in the quarantine after QUARANTINE_AFTER tries in all."""

    def __init__(self, engine: AsyncEngine, write: Callable[[LogEntry], Awaitable[None]]) -> None:
        self.engine = engine
        self._write = write  # one entry, alone
        self._waiting: list[Refused] = []
        self._retry_at = 0.0

    def __len__(self) -> int:
        return len(self._waiting)

    def entries(self) -> Iterator[LogEntry]:
        return (refused.entry for refused in self._waiting)

    def due(self, now: float) -> bool:
        return bool(self._waiting) and now >= self._retry_at

    def add(self, entry: LogEntry, error: BaseException) -> None:
        if not self._waiting:
            self._retry_at = time.monotonic() + RETRY_REFUSED_S
        self._waiting.append(Refused(entry, reason(error)))
        metrics.LOG_WRITE_FAILURES.inc()
        logger.warning(
            "activity log: the database refused entry %s of user %d on its own (%s); the "
            "entries behind it go on, it is tried again alone",
            entry.entry_id,
            entry.user_id,
            reason(error),
        )

    async def retry(self, *, final: bool = False) -> None:
        """Each one alone again; one refused QUARANTINE_AFTER times in all (or again, when
        `final`: at shutdown) is set aside. An outage raises: they wait for the next try."""
        self._retry_at = time.monotonic() + RETRY_REFUSED_S
        for refused in list(self._waiting):
            try:
                await self._write(refused.entry)
            except Exception as error:
                if outage(error):
                    raise
                refused.tries += 1
                refused.error = reason(error)
                if refused.tries < QUARANTINE_AFTER and not final:
                    continue
                try:
                    await set_aside(self.engine, refused)
                except Exception as failure:
                    if outage(failure):
                        raise
                    # The quarantine refused it too (not migrated?): kept, tried again later.
                    logger.error("activity log: could not set an entry aside: %s", failure)
                    continue
            self._waiting.remove(refused)


# -- for the operator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarantined:
    quarantine_id: int
    user_id: int
    event: str
    entry_timestamp: datetime
    quarantined_at: datetime
    tries: int
    error: str
    entry: dict[str, Any]


async def listing(engine: AsyncEngine, *, limit: int) -> tuple[int, list[Quarantined]]:
    """How many entries are set aside, and the latest `limit` of them, newest first."""
    async with engine.connect() as connection:
        total = await connection.scalar(select(func.count()).select_from(ActivityQuarantine))
        rows = await connection.execute(
            select(ActivityQuarantine)
            .order_by(ActivityQuarantine.quarantine_id.desc())
            .limit(limit)
        )
        found = [
            Quarantined(
                quarantine_id=row.quarantine_id,
                user_id=row.user_id,
                event=row.event,
                entry_timestamp=row.entry_timestamp,
                quarantined_at=row.quarantined_at,
                tries=row.tries,
                error=row.error,
                entry=json.loads(row.entry),
            )
            for row in rows
        ]
    return int(total or 0), found


def _chosen(ids: list[int] | None) -> Any:
    return ActivityQuarantine.quarantine_id.in_(ids) if ids else True


async def retry(engine: AsyncEngine, ids: list[int] | None = None) -> tuple[int, int]:
    """Write the chosen entries (all when `ids` is None) to the log, cleaned of what the
    database cannot store, each on its own: those written leave the quarantine, the others
    stay with their new error. Returns (written, still refused)."""
    async with engine.connect() as connection:
        rows = list(await connection.execute(select(ActivityQuarantine).where(_chosen(ids))))
    written = refused = 0
    for row in rows:
        entry = entry_of(clean_value(json.loads(row.entry)))
        try:
            async with engine.begin() as connection:
                await insert_entries(connection, [entry], idempotent=True)
                await connection.execute(
                    delete(ActivityQuarantine).where(
                        ActivityQuarantine.quarantine_id == row.quarantine_id
                    )
                )
        except Exception as error:  # stays set aside; the operator sees why
            refused += 1
            async with engine.begin() as connection:
                await connection.execute(
                    update(ActivityQuarantine)
                    .where(ActivityQuarantine.quarantine_id == row.quarantine_id)
                    .values(error=reason(error), tries=row.tries + 1)
                )
            continue
        written += 1
    return written, refused


async def purge(engine: AsyncEngine, ids: list[int] | None = None) -> int:
    """Remove the chosen entries (all when `ids` is None) for good; how many went."""
    async with engine.begin() as connection:
        result = await connection.execute(delete(ActivityQuarantine).where(_chosen(ids)))
    return int(result.rowcount or 0)
