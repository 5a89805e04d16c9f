"""The batch logger of `activity_log`: `buffered_log_query`.

The first entry after the logger starts is written at once; later entries wait in memory and
are written in ONE statement (COPY on PostgreSQL, a multi-row INSERT elsewhere), in one
transaction, once `batch_size` have accumulated (on SQLite by a background task, a moment
later: the caller may hold SQLite's one write lock). So that nothing waits long or gets lost: a
background task writes whatever is older than `flush_interval_s`; `flush()` writes everything
(at shutdown; `flush_for(user)` before a read of a user's activity, when some of it is
buffered); when the database is unreachable, a failed write leaves its entries at the front
of the buffer, in order, to be retried with backoff; the buffer is bounded, and what it drops
is counted and logged. An entry that the database refuses for itself (its data, not an
outage) never holds up the others: its batch is written again entry by entry, and it is tried
again alone, then set aside in the quarantine (see `quarantine`). A logging failure never
reaches the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from functools import partial

import psycopg
from sqlalchemy import column, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor import metrics, notices
from langtutor.activity.entries import LogEntry, copy_entries, insert_entries, outage
from langtutor.activity.quarantine import Refusals
from langtutor.activity.spool import Spool, replay_dead_spools

__all__ = ["BatchLogger", "LogEntry"]

logger = logging.getLogger("langtutor.activity")

MAX_BACKOFF_S = 30.0
SHUTDOWN_DEADLINE_S = 15.0
DROP_LOG_EVERY = 1000
_USERS = table("users", column("user_id"))


class BatchLogger:
    # Typed here, not in __init__, which mutmut copies per mutant (docs/mutation.md).
    _buffer: deque[LogEntry]
    _task: asyncio.Task[None] | None
    _background: asyncio.Task[None] | None

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        batch_size: int = 100,
        flush_interval_s: float = 2.0,
        buffer_max: int = 100_000,
        spool: Spool | None = None,
    ) -> None:
        self.engine = engine
        self.spool = spool
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.buffer_max = buffer_max
        self._buffer = deque()
        # Entries the database refused on their own, out of the buffer, tried again alone.
        self._refused = Refusals(engine, self._write_one)
        self._lock = asyncio.Lock()
        self._first_written = False
        self._failures = 0
        self._retry_at = 0.0
        self._dropped = 0
        self._task = None
        self._background = None
        # Entries ever put in the buffer, and ever written from it (they leave in order, the
        # refused ones too): a flush whose entries an earlier write took has nothing to do.
        self._enqueued = 0
        self._written = 0
        # How many entries the other processes' latest flush request (`flush_soon`) covers.
        self._asked_upto = 0

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def pending(self, user_id: int) -> list[LogEntry]:
        """A user's entries still waiting in this process's buffer, oldest first: for reads
        that want them without forcing a write (which would undo the batching)."""
        return [entry for entry in self._buffer if entry.user_id == user_id]

    async def start(self) -> None:
        self._first_written = False
        if self.spool is not None:
            await replay_dead_spools(self.spool, self._replay)
        self._task = asyncio.create_task(self._flush_periodically(), name="activity-log-flush")

    async def stop(self) -> None:
        """Stop the background flush and write everything that is buffered."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.settled()
        deadline = time.monotonic() + SHUTDOWN_DEADLINE_S
        while self._buffer and time.monotonic() < deadline:
            if not await self.flush():
                await asyncio.sleep(0.5)
        if self._refused:  # once more, else into the quarantine rather than waiting longer
            async with self._lock:
                await self._retry_refused(final=True)
        if left := len(self._buffer) + len(self._refused):
            logger.error(
                "activity log: %d entries could not be written before shutdown%s",
                left,
                "; they stay in the spool for the next start" if self.spool else " and are lost",
            )
        if self.spool is not None:
            self.spool.close(keep=bool(left))

    async def buffered_log_query(self, entry: LogEntry) -> None:
        """Record one entry; see the module docstring. Never raises."""
        try:
            if not self._enqueue(entry):
                return
            if not self._first_written:
                self._first_written = True
                await self._write_now(full_batches_only=False)
            elif len(self._buffer) >= self.batch_size and time.monotonic() >= self._retry_at:
                await self._write_now(full_batches_only=True)
        except Exception:  # the learner's request must not fail for the log's sake
            logger.exception("activity log: unexpected error while logging")

    async def flush_for(self, user_id: int) -> bool:
        """Before a read of this user's activity (read-your-writes): write what is buffered
        if any of it is theirs, else nothing; a read must not undo the batching for all."""
        if any(entry.user_id == user_id for entry in self._buffer):
            return await self.flush()
        return True

    def flush_soon(self, _payload: str = "") -> None:
        """Another process asked (`notices.FLUSH`): write the buffer in the background, once
        however many ask meanwhile. A request that comes while a write runs is not lost: that
        write then writes again what came since (the asker waits for an entry that may have
        come after the write began)."""
        if self._buffer:
            self._asked_upto = self._enqueued
            self._in_background(full_batches_only=False)

    async def _write_now(self, *, full_batches_only: bool) -> None:
        """From `buffered_log_query`: at once, in the caller's time; on SQLite in the
        background, since the caller may hold the database's one write lock (a request that
        logs inside its own transaction), which our write would wait on until it times out."""
        if self.engine.dialect.name == "sqlite":
            self._in_background(full_batches_only=full_batches_only)
        else:
            await self._write_buffered(full_batches_only=full_batches_only)

    def _in_background(self, *, full_batches_only: bool) -> None:
        if self._background is None or self._background.done():
            self._background = asyncio.create_task(
                self._write_in_background(full_batches_only), name="activity-log-write"
            )

    async def _write_in_background(self, full_batches_only: bool) -> None:
        try:
            # Until fewer than a batch wait (what arrived during a write is not left behind),
            # and until what another process asked for meanwhile is written.
            while await self._write_buffered(
                full_batches_only=full_batches_only and self._written >= self._asked_upto
            ):
                if time.monotonic() < self._retry_at:
                    break
                if self._written >= self._asked_upto and len(self._buffer) < self.batch_size:
                    break
                full_batches_only = True
        except Exception:
            logger.exception("activity log: unexpected error while writing")

    async def settled(self) -> None:
        """Until the write running in the background (if any) is done."""
        while self._background is not None and not self._background.done():
            await asyncio.wait({self._background})

    async def ask_others_to_flush(self) -> None:
        """Ask every process of the server to write its buffer now (PostgreSQL; elsewhere
        there are no others to ask): for a read that waits on another's entries."""
        try:
            async with self.engine.connect() as connection:
                await notices.notify(connection, notices.FLUSH)
                await connection.commit()
        except Exception as error:  # the reader then waits for the others' flush interval
            logger.warning("activity log: could not ask the other processes to flush: %s", error)

    async def flush(self) -> bool:
        """Write everything buffered now; False when a write failed (entries are kept).
        Flushes that wait for one another's write do not each write again: under load, reads
        that want their entries written (read-your-writes) queued one small write each behind
        the lock, seconds in all."""
        try:
            return await self._write_buffered(full_batches_only=False, upto=self._enqueued)
        except Exception:
            logger.exception("activity log: unexpected error while flushing")
            return False

    def _enqueue(self, entry: LogEntry) -> bool:
        if len(self._buffer) + len(self._refused) >= self.buffer_max:
            self._dropped += 1
            metrics.LOG_DROPPED.inc()
            if self._dropped % DROP_LOG_EVERY == 1:
                logger.error(
                    "activity log: buffer full (%d entries, database unreachable?); "
                    "dropped %d entries so far",
                    self.buffer_max,
                    self._dropped,
                )
            return False
        entry.enqueued_at = time.monotonic()
        if self.spool is not None:
            try:
                self.spool.append(entry)
            except OSError as error:  # a full disk: the entry still waits in memory
                logger.error("activity log: could not append to the spool: %s", error)
        self._buffer.append(entry)
        self._enqueued += 1
        metrics.LOG_BUFFERED.set(len(self._buffer))
        return True

    async def _write_buffered(self, *, full_batches_only: bool, upto: int | None = None) -> bool:
        """Write the buffer (or its full batches only), or nothing when the entries up to
        `upto` (a count of entries enqueued) are written already; first, when it is time,
        the entries the database refused (they came before)."""
        async with self._lock:
            if self._refused.due(time.monotonic()):
                if not await self._retry_refused():
                    return False
            if upto is not None and self._written >= upto:
                return True
            # What is buffered now, not what arrives while writing: those wait for their batch.
            pending = len(self._buffer)
            while pending and (not full_batches_only or pending >= self.batch_size):
                # Entries leave the buffer only once written: a failure keeps them in front.
                count = min(self.batch_size, pending)
                batch = list(itertools.islice(self._buffer, count))
                try:
                    try:
                        await self._write_of_live_users(batch)
                    except Exception as error:
                        if outage(error):
                            raise
                        # Its data: one entry the database cannot take fails the whole batch.
                        await self._write_alone(batch, done=partial(self._leave, 1))
                    else:
                        self._leave(count)
                except Exception as error:
                    self._failed(error)
                    return False
                finally:
                    self._release_spool()
                pending -= count
            return True

    def _leave(self, count: int) -> None:
        """The first `count` buffered entries are dealt with: written, dropped or refused."""
        for _ in range(count):
            self._buffer.popleft()
        self._written += count
        metrics.LOG_BUFFERED.set(len(self._buffer))

    def _release_spool(self) -> None:
        if self.spool is not None:
            self.spool.release(itertools.chain(self._refused.entries(), self._buffer))

    async def _write_alone(
        self,
        entries: list[LogEntry],
        *,
        done: Callable[[], None] = lambda: None,
        spool: bool = False,
    ) -> None:
        """Each entry in a statement of its own, so that the others go in: one the database
        refuses for its data is kept aside (and in this process's spool, with `spool`), to be
        tried again alone; an outage raises. `done` after each entry dealt with."""
        for entry in entries:
            try:
                await self._write_one(entry)
            except Exception as error:
                if outage(error):
                    raise
                self._refused.add(entry, error)
                if spool and self.spool is not None:
                    self.spool.append(entry)
            done()

    async def _write_one(self, entry: LogEntry) -> None:
        await self._write_of_live_users([entry], idempotent=True)

    async def _retry_refused(self, *, final: bool = False) -> bool:
        """The refused entries alone again (see `Refusals`); False on an outage."""
        try:
            await self._refused.retry(final=final)
        except Exception as error:  # an outage: they wait for the next try
            self._failed(error)
            return False
        finally:
            self._release_spool()
        return True

    async def _replay(self, batch: list[LogEntry]) -> None:
        """A dead process's entries: those the database refuses for their data join this
        process's refused entries (and its spool): they hold up neither the replay nor the
        next start. An outage raises: the file is kept for the next start."""
        try:
            await self._write_of_live_users(batch, idempotent=True)
        except Exception as error:
            if outage(error):
                raise
            await self._write_alone(batch, spool=True)

    async def _write_of_live_users(self, batch: list[LogEntry], idempotent: bool = False) -> None:
        """Write the batch; if it breaks a constraint because an account was deleted while
        its entries waited here, write the others' entries without them (they would block
        the log for everyone, forever) and say how many went."""
        try:
            await self._write(batch, idempotent=idempotent)
        except (IntegrityError, psycopg.IntegrityError):
            async with self.engine.connect() as connection:
                wanted = {entry.user_id for entry in batch}
                live = set(
                    await connection.scalars(
                        select(_USERS.c.user_id).where(_USERS.c.user_id.in_(wanted))
                    )
                )
            kept = [entry for entry in batch if entry.user_id in live]
            if len(kept) == len(batch):
                raise
            if kept:
                await self._write(kept, idempotent=idempotent)
            metrics.LOG_DROPPED.inc(len(batch) - len(kept))
            logger.warning(
                "activity log: dropped %d entries of %d deleted accounts",
                len(batch) - len(kept),
                len(wanted - live),
            )

    async def _write(self, batch: list[LogEntry], *, idempotent: bool) -> None:
        """One statement. `idempotent` (replays, and retries after a failed write, whose
        commit may have happened unseen): entries already in the table are skipped."""
        idempotent = idempotent or self._failures > 0
        async with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql" and not idempotent:
                await copy_entries(connection, batch)
            else:
                await insert_entries(connection, batch, idempotent=idempotent)
        metrics.LOG_WRITTEN.inc(len(batch))
        metrics.LOG_BATCHES.inc()
        if self._failures:
            logger.warning("activity log: writing again after %d failed attempts", self._failures)
        self._failures = 0
        self._retry_at = 0.0

    def _failed(self, error: Exception) -> None:
        self._failures += 1
        backoff = min(MAX_BACKOFF_S, 0.25 * 2 ** min(self._failures, 10))
        self._retry_at = time.monotonic() + backoff
        metrics.LOG_WRITE_FAILURES.inc()
        logger.error(
            "activity log: write of %d buffered entries failed (attempt %d, retry in %.1f s): %s",
            len(self._buffer),
            self._failures,
            backoff,
            error,
        )

    async def _flush_periodically(self) -> None:
        tick = min(0.25, self.flush_interval_s / 4)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            refused_due = self._refused.due(now)
            if (not self._buffer and not refused_due) or now < self._retry_at:
                continue
            if (
                refused_due
                or self._failures
                or self._buffer[0].enqueued_at + self.flush_interval_s <= now
            ):
                await self.flush()
