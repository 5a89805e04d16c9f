"""`/activity` and `/progress` routes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BeforeValidator

from langtutor.activity.schemas import ActivityPage, Progress
from langtutor.deps import ActivityDep, CurrentLearner, NowDep, ProgressDep
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute
from langtutor.schemas import TimeZoneName
from langtutor.zones import zone_named

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
    learner: CurrentLearner,
    activity: ActivityDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        IsoDateTime | None,
        Query(description="only entries older than this (ISO 8601, with its time zone)"),
    ] = None,
) -> ActivityPage:
    """Your activity-log entries, newest first."""
    return await activity.listing(learner, limit=limit, before=before)


@router.get("/progress", response_model=Progress, responses=error_responses(401, 422))
async def read_progress(
    learner: CurrentLearner,
    progress: ProgressDep,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    tz: Annotated[
        TimeZoneName | None,
        Query(description="IANA time zone for days; by default your profile's, else UTC"),
    ] = None,
) -> Progress:
    """Totals, activity per day, streak, top topics and languages over the last `days` days."""
    return await progress.report(learner, days=days, zone=zone_named(tz), now=now)
