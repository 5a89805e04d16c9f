"""Saved sets shared by link: `/content/{id}/share` (their owner's) and `/shared/{token}`
(anyone holding the link; a copy for a signed-in learner)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status

from langtutor.api.library import ItemId
from langtutor.deps import ClientDep, CurrentLearner, SharingDep
from langtutor.library.schemas import SavedItem, SharedSet, ShareLink
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute)
# What `secrets.token_urlsafe` makes: anything else is no link of ours (422).
ShareToken = Annotated[
    str,
    Path(
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="a shared link's token",
    ),
]
# Search engines are asked to keep shared sets out of their index.
NOINDEX = {"X-Robots-Tag": "noindex"}
LINK_BEFORE: dict[int | str, dict[str, Any]] = {
    200: {"model": ShareLink, "description": "The set was shared before: its live link"}
}


def share_url(request: Request, token: str) -> str:
    """The shared set's page, absolute, from the request's own base URL."""
    return str(request.url_for("shared_page", token=token))


@router.post(
    "/content/{saved_content_id:int}/share",
    status_code=status.HTTP_201_CREATED,
    response_model=ShareLink,
    tags=["library", "sharing"],
    responses=LINK_BEFORE | error_responses(401, 403, 404, 422),
)
async def share(
    saved_content_id: ItemId,
    request: Request,
    learner: CurrentLearner,
    sharing: SharingDep,
    response: Response,
) -> ShareLink:
    """Share one of your saved sets: a link anyone holding it may open (201). While the set
    has a live link, sharing it again answers that link (200)."""
    link = await sharing.share(learner, saved_content_id=saved_content_id)
    if not link.created:
        response.status_code = status.HTTP_200_OK
    return ShareLink(share_url=share_url(request, link.token), token=link.token)


@router.delete(
    "/content/{saved_content_id:int}/share",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["library", "sharing"],
    responses=error_responses(401, 403, 404, 422),
)
async def unshare(
    saved_content_id: ItemId, learner: CurrentLearner, sharing: SharingDep
) -> Response:
    """Stop sharing one of your saved sets: its link is 404 from now on (a set not shared:
    204 all the same)."""
    await sharing.unshare(learner, saved_content_id=saved_content_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/shared/{token}",
    response_model=SharedSet,
    tags=["sharing"],
    responses=error_responses(404, 422, 429),
)
async def read_shared(
    token: ShareToken, client: ClientDep, sharing: SharingDep, response: Response
) -> SharedSet:
    """A shared set, read-only, with its owner's name: no account needed. Counted per client
    address (`LANGTUTOR_SHARE_VIEWS_PER_MINUTE`; beyond it 429); a revoked link is 404."""
    response.headers.update(NOINDEX)
    return (await sharing.view(token=token, address=client.address)).shared


@router.post(
    "/shared/{token}/copy",
    status_code=status.HTTP_201_CREATED,
    response_model=SavedItem,
    tags=["sharing", "library"],
    responses=error_responses(401, 403, 404, 409, 422, 429),
)
async def copy_shared(
    token: ShareToken, client: ClientDep, learner: CurrentLearner, sharing: SharingDep
) -> SavedItem:
    """Add a shared set to your library: your own copy (label, content, language; not its
    owner's notes), "shared by" its owner, its cards in your review if you add cards
    automatically. Each call makes a new copy; your own shared set is 409."""
    copy = await sharing.copy(learner, token=token, address=client.address)
    return SavedItem.model_validate(copy)
