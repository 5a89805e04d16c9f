"""Each learner's fitted FSRS parameters (`review optimize`, and the runtime's periodic fit):
read with the review count they were fitted at, stored after a new fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from langtutor import notices
from langtutor.accounts import repository


@dataclass(frozen=True)
class FsrsFit:
    user_id: int
    username: str
    parameters: list[float] | None
    reviews_at_fit: int


async def fsrs_fits(*, session: AsyncSession, username: str | None = None) -> list[FsrsFit]:
    """Each learner's FSRS parameters and the review count they were fitted at."""
    return [FsrsFit(*row) for row in await repository.fsrs_fit_rows(session, username)]


async def store_fsrs_fit(
    *, session: AsyncSession, user_id: int, parameters: list[float] | None, reviews: int
) -> None:
    """Keep new parameters (None keeps the current ones) and the review count of this fit."""
    values: dict[str, Any] = {"fsrs_reviews_at_fit": reviews}
    if parameters is not None:
        values["fsrs_parameters"] = parameters
    await repository.store_fsrs_fit(session, user_id=user_id, values=values)
    if parameters is not None:
        # The token check reads the parameters with the user: every process's token cache
        # reads them again when this commits (on SQLite, within the cache's lifetime).
        await notices.notify(session, notices.USERS, str(user_id))
