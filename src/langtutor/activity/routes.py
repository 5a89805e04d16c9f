"""`/activity` and `/progress` routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request

from langtutor.activity import service
from langtutor.activity.schemas import ActivityPage, Progress
from langtutor.deps import CurrentUser, SessionDep
from langtutor.errors import Unprocessable
from langtutor.responses import error_responses

router = APIRouter(tags=["activity"])


@router.get("/activity", response_model=ActivityPage, responses=error_responses(401, 422))
async def read_activity(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[datetime | None, Query(description="only entries older than this")] = None,
) -> ActivityPage:
    """Your activity-log entries, newest first."""
    # Read-your-writes: this process's buffered entries go to the database first.
    await request.app.state.activity_logger.flush()
    return await service.list_activity(
        session=session, user_id=user.user_id, limit=limit, before=before
    )


@router.get("/progress", response_model=Progress, responses=error_responses(401, 422))
async def read_progress(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    tz: Annotated[str, Query(max_length=64, description="IANA time zone for days")] = "UTC",
) -> Progress:
    """Totals, activity per day, streak, top topics and languages over the last `days` days."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unprocessable(
            f"unknown time zone {tz!r}: use an IANA name such as 'Europe/Madrid'"
        ) from None
    await request.app.state.activity_logger.flush()
    return await service.progress(session=session, user_id=user.user_id, days=days, tz=zone)
