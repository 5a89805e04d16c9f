"""PostgreSQL: `activity_log` is partitioned by month on `timestamp`.

Partitions are named `activity_log_pYYYYMM` (UTC months); `activity_log_default` takes any
entry whose month has none. The migration that partitions the table creates one per month
that holds entries, and this month and the next `AHEAD_MONTHS`; `ensure()` (at start, then
daily) keeps creating them ahead, and moves entries that the default partition took for a
month into its new partition. Archiving drops the partitions it empties (`langtutor.archive`).

Deleting an entry sets the feedback links to it to NULL (a trigger: a foreign key to a
partitioned table would need the whole primary key, timestamp included); moving entries
between partitions is not a deletion (the trigger skips transactions that set
`langtutor.moving_rows`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from langtutor.db import utcnow

AHEAD_MONTHS = 3
DEFAULT = "activity_log_default"
_NAME = re.compile(r"activity_log_p(\d{4})(\d{2})")
# Held for the transaction by whoever changes the partitions or archives, so that several
# workers (or a worker and the command line) never do it at once.
ADVISORY_LOCK = 0x6C616E67  # "lang"

UNLINK_FEEDBACK_FUNCTION = """
CREATE OR REPLACE FUNCTION activity_log_unlink_feedback() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('langtutor.moving_rows', true), '') <> 'on' THEN
        UPDATE feedback SET related_log_id = NULL WHERE related_log_id = OLD.log_id;
    END IF;
    RETURN NULL;
END
$$
"""
UNLINK_FEEDBACK_TRIGGER = (
    "CREATE TRIGGER activity_log_unlink_feedback AFTER DELETE ON activity_log"
    " FOR EACH ROW EXECUTE FUNCTION activity_log_unlink_feedback()"
)
MOVING_ROWS = "SET LOCAL langtutor.moving_rows = 'on'"


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_ahead(today: date | None = None, ahead: int = AHEAD_MONTHS) -> list[date]:
    """This month (UTC) and the `ahead` after it."""
    month = (today or utcnow().date()).replace(day=1)
    months = [month]
    for _ in range(ahead):
        months.append(next_month(months[-1]))
    return months


def name(month: date) -> str:
    return f"activity_log_p{month:%Y%m}"


def _bound(month: date) -> str:
    return f"'{datetime.combine(month, datetime.min.time(), UTC).isoformat()}'"


def _range(month: date) -> str:
    return f"FROM ({_bound(month)}) TO ({_bound(next_month(month))})"


def create_sql(month: date, *, parent: str = "activity_log") -> str:
    return f"CREATE TABLE {name(month)} PARTITION OF {parent} FOR VALUES {_range(month)}"


@dataclass(frozen=True)
class Partition:
    name: str
    month: date

    @property
    def end(self) -> datetime:
        return datetime.combine(next_month(self.month), datetime.min.time(), UTC)


async def partitioned(connection: AsyncConnection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    found = await connection.scalar(
        text(
            "SELECT count(*) FROM pg_partitioned_table"
            " WHERE partrelid = to_regclass('activity_log')"
        )
    )
    return bool(found)


async def monthly(connection: AsyncConnection) -> list[Partition]:
    """The monthly partitions, oldest first (none on an unpartitioned table)."""
    if connection.dialect.name != "postgresql":
        return []
    names = await connection.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass('activity_log')"
        )
    )
    found = []
    for relname in names:
        if match := _NAME.fullmatch(relname):
            found.append(Partition(relname, date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda partition: partition.month)


async def missing(connection: AsyncConnection, months: list[date] | None = None) -> list[date]:
    """The months of `months` (default: this month and the next AHEAD_MONTHS) that have no
    partition yet; none on an unpartitioned table. Only reads."""
    if not await partitioned(connection):
        return []
    existing = {partition.month for partition in await monthly(connection)}
    wanted = months if months is not None else months_ahead()
    return [month for month in wanted if month.replace(day=1) not in existing]


async def lock(connection: AsyncConnection) -> bool:
    """The advisory lock of partition changes and archiving, for this transaction; False if
    another session holds it."""
    return bool(
        await connection.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK}
        )
    )


async def ensure(connection: AsyncConnection, months: list[date] | None = None) -> list[str]:
    """Creates the missing monthly partitions of `months` (default: this month and the next
    AHEAD_MONTHS), moving into each the entries that the default partition holds for it. Call
    in a transaction; returns the names created. Nothing on an unpartitioned table, or while
    another session changes the partitions."""
    if not await partitioned(connection) or not await lock(connection):
        return []
    created = []
    for month in await missing(connection, months):
        month = month.replace(day=1)
        start, end = _bound(month), _bound(next_month(month))
        waiting = await connection.scalar(
            text(
                f"SELECT EXISTS (SELECT 1 FROM {DEFAULT}"
                f" WHERE timestamp >= {start} AND timestamp < {end})"
            )
        )
        if not waiting:
            await connection.execute(text(create_sql(month)))
        else:
            await connection.execute(text(MOVING_ROWS))
            await connection.execute(
                text(
                    f"CREATE TABLE {name(month)}"
                    " (LIKE activity_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                )
            )
            await connection.execute(
                text(
                    f"WITH moved AS (DELETE FROM {DEFAULT}"
                    f" WHERE timestamp >= {start} AND timestamp < {end} RETURNING *)"
                    f" INSERT INTO {name(month)} SELECT * FROM moved"
                )
            )
            await connection.execute(
                text(
                    f"ALTER TABLE activity_log ATTACH PARTITION {name(month)}"
                    f" FOR VALUES {_range(month)}"
                )
            )
        created.append(name(month))
    return created
