"""The review page: one card at a time, the answer on Space, grades 1–4 with their intervals,
undo; and "Add to review" for a saved set."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.service import Authenticated
from langtutor.config import Settings
from langtutor.deps import NowDep, SessionDep, SettingsDep
from langtutor.errors import Conflict, NotFound
from langtutor.library import service as library
from langtutor.library.schemas import MAX_ID
from langtutor.review import service as review
from langtutor.review.service import ReviewSettings
from langtutor.routing import JSONRoute
from langtutor.web.deps import (
    CheckedForm,
    PageToken,
    PageUser,
    page_review_settings,
    redirect,
    text_field,
    wants_fragment,
)
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
# Ids are database integers: anything beyond is simply not found, and must not overflow.
CardQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
CardPath = Annotated[int, Path(ge=1, le=MAX_ID)]
GRADES = ((1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy"))


def short_interval(interval: timedelta) -> str:
    """As Anki writes them on its buttons: 1m, 10m, 4h, 3d, 2.5mo, 1.2y."""
    seconds = max(0.0, interval.total_seconds())
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))}m"
    if round(seconds / 3600) < 24:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if round(days) < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}".removesuffix(".0") + "mo"
    return f"{days / 365:.1f}".removesuffix(".0") + "y"


async def review_context(
    *,
    session: AsyncSession,
    auth: Authenticated,
    settings: ReviewSettings,
    now: datetime,
    card_id: int | None,
    show: bool,
) -> dict[str, Any]:
    queue = await review.queue(
        session=session, user_id=auth.user_id, settings=settings, limit=1, now=now
    )
    card = queue.cards[0] if queue.cards else None
    if card_id is not None:  # after undo: the card to grade again
        try:
            card = await review.get_card(session=session, user_id=auth.user_id, card_id=card_id)
        except NotFound:
            pass
    context: dict[str, Any] = {
        "card": card,
        "queue": queue,
        "revealed": show,
        "grades": GRADES,
    }
    if card is not None:
        intervals = review.preview(card, settings, now)
        context["intervals"] = {rating: short_interval(span) for rating, span in intervals.items()}
    else:
        next_due = await review.next_due(session=session, user_id=auth.user_id)
        context["next_due_in"] = short_interval(next_due - now) if next_due else None
    return context


async def review_page(
    request: Request,
    *,
    session: AsyncSession,
    auth: Authenticated,
    settings: Settings,
    now: datetime,
    card_id: int | None = None,
    show: bool = False,
    status_code: int = 200,
) -> Response:
    context = await review_context(
        session=session,
        auth=auth,
        settings=page_review_settings(request, auth, settings),
        now=now,
        card_id=card_id,
        show=show,
    )
    template = "_review.html" if wants_fragment(request) else "review.html"
    return render(
        request, template, settings=settings, status_code=status_code, user=auth.user, **context
    )


@router.get("/app/review")
async def review_get(
    request: Request,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    card: CardQuery = None,
    show: bool = False,
) -> Response:
    return await review_page(
        request, session=session, auth=auth, settings=settings, now=now, card_id=card, show=show
    )


@router.post("/app/review/undo")
async def review_undo(
    request: Request,
    form: CheckedForm,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    try:
        card = await review.undo_last_review(session=session, user_id=auth.user_id)
    except NotFound:
        card = None
    card_id = card.card_id if card else None
    if not wants_fragment(request):
        return redirect(f"/app/review?card={card_id}" if card_id else "/app/review")
    return await review_page(
        request, session=session, auth=auth, settings=settings, now=now, card_id=card_id
    )


@router.post("/app/review/{card_id}")
async def review_rate(
    request: Request,
    card_id: CardPath,
    form: CheckedForm,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    rating, duration = text_field(form, "rating"), text_field(form, "duration_ms")
    reps = text_field(form, "reps")
    if rating not in ("1", "2", "3", "4"):
        return await review_page(
            request,
            session=session,
            auth=auth,
            settings=settings,
            now=now,
            card_id=card_id,
            show=True,
            status_code=422,
        )
    try:
        await review.rate_card(
            session=session,
            user_id=auth.user_id,
            card_id=card_id,
            rating=int(rating),
            duration_ms=min(int(duration), 86_400_000) if duration.isdecimal() else None,
            settings=page_review_settings(request, auth, settings),
            now=now,
            reps=int(reps) if reps.isdecimal() and len(reps) < 10 else None,
        )
    except Conflict:
        pass  # rated twice (a double press): the first rating stands, on to the next card
    if not wants_fragment(request):
        return redirect("/app/review")
    return await review_page(request, session=session, auth=auth, settings=settings, now=now)


@router.post("/app/library/{saved_content_id}/review")
async def add_to_review(
    saved_content_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    form: CheckedForm,
    auth: PageToken,
    session: SessionDep,
) -> Response:
    added = await library.add_to_review(
        session=session, user_id=auth.user_id, saved_content_id=saved_content_id
    )
    return redirect(f"/app/library/{saved_content_id}?review_added={added.added}")
