"""`GET /audio`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from langtutor.deps import CurrentLearner, SpeechDep
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute
from langtutor.schemas import LanguageInput

router = APIRouter(route_class=JSONRoute, tags=["speech"])
# The audio of a text never changes: a browser may keep it as long as it likes.
CACHE_CONTROL = "private, max-age=31536000, immutable"


@router.get(
    "/audio",
    response_class=FileResponse,
    responses={
        200: {"content": {"audio/mpeg": {}}, "description": "MP3 audio of the text"},
        304: {"description": "The audio named by `If-None-Match` has not changed"},
        **error_responses(401, 422, 429, 503),
    },
)
async def audio(
    request: Request,
    learner: CurrentLearner,
    speech: SpeechDep,
    text: Annotated[str, Query(min_length=1, max_length=300, description="what to say")],
    lang: Annotated[LanguageInput, Query(description="its language")],
) -> Response:
    """The text read aloud in the language (eSpeak NG, or the server's provider voice), as
    MP3; cached on the server and, with its `ETag`, in the browser. A language without a
    voice is a 422 naming it. Counts against a per-learner audio rate limit."""
    made = await speech.audio(learner, text=text.strip() or text, language=lang)
    headers = {"ETag": f'"{made.etag}"', "Cache-Control": CACHE_CONTROL}
    headers["X-Speech-Provider"] = made.provider
    if made.fallback:
        headers["X-Speech-Fallback"] = made.fallback
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return FileResponse(made.path, media_type="audio/mpeg", headers=headers)
