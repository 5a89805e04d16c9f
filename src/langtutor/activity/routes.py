"""`/activity` and `/progress` routes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BeforeValidator

from langtutor.activity import progress, service
from langtutor.activity.schemas import ActivityPage, Progress
from langtutor.deps import ActivityLogDep, CurrentToken, NowDep, ReadEngineDep
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute
from langtutor.schemas import TimeZoneName
from langtutor.zones import learner_zone

router = APIRouter(route_class=JSONRoute, tags=["activity"])


def _iso_only(value: object) -> object:
    # pydantic would read "0" or "1e9" as Unix times; a cursor is an ISO 8601 date-time.
    if isinstance(value, str) and re.fullmatch(r"[\d.eE+-]*", value.strip()):
        raise ValueError("use an ISO 8601 date-time with its time zone, e.g. 2026-11-26T10:00:00Z")
    return value


# With its time zone: a time without one says no moment (and the log's times all have one).
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


@router.get("/activity", response_model=ActivityPage, responses=error_responses(401, 422))
async def read_activity(
    current: CurrentToken,
    engine: ReadEngineDep,
    activity: ActivityLogDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        IsoDateTime | None,
        Query(description="only entries older than this (ISO 8601, with its time zone)"),
    ] = None,
) -> ActivityPage:
    """Your activity-log entries, newest first."""
    async with engine.connect() as connection:
        return await service.list_activity(
            connection=connection,
            activity=activity,
            user_id=current.user_id,
            limit=limit,
            before=before,
        )


@router.get("/progress", response_model=Progress, responses=error_responses(401, 422))
async def read_progress(
    current: CurrentToken,
    engine: ReadEngineDep,
    activity: ActivityLogDep,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    tz: Annotated[
        TimeZoneName | None,
        Query(description="IANA time zone for days; by default your profile's, else UTC"),
    ] = None,
) -> Progress:
    """Totals, activity per day, streak, top topics and languages over the last `days` days."""
    async with engine.connect() as connection:
        return await progress.progress_report(
            connection=connection,
            activity=activity,
            user_id=current.user_id,
            days=days,
            tz=learner_zone(tz or current.user.timezone),
            now=now,
        )
