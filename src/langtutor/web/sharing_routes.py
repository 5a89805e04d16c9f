"""Pages of shared sets: "Share" and "Stop sharing" on a saved set's page, the shared set's
own page (anyone holding the link, no account needed, kept out of search engines), and "Add
to my library" for a signed-in learner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from langtutor.deps import ClientDep, SettingsDep, SharingDep
from langtutor.routing import JSONRoute
from langtutor.web.deps import CheckedForm, PageLearner, PageVisitor, redirect
from langtutor.web.i18n import N_
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
# Search engines are asked to keep shared sets out of their index (the page says so too).
NOINDEX = {"X-Robots-Tag": "noindex"}
# The 404 of a link that is not one: the service's words, in the page's language.
N_("This link leads to no shared set: its owner may have stopped sharing it.")


@router.get("/app/shared/{token}")
async def shared_page(
    request: Request,
    token: str,
    visitor: PageVisitor,
    sharing: SharingDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    """A shared set, read-only, to anyone holding the link; a signed-in learner may add it to
    their library (its owner is shown the way to their own set)."""
    shown = await sharing.view(token=token, address=client.address, viewer=visitor)
    # Read-only: no "Say it"; audio only for a signed-in learner (it is theirs to ask).
    voice: dict[str, Any] = {} if visitor else {"can_speak": lambda language: False}
    return render(
        request,
        "shared.html",
        settings=settings,
        headers=NOINDEX,
        user=visitor,
        token=token,
        shared=shown.shared,
        yours=shown.yours,
        can_record=False,
        **voice,
    )


@router.post("/app/shared/{token}/copy")
async def copy_shared(
    token: str, form: CheckedForm, learner: PageLearner, sharing: SharingDep, client: ClientDep
) -> Response:
    copy = await sharing.copy(learner, token=token, address=client.address)
    return redirect(f"/app/library/{copy.saved_content_id}?copied=1")


@router.post("/app/library/{saved_content_id}/share")
async def share_item(
    saved_content_id: int, form: CheckedForm, learner: PageLearner, sharing: SharingDep
) -> Response:
    await sharing.share(learner, saved_content_id=saved_content_id)
    return redirect(f"/app/library/{saved_content_id}?shared=1#share")


@router.post("/app/library/{saved_content_id}/unshare")
async def unshare_item(
    saved_content_id: int, form: CheckedForm, learner: PageLearner, sharing: SharingDep
) -> Response:
    await sharing.unshare(learner, saved_content_id=saved_content_id)
    return redirect(f"/app/library/{saved_content_id}?unshared=1#share")
