"""The classes' pages: My classes (make one, join one with its code), the join page (the
class a code leads to and what its teacher will see, to confirm), and a class's page (for its
teacher: the join code, assigning a set, the members' figures; for a member: their
assignments and leaving). Today's part is in `home_routes`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from langtutor.accounts.learner import Learner
from langtutor.classes.schemas import AssignmentCreate, ClassCreate, JoinRequest
from langtutor.classes.service import Classes
from langtutor.config import Settings
from langtutor.deps import ClassesDep, NowDep, SettingsDep
from langtutor.errors import NotFound, TooManyRequests
from langtutor.routing import JSONRoute
from langtutor.web.deps import CheckedForm, PageLearner, numbers, optional, redirect, text_field
from langtutor.web.forms import problems
from langtutor.web.i18n import N_, gettext
from langtutor.web.rendering import render

router = APIRouter(route_class=JSONRoute, include_in_schema=False)
ClassId = Annotated[int, Path(ge=1, le=2_147_483_647)]
UserId = Annotated[int, Path(ge=1, le=2_147_483_647)]


async def classes_page(
    request: Request,
    settings: Settings,
    learner: Learner,
    classes: Classes,
    now: datetime,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    return render(
        request,
        "classes.html",
        settings=settings,
        status_code=status_code,
        user=learner,
        classes=await classes.list_classes(learner, now=now),
        **context,
    )


@router.get("/app/classes")
async def my_classes(
    request: Request, learner: PageLearner, classes: ClassesDep, settings: SettingsDep, now: NowDep
) -> Response:
    return await classes_page(request, settings, learner, classes, now)


@router.post("/app/classes")
async def make_class(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    classes: ClassesDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    values = {"name": text_field(form, "name")}
    try:
        data = ClassCreate.model_validate(values)
    except ValidationError as error:
        return await classes_page(
            request,
            settings,
            learner,
            classes,
            now,
            status_code=422,
            errors=problems(error),
            values=values,
        )
    made = await classes.create(learner, data=data)
    return redirect(f"/app/classes/{made.class_id}")


TOO_MANY_TRIES = N_(
    "You have tried many join codes in a short time. Wait a minute, then try again."
)


@router.get("/app/classes/join")
async def join_page(
    request: Request, learner: PageLearner, classes: ClassesDep, settings: SettingsDep, now: NowDep
) -> Response:
    """The class a code leads to and what its teacher will see: the learner confirms."""
    code = (request.query_params.get("code") or "").strip()[:32]
    page = (request, settings, learner, classes, now)
    if not code:
        return await classes_page(*page)
    try:
        preview = await classes.preview(learner, join_code=code)
    except NotFound:
        problem = gettext("No class has this join code. Check it with your teacher.")
        return await classes_page(*page, status_code=404, problem=problem, code=code)
    except TooManyRequests:
        return await classes_page(
            *page, status_code=429, problem=gettext(TOO_MANY_TRIES), code=code
        )
    return render(
        request, "class_join.html", settings=settings, user=learner, preview=preview, code=code
    )


@router.post("/app/classes/join")
async def join_class(
    request: Request,
    form: CheckedForm,
    learner: PageLearner,
    classes: ClassesDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    values = {"join_code": text_field(form, "join_code"), "review_cards": "review_cards" in form}
    try:
        data = JoinRequest.model_validate(values)
        joined = await classes.join(learner, data=data, now=now)
    except (ValidationError, NotFound):
        problem = gettext("No class has this join code. Check it with your teacher.")
        return await classes_page(
            request, settings, learner, classes, now, status_code=404, problem=problem
        )
    except TooManyRequests:
        return await classes_page(
            request,
            settings,
            learner,
            classes,
            now,
            status_code=429,
            problem=gettext(TOO_MANY_TRIES),
        )
    return redirect(f"/app/classes/{joined.class_id}")


@router.get("/app/classes/{class_id}")
async def class_page(
    request: Request,
    class_id: ClassId,
    learner: PageLearner,
    classes: ClassesDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """A class as its teacher or a member sees it (404 page for anyone else)."""
    return await show_class(request, class_id, learner, classes, settings, now)


async def show_class(
    request: Request,
    class_id: int,
    learner: Learner,
    classes: Classes,
    settings: Settings,
    now: datetime,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    shown = await classes.page(learner, class_id=class_id, now=now)
    return render(
        request,
        "class.html",
        settings=settings,
        status_code=status_code,
        user=learner,
        page=shown,
        today=now.date(),
        **context,
    )


@router.post("/app/classes/{class_id}/assignments")
async def assign(
    request: Request,
    class_id: ClassId,
    form: CheckedForm,
    learner: PageLearner,
    classes: ClassesDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    values: dict[str, Any] = optional(form, "saved_content_id", "due_date")
    sent = {name: value for name, value in values.items() if value is not None}
    try:
        data = AssignmentCreate.model_validate(numbers(sent, "saved_content_id"))
    except ValidationError as error:
        return await show_class(
            request,
            class_id,
            learner,
            classes,
            settings,
            now,
            status_code=422,
            errors=problems(error),
            values=values,
        )
    await classes.assign(learner, class_id=class_id, data=data, now=now)
    return redirect(f"/app/classes/{class_id}#assignments")


@router.post("/app/classes/{class_id}/join-code")
async def new_code(
    class_id: ClassId, form: CheckedForm, learner: PageLearner, classes: ClassesDep
) -> Response:
    await classes.rotate_code(learner, class_id=class_id)
    return redirect(f"/app/classes/{class_id}")


@router.post("/app/classes/{class_id}/leave")
async def leave(
    class_id: ClassId, form: CheckedForm, learner: PageLearner, classes: ClassesDep
) -> Response:
    await classes.leave(learner, class_id=class_id)
    return redirect("/app/classes")


@router.post("/app/classes/{class_id}/members/{user_id}/remove")
async def remove(
    class_id: ClassId,
    user_id: UserId,
    form: CheckedForm,
    learner: PageLearner,
    classes: ClassesDep,
) -> Response:
    await classes.remove(learner, class_id=class_id, user_id=user_id)
    return redirect(f"/app/classes/{class_id}#members")


@router.post("/app/classes/{class_id}/delete")
async def delete(
    class_id: ClassId, form: CheckedForm, learner: PageLearner, classes: ClassesDep
) -> Response:
    await classes.delete(learner, class_id=class_id)
    return redirect("/app/classes")
