"""`/admin/stats`, `/admin/health`, `/admin/quality`: the operator's console's figures, for
the server's operators only (403 for a learner)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from langtutor.admin.health import HealthReport
from langtutor.admin.usage import Stats
from langtutor.deps import AdminStatsDep, CurrentOperator, NowDep
from langtutor.reports import QualityRow
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, tags=["admin"])
RESPONSES = error_responses(401, 403, 422)
CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "content": {"application/json": {}, "text/csv": {}},
        "description": "the report: JSON, or CSV with `format=csv`",
    }
}


@router.get("/admin/stats", response_model=Stats, responses=RESPONSES)
async def read_stats(
    operator: CurrentOperator,
    stats: AdminStatsDep,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Stats:
    """Per UTC day over the last `days` days: learners active, generations, answers, reviews,
    model errors, latency p50/p95; learners active per week; the totals."""
    return await stats.stats(operator, days=days, now=now)


@router.get("/admin/health", response_model=HealthReport, responses=RESPONSES)
async def read_health(operator: CurrentOperator, stats: AdminStatsDep, now: NowDep) -> HealthReport:
    """Per provider and model, over the last 24 hours and 30 days: generations, errors and
    their rate, the provider's 429s, language re-asks, latency p50/p95."""
    return await stats.health(operator, now=now)


@router.get(
    "/admin/quality",
    response_model=list[QualityRow],
    responses=RESPONSES | CSV_RESPONSE,
)
async def read_quality(
    operator: CurrentOperator,
    stats: AdminStatsDep,
    now: NowDep,
    days: Annotated[
        int | None, Query(ge=1, le=3660, description="only the last `days` days; all by default")
    ] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> list[QualityRow] | Response:
    """The quality report (`langtutor report quality`): per content type × target language ×
    model × prompt version, its rates, ratings and latest low-rated comments."""
    if format == "csv":
        body = await stats.quality_csv(operator, days=days, now=now)
        name = f"langtutor-quality-{now.date().isoformat()}.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    rows: list[QualityRow] = await stats.quality(operator, days=days, now=now)
    return rows
