"""`/content` and `/feedback` routes."""

from __future__ import annotations

import operator
import pathlib
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Response, status

from langtutor.deps import CurrentLearner, LibraryDep, NowDep, Speech, SpeechDep
from langtutor.enums import ContentType
from langtutor.errors import AppError
from langtutor.library.exports import MEDIA_TYPES, ExportFile, ExportFormat
from langtutor.library.schemas import (
    MAX_ID,
    ContentUpdate,
    FeedbackCreate,
    FeedbackItem,
    ReviewCardsAdded,
    SaveContentBody,
    SavedItem,
    SavedPage,
    StudyRecord,
    content_to_save,
)
from langtutor.library.service import Speaker
from langtutor.responses import RawJSON, error_responses
from langtutor.routing import JSONRoute
from langtutor.schemas import LanguageInput

router = APIRouter(route_class=JSONRoute)
ITEM_FIELDS = tuple(SavedItem.model_fields)  # in order: a listed item reads like a fetched one
# Ids are database integers: anything beyond is simply not found, and must not overflow.
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="a saved item's id")]
SAVED_BEFORE: dict[int | str, dict[str, Any]] = {
    200: {"model": SavedItem, "description": "This generation was saved before: that item"}
}


def file_response(*formats: ExportFormat) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "content": {MEDIA_TYPES[export_format]: {} for export_format in formats},
            "description": "the file",
        }
    }


def speaker(speech: Speech) -> Speaker:
    """The server's speech for an export: a file per text, or None where there is no voice
    (or speech is off, or it fails: the export goes on without that sound)."""

    async def speak(text: str, language: str) -> pathlib.Path | None:
        try:
            return (await speech.service.audio(text, language)).path
        except AppError:
            return None

    return speak


def download(file: ExportFile) -> Response:
    return Response(
        file.body,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


@router.post(
    "/content/save",
    status_code=status.HTTP_201_CREATED,
    response_model=SavedItem,
    tags=["library"],
    responses=SAVED_BEFORE | error_responses(401, 403, 404, 413, 422),
)
async def save_content(
    data: SaveContentBody, learner: CurrentLearner, library: LibraryDep, response: Response
) -> SavedItem:
    """Save generated content, checked against its content type's schema (256 KB at most).
    A generation is saved once: saving it again answers 200 with the item saved first."""
    saved = await library.save(learner, data=content_to_save(data))
    if not saved.created:
        response.status_code = status.HTTP_200_OK
    return SavedItem.model_validate(saved.item)


@router.get(
    "/content", response_model=SavedPage, tags=["library"], responses=error_responses(401, 422)
)
async def list_content(
    learner: CurrentLearner,
    library: LibraryDep,
    content_type: ContentType | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="words of label, notes or query")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    language: Annotated[
        LanguageInput | None, Query(description="only sets in this language")
    ] = None,
) -> Response:
    """Your saved content, newest first, with the total count for paging."""
    rows, total = await library.list_content(
        learner,
        content_type=content_type,
        q=q,
        limit=limit,
        offset=offset,
        language=language,
        content_as_text=True,
    )
    # SavedPage, written directly: the stored content goes out as the JSON it is stored as.
    if rows:
        pick = operator.itemgetter(*(rows[0]._fields.index(name) for name in ITEM_FIELDS))
    items = [
        dict(zip(ITEM_FIELDS, pick(row), strict=True))
        | {"content_data": orjson.Fragment(row.content_data)}
        for row in rows
    ]
    return RawJSON({"items": items, "total": total, "limit": limit, "offset": offset})


@router.get(
    "/content/export",
    tags=["library"],
    response_class=Response,
    responses=file_response(ExportFormat.apkg) | error_responses(401, 404, 422),
)
async def export_all(
    learner: CurrentLearner,
    library: LibraryDep,
    speech: SpeechDep,
    format: Annotated[
        Literal[ExportFormat.apkg], Query(description="apkg only: a deck per saved set")
    ] = ExportFormat.apkg,
) -> Response:
    """All your saved flashcards as one Anki package (a deck per saved set)."""
    return download(await library.export_flashcards(learner, speak=speaker(speech)))


@router.get(
    "/content/{saved_content_id:int}",
    response_model=SavedItem,
    tags=["library"],
    responses=error_responses(401, 404, 422),
)
async def read_content(
    saved_content_id: ItemId, learner: CurrentLearner, library: LibraryDep
) -> SavedItem:
    """One of your saved items."""
    item = await library.item(learner, saved_content_id=saved_content_id)
    return SavedItem.model_validate(item)


@router.patch(
    "/content/{saved_content_id:int}",
    response_model=SavedItem,
    tags=["library"],
    responses=error_responses(401, 403, 404, 422),
)
async def update_content(
    saved_content_id: ItemId, data: ContentUpdate, learner: CurrentLearner, library: LibraryDep
) -> SavedItem:
    """Change the label or notes of a saved item; `null` clears one."""
    item = await library.update(learner, saved_content_id=saved_content_id, data=data)
    return SavedItem.model_validate(item)


@router.delete(
    "/content/{saved_content_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["library"],
    responses=error_responses(401, 403, 404, 422),
)
async def delete_content(
    saved_content_id: ItemId, learner: CurrentLearner, library: LibraryDep
) -> Response:
    """Delete a saved item; feedback on it stays, unlinked."""
    await library.delete(learner, saved_content_id=saved_content_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/content/{saved_content_id:int}/export",
    tags=["library"],
    response_class=Response,
    responses=file_response(*ExportFormat) | error_responses(401, 404, 409, 422),
)
async def export_content(
    saved_content_id: ItemId,
    learner: CurrentLearner,
    library: LibraryDep,
    speech: SpeechDep,
    format: ExportFormat = ExportFormat.json,
) -> Response:
    """Download a saved item: apkg or csv (flashcards), csv (exercises), json, md (simulation).
    An Anki package carries the audio of each front and example (where there is a voice)."""
    file = await library.export(
        learner, saved_content_id=saved_content_id, export_format=format, speak=speaker(speech)
    )
    return download(file)


@router.post(
    "/content/{saved_content_id:int}/study",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["library"],
    responses=error_responses(401, 403, 404, 422),
)
async def record_study(
    saved_content_id: ItemId,
    data: StudyRecord,
    learner: CurrentLearner,
    library: LibraryDep,
    now: NowDep,
) -> Response:
    """Record how far you went through a saved set: the home page's Continue takes you back
    there; a set finished counts as a day of study, and an exercise score may be your best."""
    await library.record_study(learner, saved_content_id=saved_content_id, data=data, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/content/{saved_content_id:int}/review",
    response_model=ReviewCardsAdded,
    tags=["library", "review"],
    responses=error_responses(401, 403, 404, 409, 422),
)
async def add_to_review(
    saved_content_id: ItemId, learner: CurrentLearner, library: LibraryDep
) -> ReviewCardsAdded:
    """Add a saved set's flashcards (or a simulation's vocabulary) to review; never twice."""
    return await library.add_to_review(learner, saved_content_id=saved_content_id)


@router.post(
    "/feedback",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackItem,
    tags=["library"],
    responses=error_responses(401, 403, 404, 422, 429),
)
async def create_feedback(
    data: FeedbackCreate, learner: CurrentLearner, library: LibraryDep
) -> FeedbackItem:
    """Rate or comment on a generation, a saved item, or one item of a set (`context_details`).
    Counts against a per-learner feedback rate limit."""
    feedback = await library.create_feedback(learner, data=data)
    return FeedbackItem.model_validate(feedback)


@router.get(
    "/feedback",
    response_model=list[FeedbackItem],
    tags=["library"],
    responses=error_responses(401, 422),
)
async def list_feedback(
    learner: CurrentLearner,
    library: LibraryDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FeedbackItem]:
    """Your feedback, newest first."""
    items = await library.list_feedback(learner, limit=limit, offset=offset)
    return [FeedbackItem.model_validate(item) for item in items]
