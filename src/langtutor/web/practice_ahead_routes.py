"""The practice page ("Practice this set", "Practice your hardest cards"): the cards one by
one with the review page's look and keys (Space shows the answer, 1–4 grade), each grade
recorded as practice while no card's schedule changes. Where the learner is in the list rides
in the address (`n`): practice changes no card, so the list stays the same between cards."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts.learner import Learner
from langtutor.config import Settings
from langtutor.deps import NowDep, PracticeAheadDep, SettingsDep
from langtutor.review.practice_ahead import PracticeAhead
from langtutor.review.practice_schemas import DEFAULT_HARDEST, MAX_HARDEST, MAX_ID, PracticeGrade
from langtutor.routing import JSONRoute
from langtutor.web import i18n
from langtutor.web.deps import CheckedForm, PageLearner, numbers, optional, redirect, wants_fragment
from langtutor.web.rendering import render
from langtutor.web.review_routes import GRADES

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
MAX_POSITION = 10_000


def _where(saved_content_id: int | None, hardest: int | None) -> dict[str, int]:
    """What is practised, as the page's address and form name it: a saved set, else the
    hardest cards (20 when the address names neither)."""
    if saved_content_id is not None:
        return {"saved_content_id": saved_content_id}
    return {"hardest": hardest or DEFAULT_HARDEST}


async def practice_page(
    request: Request,
    *,
    learner: Learner,
    ahead: PracticeAhead,
    settings: Settings,
    where: dict[str, int],
    position: int,
    show: bool = False,
    status_code: int = 200,
) -> Response:
    found = await ahead.cards(
        learner,
        saved_content_id=where.get("saved_content_id"),
        hardest=where.get("hardest", DEFAULT_HARDEST),
    )
    context: dict[str, Any] = {
        "practice": found,
        "card": found.cards[position] if position < len(found.cards) else None,
        "position": position,
        "total": len(found.cards),
        "where": where,
        "address": urlencode(where),
        "revealed": show,
        "grades": [(rating, i18n.gettext(label)) for rating, label in GRADES],
    }
    template = "_practice_ahead.html" if wants_fragment(request) else "practice_ahead.html"
    return render(
        request, template, settings=settings, status_code=status_code, user=learner, **context
    )


@router.get("/app/review/practice")
async def practice_get(
    request: Request,
    learner: PageLearner,
    ahead: PracticeAheadDep,
    settings: SettingsDep,
    saved_content_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    hardest: Annotated[int | None, Query(ge=1, le=MAX_HARDEST)] = None,
    n: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    show: bool = False,
) -> Response:
    """A saved set's cards (`saved_content_id`), or the hardest ones (`hardest`, 20 by
    default), the `n`-th shown; past the last, "Practice done"."""
    return await practice_page(
        request,
        learner=learner,
        ahead=ahead,
        settings=settings,
        where=_where(saved_content_id, hardest),
        position=n,
        show=show,
    )


def _form_where(values: dict[str, Any]) -> tuple[dict[str, int], int]:
    """Where the form was sent from: the set or the hardest cards, and the card's place
    (what is out of bounds falls back to the hardest cards, from the start)."""
    saved = values.get("saved_content_id")
    hardest = values.get("hardest")
    position = values.get("n")
    return (
        _where(
            saved if isinstance(saved, int) and 1 <= saved <= MAX_ID else None,
            hardest if isinstance(hardest, int) and 1 <= hardest <= MAX_HARDEST else None,
        ),
        position if isinstance(position, int) and 0 <= position <= MAX_POSITION else 0,
    )


@router.post("/app/review/practice")
async def practice_grade(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    ahead: PracticeAheadDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """One card graded in practice, then the next one."""
    names = ("card_id", "rating", "duration_ms", "saved_content_id", "hardest", "n")
    values = numbers(optional(form, *names), *names)
    where, position = _form_where(values)
    try:
        data = PracticeGrade.from_page(values["card_id"], values["rating"], values["duration_ms"])
    except ValidationError:
        return await practice_page(
            request,
            learner=learner,
            ahead=ahead,
            settings=settings,
            where=where,
            position=position,
            show=True,
            status_code=422,
        )
    await ahead.grade(learner, data=data, now=now)
    if not wants_fragment(request):
        return redirect(f"/app/review/practice?{urlencode(where | {'n': position + 1})}")
    return await practice_page(
        request, learner=learner, ahead=ahead, settings=settings, where=where, position=position + 1
    )
