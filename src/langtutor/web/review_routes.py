"""The review page: one card at a time, the answer on Space, grades 1–4 with their intervals,
undo; and "Add to review" for a saved set."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from langtutor.accounts.learner import Learner
from langtutor.config import Settings
from langtutor.deps import LibraryDep, NowDep, ReviewDep, SettingsDep, SpeechDep
from langtutor.errors import Conflict, NotFound
from langtutor.library.schemas import MAX_ID
from langtutor.review.schemas import OfflineCardOut, OfflineOut, Rating
from langtutor.review.service import Review
from langtutor.routing import JSONRoute
from langtutor.web import i18n
from langtutor.web.deps import (
    CheckedForm,
    PageLearner,
    numbers,
    optional,
    redirect,
    wants_fragment,
)
from langtutor.web.i18n import N_
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
# Ids are database integers: anything beyond is simply not found, and must not overflow.
CardQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
CardPath = Annotated[int, Path(ge=1, le=MAX_ID)]
# The grades' labels, translated where the page shows them.
GRADES = ((1, N_("Again")), (2, N_("Hard")), (3, N_("Good")), (4, N_("Easy")))


async def review_page(
    request: Request,
    *,
    learner: Learner,
    review: Review,
    settings: Settings,
    now: datetime,
    card_id: int | None = None,
    show: bool = False,
    status_code: int = 200,
) -> Response:
    screen = await review.screen(learner, now=now, card_id=card_id)
    context: dict[str, Any] = {
        "card": screen.card,
        "queue": screen.queue,
        "revealed": show,
        "grades": [(rating, i18n.gettext(label)) for rating, label in GRADES],
    }
    if screen.card is not None:
        context["intervals"] = {
            rating: i18n.interval(span) for rating, span in screen.intervals.items()
        }
    else:
        next_due = screen.next_due
        context["next_due_in"] = i18n.interval(next_due - now) if next_due else None
    template = "_review.html" if wants_fragment(request) else "review.html"
    return render(
        request, template, settings=settings, status_code=status_code, user=learner, **context
    )


@router.get("/app/review")
async def review_get(
    request: Request,
    learner: PageLearner,
    review: ReviewDep,
    settings: SettingsDep,
    now: NowDep,
    card: CardQuery = None,
    show: bool = False,
) -> Response:
    return await review_page(
        request, learner=learner, review=review, settings=settings, now=now, card_id=card, show=show
    )


@router.get("/app/review/offline")
async def review_offline(
    learner: PageLearner, review: ReviewDep, speech: SpeechDep, now: NowDep
) -> JSONResponse:
    """The review page's copy for reviewing offline: what `GET /review/offline` gives (the
    next 3 days, up to 200 cards), with each grade's interval as the page writes it."""
    cards = await review.offline(learner, days=3, limit=200, now=now)
    body = OfflineOut(
        generated_at=now,
        cards=[
            OfflineCardOut.of(card, intervals, speech.audio_url(card.front, card.target_language))
            for card, intervals in cards
        ],
    ).model_dump(mode="json")
    for shown, (_, intervals) in zip(body["cards"], cards, strict=True):
        shown["interval_labels"] = {
            rating: i18n.interval(span) for rating, span in intervals.items()
        }
    return JSONResponse(body)


@router.post("/app/review/undo")
async def review_undo(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    review: ReviewDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    try:
        card_id: int | None = (await review.undo(learner)).card_id
    except NotFound:
        card_id = None
    if not wants_fragment(request):
        return redirect(f"/app/review?card={card_id}" if card_id else "/app/review")
    return await review_page(
        request, learner=learner, review=review, settings=settings, now=now, card_id=card_id
    )


@router.post("/app/review/{card_id}")
async def review_rate(
    request: Request,
    card_id: CardPath,
    form: CheckedForm,
    learner: PageLearner,
    review: ReviewDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    values = numbers(
        optional(form, "rating", "duration_ms", "reps"), "rating", "duration_ms", "reps"
    )
    try:
        data = Rating.from_page(**values)
    except ValidationError:
        return await review_page(
            request,
            learner=learner,
            review=review,
            settings=settings,
            now=now,
            card_id=card_id,
            show=True,
            status_code=422,
        )
    try:
        await review.rate(learner, card_id=card_id, data=data, now=now)
    except Conflict:
        pass  # rated twice (a double press): the first rating stands, on to the next card
    if not wants_fragment(request):
        return redirect("/app/review")
    return await review_page(request, learner=learner, review=review, settings=settings, now=now)


@router.post("/app/library/{saved_content_id}/review")
async def add_to_review(
    saved_content_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    form: CheckedForm,
    learner: PageLearner,
    library: LibraryDep,
) -> Response:
    added = await library.add_to_review(learner, saved_content_id=saved_content_id)
    return redirect(f"/app/library/{saved_content_id}?review_added={added.added}")
