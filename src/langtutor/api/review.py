"""`/review/*` routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from langtutor.deps import CurrentLearner, NowDep, ReviewDep, SpeechDep
from langtutor.responses import error_responses
from langtutor.review.schemas import (
    SYNC_BODY_BYTES,
    CardUpdate,
    DayCount,
    OfflineCardOut,
    OfflineOut,
    QueueOut,
    Rating,
    ReviewCardOut,
    StatsOut,
    SyncIn,
    SyncOut,
    SyncResultOut,
)
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, prefix="/review", tags=["review"])
CardId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a review card's id")]


@router.get("/queue", response_model=QueueOut, responses=error_responses(401, 422))
async def read_queue(
    learner: CurrentLearner,
    review: ReviewDep,
    now: NowDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> QueueOut:
    """Cards to review now: due learning steps, review cards due today, then new cards."""
    queue = await review.queue(learner, limit=limit, now=now)
    return QueueOut(
        cards=[ReviewCardOut.of(card) for card in queue.cards],
        due_count=queue.due_count,
        new_count=queue.new_count,
    )


@router.get("/stats", response_model=StatsOut, responses=error_responses(401, 422))
async def read_stats(
    learner: CurrentLearner,
    review: ReviewDep,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> StatsOut:
    """Due today, reviews per day, true retention, and the 30-day forecast of due cards."""
    stats = await review.stats(learner, days=days, now=now)
    return StatsOut(
        due_today=stats.due_today,
        reviews_per_day=[DayCount(date=d, count=c) for d, c in stats.reviews_per_day],
        true_retention=stats.true_retention,
        retention_reviews=stats.retention_reviews,
        forecast=[DayCount(date=d, count=c) for d, c in stats.forecast],
        cards_by_state=stats.cards_by_state,
    )


@router.get("/offline", response_model=OfflineOut, responses=error_responses(401, 422))
async def read_offline(
    learner: CurrentLearner,
    review: ReviewDep,
    speech: SpeechDep,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=14)] = 3,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> OfflineOut:
    """A device's copy for reviewing offline: the cards due within `days` (today's queue
    first, in its order), each with the interval each grade would give now and its audio."""
    cards = await review.offline(learner, days=days, limit=limit, now=now)
    return OfflineOut(
        generated_at=now,
        cards=[
            OfflineCardOut.of(card, intervals, speech.audio_url(card.front, card.target_language))
            for card, intervals in cards
        ],
    )


@router.post(
    "/sync",
    response_model=SyncOut,
    responses=error_responses(401, 409, 413, 422),
    max_body_size=SYNC_BODY_BYTES,
)
async def sync(data: SyncIn, learner: CurrentLearner, review: ReviewDep, now: NowDep) -> SyncOut:
    """Keep the reviews given offline, each once (a second send answers `duplicate`): every
    card is the replay of all its reviews in time order. A review that cannot be kept is
    `rejected` with its reason; the others are kept all the same."""
    synced = await review.sync(learner, reviews=data.reviews, now=now)
    return SyncOut(
        results=[
            SyncResultOut(client_review_id=o.client_review_id, status=o.status, reason=o.reason)
            for o in synced.outcomes
        ],
        cards=[ReviewCardOut.of(card) for card in synced.cards],
    )


@router.post("/undo", response_model=ReviewCardOut, responses=error_responses(401, 403, 404))
async def undo(learner: CurrentLearner, review: ReviewDep) -> ReviewCardOut:
    """Undo your last review: its card is restored exactly as it was before."""
    return ReviewCardOut.of(await review.undo(learner))


@router.post(
    "/{card_id:int}",
    response_model=ReviewCardOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def rate(
    card_id: CardId, data: Rating, learner: CurrentLearner, review: ReviewDep, now: NowDep
) -> ReviewCardOut:
    """Rate a card 1–4 (Again, Hard, Good, Easy); answers its next due date and memory state."""
    return ReviewCardOut.of(await review.rate(learner, card_id=card_id, data=data, now=now))


@router.get(
    "/cards/{card_id:int}", response_model=ReviewCardOut, responses=error_responses(401, 404)
)
async def read_card(card_id: CardId, learner: CurrentLearner, review: ReviewDep) -> ReviewCardOut:
    """One of your review cards."""
    return ReviewCardOut.of(await review.card(learner, card_id=card_id))


@router.patch(
    "/cards/{card_id:int}",
    response_model=ReviewCardOut,
    responses=error_responses(401, 403, 404, 422),
)
async def update_card(
    card_id: CardId, data: CardUpdate, learner: CurrentLearner, review: ReviewDep
) -> ReviewCardOut:
    """Suspend or unsuspend a card, or correct its front or back."""
    return ReviewCardOut.of(await review.update_card(learner, card_id=card_id, data=data))


@router.delete(
    "/cards/{card_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404),
)
async def delete_card(card_id: CardId, learner: CurrentLearner, review: ReviewDep) -> Response:
    """Delete a card and its review history."""
    await review.delete_card(learner, card_id=card_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
