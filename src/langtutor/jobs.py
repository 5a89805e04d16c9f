"""Work that spans domains and runs outside requests: fitting learners' FSRS parameters to
their own review logs (by `langtutor review optimize`, and in the background once a learner
has REVIEW_OPTIMIZE_AFTER new reviews since the last fit)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from langtutor.accounts import service as accounts
from langtutor.db import session_scope
from langtutor.review import optimizer
from langtutor.review.optimizer import Fit

logger = logging.getLogger("langtutor.review")
CHECK_EVERY_S = 600.0


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
