"""The spool file itself: what a killed process's next start reads back is each entry exactly
as it was accepted (every field), less a line torn by the death; a file grown large while
entries wait is rewritten with just those, still held by its process."""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from langtutor.activity import spool as spooling
from langtutor.activity.logger import LogEntry
from langtutor.activity.spool import Spool, claimed, read_entries, spool_line


def accepted(n: int, **fields: object) -> LogEntry:
    values: dict[str, object] = {
        "user_id": 3,
        "content_type": "exercises",
        "query_text": f"topic {n}",
        "target_language": "es",
        "event": "answer",
        "base_language": "en",
        "generation_id": uuid.UUID(int=n + 1),
        "request_metadata": {"answer": "está", "item_index": n},
        "response_metadata": {"verdict": "almost"},
        "score": 0.5,
        "timestamp": datetime(2026, 11, 20, 9, n, 30, 123456, tzinfo=UTC),
    }
    return LogEntry(**(values | fields))  # type: ignore[arg-type]


def as_read_back(entry: LogEntry) -> LogEntry:
    """Its place in this process's queue is not the file's to keep."""
    return dataclasses.replace(entry, enqueued_at=0.0)


def test_entries_read_back_exactly_less_a_torn_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path)
    entries = [
        accepted(0),
        accepted(1, base_language=None, generation_id=None, score=None),
        accepted(2, request_metadata=None, response_metadata=None),
        # Text that no UTF-8 holds: the line is written in escaped ASCII, and read back.
        accepted(3, query_text="topic \ud800 \x00", request_metadata={"answer": "\udfff"}),
    ]
    for entry in entries:
        entry.enqueued_at = 12.5
        spool.append(entry)
    with spool.path.open("ab") as file:
        file.write(b'{"entry_id": "cut sh')  # the process died in the middle of a write
    with caplog.at_level(logging.WARNING, logger="langtutor.activity"):
        assert read_entries(spool.path) == [as_read_back(entry) for entry in entries]
    assert "line 5 is not a whole entry" in caplog.text
    spool.close(keep=True)


@pytest.mark.parametrize("fsync", [False, True], ids=["no-fsync", "fsync"])
def test_a_large_file_is_rewritten_with_what_still_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool
) -> None:
    entries = [accepted(n) for n in range(6)]
    monkeypatch.setattr(spooling, "REWRITE_AT_BYTES", 3 * len(spool_line(entries[0])))
    synced: list[int] = []  # LOG_SPOOL_FSYNC: each write on disk before the next (off unless set)
    monkeypatch.setattr(spooling.os, "fsync", lambda fd: synced.append(os.fstat(fd).st_ino))
    spool = Spool(tmp_path, fsync=True) if fsync else Spool(tmp_path)
    for entry in entries[:3]:
        spool.append(entry)
    spool.release(entries[1:3])  # not over the bound: the file stays as it is
    assert len(read_entries(spool.path)) == 3
    for entry in entries[3:]:
        spool.append(entry)
    spool.release(entries[4:])  # over it: rewritten with just what waits
    assert read_entries(spool.path) == [as_read_back(entry) for entry in entries[4:]]
    # Six lines appended, then the new file: its inode is the one synced last.
    assert synced == ([*[synced[0]] * 6, spool.path.stat().st_ino] if fsync else [])
    assert list(tmp_path.iterdir()) == [spool.path]
    with claimed(spool.path) as ours:
        assert not ours  # still this process's: another process may not replay it
    spool.append(accepted(6))
    assert [entry.query_text for entry in read_entries(spool.path)] == [
        "topic 4",
        "topic 5",
        "topic 6",
    ]
    spool.release([])
    assert spool.path.read_bytes() == b""  # nothing waits: the file starts over
    for entry in entries[:3]:  # and its size is counted from nothing again
        spool.append(entry)
    spool.release(entries[1:3])
    assert len(read_entries(spool.path)) == 3
    spool.close(keep=False)
    assert list(tmp_path.iterdir()) == []


def test_the_spool_is_made_with_its_folders_and_only_its_owner_may_read_it(
    tmp_path: Path,
) -> None:
    """A first start makes the data directory's spool folder; the file holds learners' text,
    so no other account on the machine may read it."""
    spool = Spool(tmp_path / "data" / "spool")
    spool.append(accepted(0))
    assert spool.path.parent == tmp_path / "data" / "spool"
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    spool.close(keep=False)


def test_a_spool_file_removed_under_a_live_process_does_not_fail_its_shutdown(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path)
    spool.append(accepted(0))
    spool.path.unlink()  # an operator cleaning the data directory
    spool.close(keep=False)
    assert list(tmp_path.iterdir()) == []
