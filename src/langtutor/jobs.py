"""Work that spans domains and runs outside requests: fitting learners' FSRS parameters to
their own review logs (by `langtutor review optimize`, and in the background once a learner
has REVIEW_OPTIMIZE_AFTER new reviews since the last fit); the daily care of the activity log
(monthly partitions made ahead on PostgreSQL; archiving past ACTIVITY_RETENTION_DAYS)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from langtutor import archive
from langtutor.accounts import fits as accounts
from langtutor.activity import partitions
from langtutor.db import session_scope, utcnow
from langtutor.review import optimizer
from langtutor.review.optimizer import Fit

logger = logging.getLogger("langtutor.review")
activity_logger = logging.getLogger("langtutor.activity")
CHECK_EVERY_S = 600.0
DAILY_S = 86_400.0
FIRST_ARCHIVE_AFTER_S = 60.0


@dataclass(frozen=True)
class LearnerFit:
    username: str
    fit: Fit
    kept: bool


async def fit_learner(*, session: AsyncSession, fit: accounts.FsrsFit) -> LearnerFit:
    """Fit one learner; keep the parameters only when they predict the log better."""
    result = await optimizer.fit_learner(
        session=session, user_id=fit.user_id, current=fit.parameters
    )
    await accounts.store_fsrs_fit(
        session=session,
        user_id=fit.user_id,
        parameters=result.parameters if result.better else None,
        reviews=result.reviews,
    )
    return LearnerFit(username=fit.username, fit=result, kept=result.better)


async def fit_due_learners(
    sessionmaker: async_sessionmaker[AsyncSession], *, after: int
) -> list[LearnerFit]:
    """Every learner with at least `after` reviews since their last fit, one at a time."""
    async with session_scope(sessionmaker) as session:
        counts = await optimizer.review_counts(session=session)
        due = [
            fit
            for fit in await accounts.fsrs_fits(session=session)
            if counts.get(fit.user_id, 0) - fit.reviews_at_fit >= after
            and counts.get(fit.user_id, 0) >= optimizer.MIN_REVIEWS_TO_FIT
        ]
    fitted = []
    for fit in due:
        async with session_scope(sessionmaker) as session:
            fitted.append(await fit_learner(session=session, fit=fit))
        logger.info("review: refitted FSRS parameters of %s", fit.username)
    return fitted


async def fit_periodically(
    sessionmaker: async_sessionmaker[AsyncSession], *, after: int, every_s: float = CHECK_EVERY_S
) -> None:
    """The background fit: never in a request, never fatal."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await fit_due_learners(sessionmaker, after=after)
        except Exception:
            logger.exception("review: background fit of FSRS parameters failed")


async def care_for_activity_log(
    engine: AsyncEngine,
    *,
    retention_days: int,
    data_dir: Path,
    every_s: float = DAILY_S,
    first_archive_after_s: float = FIRST_ARCHIVE_AFTER_S,
) -> None:
    """At start and then daily: the monthly partitions of the coming months (PostgreSQL);
    with a retention, a minute after start and then daily, the entries older than it
    archived. Never in a request, never fatal; with several workers, one does each run (an
    advisory lock) and the others find nothing left to do."""
    first = True
    while True:
        try:
            async with engine.connect() as connection:  # reads only, commits nothing
                months = await partitions.missing(connection)
            if months:
                async with engine.begin() as connection:
                    created = await partitions.ensure(connection, months)
                if created:
                    activity_logger.info("activity log: partitions %s created", ", ".join(created))
        except Exception:
            activity_logger.exception("activity log: creating the coming months' partitions failed")
        if retention_days:
            if first:
                await asyncio.sleep(first_archive_after_s)
            before = utcnow().date() - timedelta(days=retention_days)
            try:
                await archive.archive(engine, before=before, data_dir=data_dir)
            except archive.ArchiveError as refused:
                activity_logger.info("activity log: archive skipped: %s", refused)
            except Exception:
                activity_logger.exception(
                    "activity log: archiving entries before %s failed", before
                )
        first = False
        await asyncio.sleep(every_s)
