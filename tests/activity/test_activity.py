"""`Activity` and `Progress`, the service objects, called directly with a `Learner` (both
databases): a learner's buffered entries are read, and another learner's are never."""

from __future__ import annotations

from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from langtutor.accounts.credentials import signed_in_token
from langtutor.accounts.learner import Learner, learner_of
from langtutor.accounts.schemas import UserCreate
from langtutor.accounts.service import Accounts
from langtutor.accounts.throttle import LOCAL
from langtutor.accounts.tokens import TokenCache
from langtutor.activity.logger import BatchLogger, LogEntry
from langtutor.activity.service import Activity
from langtutor.config import Settings
from langtutor.db import Database, utcnow
from langtutor.progress import Progress

PASSWORD = "correct horse battery"


@pytest.fixture
async def log(db: AsyncEngine) -> AsyncIterator[BatchLogger]:
    logger = BatchLogger(db, batch_size=100, flush_interval_s=60)
    await logger.start()
    try:
        yield logger
    finally:
        await logger.stop()


async def learner(db: AsyncEngine, settings: Settings, username: str) -> Learner:
    accounts = Accounts(Database(db), TokenCache(0), settings)
    await accounts.register(data=UserCreate(username=username, password=PASSWORD), client=LOCAL)
    issued = await accounts.log_in(username=username, password=PASSWORD, client=LOCAL)
    verified = await signed_in_token(
        tokens=accounts.tokens,
        sessions=accounts.db.autocommit_sessions,
        token=issued.access_token,
        secret_key=settings.SECRET_KEY,
        ttl_s=settings.ACCESS_TOKEN_TTL_S,
        now=utcnow(),
    )
    return learner_of(verified, settings)


def output(user_id: int, topic: str) -> LogEntry:
    return LogEntry(
        user_id=user_id,
        content_type="flashcards",
        query_text=topic,
        target_language="es",
        event="output",
    )


async def test_listing_and_progress_of_one_learner(
    db: AsyncEngine, settings: Settings, log: BatchLogger
) -> None:
    ana, jon = await learner(db, settings, "ana"), await learner(db, settings, "jon")
    for topic in ("colours", "food", "travel"):
        await log.buffered_log_query(output(ana.user_id, topic))
    await log.buffered_log_query(output(jon.user_id, "weather"))
    activity, progress = Activity(Database(db), log), Progress(Database(db), log)

    page = await activity.listing(ana, limit=2)
    assert [entry.query_text for entry in page.items] == ["travel", "food"]
    assert page.next_before == page.items[-1].timestamp
    older = await activity.listing(ana, limit=2, before=page.next_before)
    assert [entry.query_text for entry in older.items] == ["colours"]
    assert older.next_before is None
    assert [entry.query_text for entry in (await activity.listing(jon, limit=50)).items] == [
        "weather"
    ]

    report = await progress.report(ana, days=7, now=utcnow())
    assert report.timezone == "UTC"  # the learner's zone: none on the profile
    assert report.totals["flashcards"] == 3
    assert report.streak_days == 1
    elsewhere = await progress.report(ana, days=1, zone=ZoneInfo("Asia/Tokyo"), now=utcnow())
    assert elsewhere.timezone == "Asia/Tokyo"
    assert (await progress.report(jon, days=7, now=utcnow())).totals["flashcards"] == 1
