"""`/classes*` routes: a teacher's class, its join code, its assignments and the teacher's
view of its members; joining and leaving."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from langtutor.classes.schemas import (
    JOIN_NOTICE,
    AssignmentCreate,
    AssignmentOut,
    ClassCreate,
    ClassOut,
    ClassProgress,
    JoinRequest,
)
from langtutor.classes.service import CODE_TRIES_PER_MINUTE
from langtutor.deps import ClassesDep, CurrentLearner, NowDep
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute

router = APIRouter(route_class=JSONRoute, prefix="/classes", tags=["classes"])
ClassId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a class's id")]
UserId = Annotated[int, Path(ge=1, le=2_147_483_647, description="a member's user id")]


@router.post("", status_code=201, response_model=ClassOut, responses=error_responses(401, 403, 422))
async def create_class(data: ClassCreate, learner: CurrentLearner, classes: ClassesDep) -> ClassOut:
    """Create a class: you are its teacher; share its `join_code` with your learners."""
    return await classes.create(learner, data=data)


@router.get("", response_model=list[ClassOut], responses=error_responses(401))
async def list_classes(learner: CurrentLearner, classes: ClassesDep, now: NowDep) -> list[ClassOut]:
    """The classes you teach (`role` teacher) and those you are in (`role` member)."""
    return await classes.list_classes(learner, now=now)


@router.post(
    "/join", response_model=ClassOut, responses=error_responses(401, 403, 404, 409, 422, 429)
)
async def join_class(
    data: JoinRequest, learner: CurrentLearner, classes: ClassesDep, now: NowDep
) -> ClassOut:
    return await classes.join(learner, data=data, now=now)


join_class.__doc__ = (
    "Join the class of a join code (404 for an unknown code; 409 for your own class; 429 "
    f"beyond {CODE_TRIES_PER_MINUTE} codes tried a minute); "
    "joining again changes nothing. You get copies of the sets assigned so far, their "
    "flashcards in your review when `review_cards` (default true). " + JOIN_NOTICE
)


@router.get("/{class_id:int}", response_model=ClassOut, responses=error_responses(401, 404))
async def read_class(
    class_id: ClassId, learner: CurrentLearner, classes: ClassesDep, now: NowDep
) -> ClassOut:
    """A class you teach (with its join code, members and assignments) or are in (your own
    assignments only); 404 for any other."""
    return await classes.view(learner, class_id=class_id, now=now)


@router.delete(
    "/{class_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 422),
)
async def delete_class(class_id: ClassId, learner: CurrentLearner, classes: ClassesDep) -> Response:
    """Delete a class you teach (403 for a member); the members' copies stay theirs."""
    await classes.delete(learner, class_id=class_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{class_id:int}/join-code",
    response_model=ClassOut,
    responses=error_responses(401, 403, 404, 422),
)
async def rotate_join_code(
    class_id: ClassId, learner: CurrentLearner, classes: ClassesDep
) -> ClassOut:
    """A new join code for a class you teach; the old one stops at once."""
    return await classes.rotate_code(learner, class_id=class_id)


@router.post(
    "/{class_id:int}/assignments",
    status_code=201,
    response_model=AssignmentOut,
    responses=error_responses(401, 403, 404, 422),
)
async def assign_set(
    class_id: ClassId,
    data: AssignmentCreate,
    learner: CurrentLearner,
    classes: ClassesDep,
    now: NowDep,
) -> AssignmentOut:
    """Assign one of your saved sets (404 for another's) to a class you teach: every member
    gets a copy in their library, its flashcards in their review when they chose so."""
    return await classes.assign(learner, class_id=class_id, data=data, now=now)


@router.get(
    "/{class_id:int}/progress",
    response_model=ClassProgress,
    responses=error_responses(401, 403, 404),
)
async def class_progress(
    class_id: ClassId, learner: CurrentLearner, classes: ClassesDep, now: NowDep
) -> ClassProgress:
    """Each member's streak, reviews and accuracy (share not rated Again) in the last 7 and
    30 UTC days, assignments done and late: for the teacher only (403 for a member)."""
    return await classes.progress(learner, class_id=class_id, now=now)


@router.delete(
    "/{class_id:int}/membership",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def leave_class(class_id: ClassId, learner: CurrentLearner, classes: ClassesDep) -> Response:
    """Leave a class you are in: its teacher sees nothing more of you; your copies stay (409
    for your own class: delete it)."""
    await classes.leave(learner, class_id=class_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{class_id:int}/members/{user_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 422),
)
async def remove_member(
    class_id: ClassId, user_id: UserId, learner: CurrentLearner, classes: ClassesDep
) -> Response:
    """Take a member out of a class you teach; their copies stay theirs."""
    await classes.remove(learner, class_id=class_id, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
