"""Pages of what a learner keeps: the library, one saved item, progress."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts.learner import Learner
from langtutor.config import Settings
from langtutor.deps import LibraryDep, NowDep, SettingsDep
from langtutor.enums import ContentType
from langtutor.library.schemas import ContentUpdate
from langtutor.library.service import Library
from langtutor.routing import JSONRoute
from langtutor.web.deps import (
    CONTENT_TYPES,
    CheckedForm,
    PageLearner,
    redirect,
    text_field,
)
from langtutor.web.forms import problems
from langtutor.web.rendering import activity_chart, day_chart, exercise_view, render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)


# -- library ----------------------------------------------------------------------------------


@router.get("/app/library")
async def library_page(
    request: Request,
    learner: PageLearner,
    library: LibraryDep,
    settings: SettingsDep,
    content_type: str | None = None,
    q: str | None = None,
    page: int = 1,
    language: str | None = None,
) -> Response:
    kind = ContentType(content_type) if content_type in CONTENT_TYPES else None
    query = (q or "").strip()[:200]
    shown = await library.library_page(
        learner, content_type=kind, q=query or None, page=page, language=language
    )
    return render(
        request,
        "library.html",
        settings=settings,
        user=learner,
        flashcards=shown.flashcards,
        rows=shown.rows,
        total=shown.total,
        languages=shown.languages,
        language=shown.language or "",
        page=shown.page,
        pages=shown.pages,
        content_type=kind.value if kind else "",
        q=query,
        zone=learner.zone,
    )


async def item_page(
    request: Request,
    *,
    saved_content_id: int,
    learner: Learner,
    library: Library,
    settings: Settings,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    review_added: int | None = None,
    card: int = 0,
    manage: bool = False,
    view: str = "steps",
    notice: str = "",
) -> Response:
    """One of the learner's saved items (404 for anyone else's), to study from `card` on:
    the home page's Continue comes back here (the page script says it was opened: a GET
    writes nothing)."""
    shown = await library.item_view(learner, saved_content_id=saved_content_id)
    return render(
        request,
        "item.html",
        settings=settings,
        status_code=status_code,
        user=learner,
        item=shown.item,
        languages=shown.languages,
        errors=errors or {},
        saved=saved,
        review_cards=shown.review_cards,
        review_added=review_added,
        share_token=shown.share_token,
        notice=notice,
        start=max(0, min(card, 10_000)),
        view=view,
        manage_open=bool(errors)
        or saved
        or manage
        or review_added is not None
        or notice in ("shared", "unshared"),
    )


@router.get("/app/library/{saved_content_id}")
async def library_item(
    request: Request,
    saved_content_id: int,
    learner: PageLearner,
    library: LibraryDep,
    settings: SettingsDep,
    saved: bool = False,
    review_added: int | None = None,
    card: int = 0,
    manage: bool = False,
    view: str = "",
    shared: bool = False,
    unshared: bool = False,
    copied: bool = False,
) -> Response:
    """A saved item; `view=list`: its exercises all on one page, to print; `shared`,
    `unshared`, `copied`: what was just done with it."""
    return await item_page(
        request,
        saved_content_id=saved_content_id,
        learner=learner,
        library=library,
        settings=settings,
        saved=saved,
        review_added=review_added if review_added is None else max(0, min(review_added, 10_000)),
        card=card,
        manage=manage,
        view=exercise_view(view),
        notice="shared" if shared else "unshared" if unshared else "copied" if copied else "",
    )


@router.post("/app/library/{saved_content_id}")
async def edit_item(
    request: Request,
    saved_content_id: int,
    form: CheckedForm,
    learner: PageLearner,
    library: LibraryDep,
    settings: SettingsDep,
) -> Response:
    values = {"user_label": text_field(form, "user_label"), "user_notes": form.get("user_notes")}
    try:
        data = ContentUpdate.model_validate(values)
    except ValidationError as error:
        return await item_page(
            request,
            saved_content_id=saved_content_id,
            learner=learner,
            library=library,
            settings=settings,
            status_code=422,
            errors=problems(error),
        )
    await library.update(learner, saved_content_id=saved_content_id, data=data)
    return redirect(f"/app/library/{saved_content_id}?saved=1")


@router.post("/app/library/{saved_content_id}/delete")
async def delete_item(
    saved_content_id: int, form: CheckedForm, learner: PageLearner, library: LibraryDep
) -> Response:
    await library.delete(learner, saved_content_id=saved_content_id)
    return redirect("/app/library?deleted=1")


# -- progress ---------------------------------------------------------------------------------


@router.get("/app/progress")
async def progress_page(
    request: Request,
    learner: PageLearner,
    library: LibraryDep,
    settings: SettingsDep,
    now: NowDep,
    days: int = 30,
) -> Response:
    """The learner's learning first (streak, reviews, retention, accuracy, what is left today,
    in the Review page's words and numbers), then what they made."""
    shown = await library.progress(learner, days=days, now=now)
    return render(
        request,
        "progress.html",
        settings=settings,
        user=learner,
        progress=shown.progress,
        chart=activity_chart(shown.progress),
        review=shown.review,
        queue=shown.queue,
        review_chart=day_chart(shown.review.reviews_per_day, "reviews"),
        forecast_chart=day_chart(shown.review.forecast, "forecast"),
    )
