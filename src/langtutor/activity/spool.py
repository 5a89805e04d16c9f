"""The activity log's spool: every entry the batch logger accepts is first appended to a file
of this process, so that a process killed hard (the OOM killer, `kill -9`, a crash) loses
none of the entries that were waiting in its memory.

- One file per process under `spool/` in the data directory, held with an exclusive lock
  (`flock`) for as long as the process lives: the kernel lets go of it when the process
  dies, however it dies. A file whose lock can be taken belongs to a dead process.
- One `write` per entry, a JSON line; no fsync unless asked (`LOG_SPOOL_FSYNC`): a process
  crash loses nothing, a power cut may lose what the disk had not got yet.
- Released as batches commit: when nothing waits any more, the file starts over; when it
  has grown large while entries wait (steady load), it is rewritten with just those.
- On start, a process claims the files of dead processes (the lock makes each file one
  process's, however many start at once), and the logger writes their entries with an
  idempotent insert (each entry carries an id), so that entries already written before the
  death are not written twice. The database stays the only reader.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from langtutor.activity.entries import LogEntry

logger = logging.getLogger("langtutor.activity")

REWRITE_AT_BYTES = 16 * 1024 * 1024
SUFFIX = ".jsonl"


class Spool:
    def __init__(self, folder: Path, *, fsync: bool = False) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.fsync = fsync
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.path = folder / f"{name}{SUFFIX}"
        self._fd = self._open_locked(self.path)
        self._size = 0

    @staticmethod
    def _open_locked(path: Path) -> int:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd

    def append(self, entry: LogEntry) -> None:
        line = spool_line(entry)
        os.write(self._fd, line)
        if self.fsync:
            os.fsync(self._fd)
        self._size += len(line)

    def release(self, waiting: Iterable[LogEntry]) -> None:
        """A batch is in the database: keep only what still waits in memory."""
        pending = list(waiting)
        if not pending:
            os.ftruncate(self._fd, 0)
            self._size = 0
        elif self._size > REWRITE_AT_BYTES:
            self._rewrite(pending)

    def _rewrite(self, pending: list[LogEntry]) -> None:
        # The new file is locked before it takes the name: no other process can claim it.
        fresh = self.path.with_suffix(".new")
        fd = self._open_locked(fresh)
        lines = b"".join(spool_line(entry) for entry in pending)
        os.write(fd, lines)
        if self.fsync:
            os.fsync(fd)
        os.replace(fresh, self.path)
        os.close(self._fd)
        self._fd, self._size = fd, len(lines)

    def close(self, *, keep: bool) -> None:
        """At shutdown: the file goes when everything was written, else stays for the next
        start to replay."""
        if not keep:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        os.close(self._fd)


def spool_line(entry: LogEntry) -> bytes:
    # orjson writes the dataclass as it is (times, ids included), in about a microsecond.
    try:
        return orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:  # text that no UTF-8 holds (a lone surrogate)
        return (ascii_json(entry) + "\n").encode()


def ascii_json(entry: LogEntry) -> str:
    """The entry as a spool line has it, in ASCII: what no UTF-8 text or database could hold
    (a lone surrogate, a NUL) is escaped, so that the line can always be written and read."""
    return json.dumps(asdict(entry), default=_plain, ensure_ascii=True)


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _loads(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:  # orjson refuses an escaped lone surrogate; json takes it
        return json.loads(line)


def entry_of(values: dict[str, Any]) -> LogEntry:
    """The entry of a spool line (or of the quarantine's JSON)."""
    generation_id = values.get("generation_id")
    return LogEntry(
        entry_id=uuid.UUID(values["entry_id"]),
        user_id=values["user_id"],
        timestamp=datetime.fromisoformat(values["timestamp"]),
        content_type=values["content_type"],
        query_text=values["query_text"],
        target_language=values["target_language"],
        base_language=values.get("base_language"),
        request_metadata=values.get("request_metadata"),
        response_metadata=values.get("response_metadata"),
        generation_id=uuid.UUID(generation_id) if generation_id else None,
        event=values["event"],
        score=values.get("score"),
    )


def read_entries(path: Path) -> list[LogEntry]:
    """The entries of a spool file; a line torn by the death (the last one) is left out."""
    entries = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            try:
                entries.append(entry_of(_loads(line)))
            except (ValueError, KeyError, TypeError):
                logger.warning(
                    "activity log: %s line %d is not a whole entry; left out", path, number
                )
    return entries


@contextlib.contextmanager
def claimed(path: Path) -> Iterator[bool]:
    """Whether this process may replay the file: its owner is dead and no other process has
    claimed it. Held for the block; the file is removed when the block ends without error."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:  # replayed and removed by another process meanwhile
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # its process lives, or another one replays it
            yield False
            return
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # replaced by a rewrite, or removed meanwhile: not a dead one's file
            yield False
            return
        yield True
        path.unlink()
    finally:
        os.close(fd)


def dead_spools(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


REPLAY_BATCH = 500


async def replay_dead_spools(
    spool: Spool, replay: Callable[[list[LogEntry]], Awaitable[None]]
) -> None:
    """Write what dead processes left in their spools, once each (a file is claimed first:
    of several processes starting together, one replays it), in batches of `REPLAY_BATCH`;
    a file whose replay fails is kept for the next start."""
    for path in dead_spools(spool.folder):
        if path == spool.path:
            continue
        try:
            with claimed(path) as ours:
                if not ours:
                    continue
                entries = read_entries(path)
                for start in range(0, len(entries), REPLAY_BATCH):
                    await replay(entries[start : start + REPLAY_BATCH])
                logger.warning(
                    "activity log: %d entries of a process that died written from %s "
                    "(those it had written already were skipped)",
                    len(entries),
                    path.name,
                )
        except Exception as error:  # kept for the next start
            logger.error("activity log: could not replay %s: %s", path.name, error)
