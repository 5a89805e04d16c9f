"""Pages of what a learner keeps: the library, one saved item, progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from langtutor.accounts.service import Authenticated
from langtutor.config import Settings
from langtutor.deps import ActivityLogDep, NowDep, SessionDep, SettingsDep
from langtutor.enums import ContentType
from langtutor.generation.service import item_count
from langtutor.library import service as library
from langtutor.library.exports import CardContext
from langtutor.library.schemas import ContentUpdate
from langtutor.progress import progress_report
from langtutor.review import service as review
from langtutor.routing import JSONRoute
from langtutor.web.deps import (
    CONTENT_TYPES,
    CheckedForm,
    PageUser,
    page_review_settings,
    page_zone,
    redirect,
    text_field,
)
from langtutor.web.forms import problems
from langtutor.web.rendering import activity_chart, day_chart, exercise_view, render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
PAGE_SIZE = 20


@dataclass(frozen=True)
class LibraryRow:
    """A saved set as the library lists it: with its languages and level, and its size."""

    item: Any
    context: CardContext
    count: int


# -- library ----------------------------------------------------------------------------------


@router.get("/app/library")
async def library_page(
    request: Request,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    content_type: str | None = None,
    q: str | None = None,
    page: int = 1,
    language: str | None = None,
) -> Response:
    kind = ContentType(content_type) if content_type in CONTENT_TYPES else None
    query = (q or "").strip()[:200]
    page = max(1, min(page, 100_000))
    languages = await library.library_languages(session=session, user_id=auth.user_id)
    chosen = language if language in languages else None
    items, total = await library.list_content(
        connection=await session.connection(),
        user_id=auth.user.user_id,
        content_type=kind,
        q=query or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        language=chosen,
    )
    contexts = await library.card_contexts(session=session, items=items)
    # The deck of every saved flashcard is offered only when there is one to put in it.
    flashcards = await library.count_content(
        session=session, user_id=auth.user.user_id, content_type=ContentType.flashcards
    )
    return render(
        request,
        "library.html",
        settings=settings,
        user=auth.user,
        flashcards=flashcards,
        rows=[
            LibraryRow(item, context, item_count(item.content_data))
            for item, context in zip(items, contexts, strict=True)
        ],
        total=total,
        languages=languages,
        language=chosen or "",
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        content_type=kind.value if kind else "",
        q=query,
        zone=page_zone(request, auth),
    )


async def item_page(
    request: Request,
    *,
    saved_content_id: int,
    auth: Authenticated,
    session: AsyncSession,
    settings: Settings,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    review_added: int | None = None,
    card: int = 0,
    manage: bool = False,
    view: str = "steps",
) -> Response:
    """One of the learner's saved items (404 for anyone else's), to study from `card` on:
    the home page's Continue comes back here (the page script says it was opened: a GET
    writes nothing)."""
    item = await library.get_content(
        session=session, user_id=auth.user_id, saved_content_id=saved_content_id
    )
    card = max(0, min(card, 10_000))
    languages = await library.card_context(session=session, item=item)
    review_cards = await review.count_cards(session=session, saved_content_id=item.saved_content_id)
    return render(
        request,
        "item.html",
        settings=settings,
        status_code=status_code,
        user=auth.user,
        item=item,
        languages=languages,
        errors=errors or {},
        saved=saved,
        review_cards=review_cards,
        review_added=review_added,
        start=card,
        view=view,
        manage_open=bool(errors) or saved or manage or review_added is not None,
    )


@router.get("/app/library/{saved_content_id}")
async def library_item(
    request: Request,
    saved_content_id: int,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    saved: bool = False,
    review_added: int | None = None,
    card: int = 0,
    manage: bool = False,
    view: str = "",
) -> Response:
    """A saved item; `view=list`: its exercises all on one page, to print."""
    return await item_page(
        request,
        saved_content_id=saved_content_id,
        auth=auth,
        session=session,
        settings=settings,
        saved=saved,
        review_added=review_added if review_added is None else max(0, min(review_added, 10_000)),
        card=card,
        manage=manage,
        view=exercise_view(view),
    )


@router.post("/app/library/{saved_content_id}")
async def edit_item(
    request: Request,
    saved_content_id: int,
    form: CheckedForm,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    values = {"user_label": text_field(form, "user_label"), "user_notes": form.get("user_notes")}
    try:
        data = ContentUpdate.model_validate(values)
    except ValidationError as error:
        return await item_page(
            request,
            saved_content_id=saved_content_id,
            auth=auth,
            session=session,
            settings=settings,
            status_code=422,
            errors=problems(error),
        )
    await library.update_content(
        session=session, user_id=auth.user.user_id, saved_content_id=saved_content_id, data=data
    )
    return redirect(f"/app/library/{saved_content_id}?saved=1")


@router.post("/app/library/{saved_content_id}/delete")
async def delete_item(
    saved_content_id: int, form: CheckedForm, auth: PageUser, session: SessionDep
) -> Response:
    await library.delete_content(
        session=session, user_id=auth.user.user_id, saved_content_id=saved_content_id
    )
    return redirect("/app/library?deleted=1")


# -- progress ---------------------------------------------------------------------------------


@router.get("/app/progress")
async def progress_page(
    request: Request,
    auth: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    activity: ActivityLogDep,
    now: NowDep,
    days: int = 30,
) -> Response:
    """The learner's learning first (streak, reviews, retention, accuracy, what is left today,
    in the Review page's words and numbers), then what they made."""
    days = days if days in (7, 30, 90, 365) else 30
    zone = page_zone(request, auth)
    scheduling = page_review_settings(request, auth, settings)
    review_stats = await review.review_stats(
        session=session, user_id=auth.user_id, settings=scheduling, days=days, now=now
    )
    queue = await review.queue(
        session=session, user_id=auth.user_id, settings=scheduling, limit=1, now=now
    )
    report = await progress_report(
        connection=await session.connection(),
        activity=activity,
        user_id=auth.user.user_id,
        days=days,
        tz=zone,
        now=now,
    )
    return render(
        request,
        "progress.html",
        settings=settings,
        user=auth.user,
        progress=report,
        chart=activity_chart(report),
        review=review_stats,
        queue=queue,
        review_chart=day_chart(review_stats.reviews_per_day, "reviews", "reviews"),
        forecast_chart=day_chart(review_stats.forecast, "forecast", "cards due"),
    )
