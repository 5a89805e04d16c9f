"""`GET /audio`; `POST /speech/transcribe` and `POST /speech/read-aloud`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse

from langtutor.deps import CurrentLearner, SpeakingDep, SpeechDep
from langtutor.practice.speaking import ReadAloud, Source
from langtutor.responses import error_responses
from langtutor.routing import JSONRoute
from langtutor.schemas import LanguageInput
from langtutor.speech.recording import BODY_BYTES, MAX_AUDIO_BYTES
from langtutor.speech.schemas import ReadAloudOut, TranscriptOut, WordOut
from langtutor.speech.transcription import Transcript

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


Recording = Annotated[
    UploadFile,
    File(
        description="the recording: WebM/Opus, Ogg, WAV, MP3, MP4/AAC or FLAC, at most 1 MiB "
        "and 30 seconds"
    ),
]
SPEECH_ERRORS = error_responses(401, 409, 413, 415, 422, 429, 502, 503, 504)
SPEECH_ERRORS[502]["description"] = "The transcription server refused the recording"
SPEECH_ERRORS[503]["description"] = (
    "Speaking is off on this server, or the transcription server is unavailable or busy"
)
SPEECH_ERRORS[504]["description"] = "The transcription server timed out"


async def _read(upload: UploadFile) -> bytes:
    """The file's bytes, one more than the limit at most (enough to say it is over)."""
    return await upload.read(MAX_AUDIO_BYTES + 1)


def _transcript(transcript: Transcript) -> TranscriptOut:
    return TranscriptOut(
        text=transcript.text,
        language=transcript.language,
        duration_s=transcript.duration_s,
        latency_ms=transcript.latency_ms,
    )


@router.post(
    "/speech/transcribe",
    response_model=TranscriptOut,
    responses=SPEECH_ERRORS,
    max_body_size=BODY_BYTES,
)
async def transcribe(
    learner: CurrentLearner,
    speaking: SpeakingDep,
    audio: Recording,
    language: Annotated[
        LanguageInput | None,
        Form(description="the language spoken, a hint to the server; default: your target"),
    ] = None,
) -> TranscriptOut:
    """What the learner said, written out by the server's transcription server (a turn of
    a conversation said rather than typed). A type not listed is a 415, a recording over
    1 MiB a 413, one over 30 seconds (measured for WAV, Ogg, MP3 and FLAC) a 422; the
    transcription server's failures are 502, 503 (Retry-After when it is busy) or 504. Counts
    against a per-learner limit (`LANGTUTOR_STT_RATE_PER_MINUTE`); 503 when speaking is off."""
    transcript = await speaking.transcribe(
        learner,
        audio=await _read(audio),
        media_type=audio.content_type,
        language=language or learner.default_target_language,
    )
    return _transcript(transcript)


@router.post(
    "/speech/read-aloud",
    response_model=ReadAloudOut,
    responses=SPEECH_ERRORS,
    max_body_size=BODY_BYTES,
)
async def read_aloud(
    learner: CurrentLearner,
    speaking: SpeakingDep,
    audio: Recording,
    text: Annotated[str, Form(min_length=1, max_length=500, description="the sentence to say")],
    source: Annotated[Source, Form(description="where the sentence is shown")] = "other",
    language: Annotated[
        LanguageInput | None, Form(description="its language; default: your target language")
    ] = None,
    translation: Annotated[
        str | None, Form(max_length=500, description="its meaning, the back of a review card")
    ] = None,
) -> ReadAloudOut:
    """The learner reads `text` aloud: the recording is written out (as
    `/speech/transcribe`, with its limits and errors) and compared with the text word by
    word (case and punctuation ignored; a missing accent, or one letter off in a longer word,
    `almost`). Logged as an `answer` of kind `speaking`; with words missed, and cards of
    mistakes on in the profile, the sentence becomes a review card."""
    done = await speaking.read_aloud(
        learner,
        audio=await _read(audio),
        media_type=audio.content_type,
        text=text.strip(),
        language=language,
        source=source,
        translation=translation.strip() if translation else None,
    )
    return _read_aloud_out(done)


def _read_aloud_out(done: ReadAloud) -> ReadAloudOut:
    comparison = done.comparison
    return ReadAloudOut(
        transcript=_transcript(done.transcript),
        words=[
            WordOut(word=w.word, said=w.said, verdict=w.verdict.value) for w in comparison.words
        ],
        extra=comparison.extra,
        score=comparison.score,
        verdict=comparison.verdict.value,
        missed=comparison.missed,
        review_card_id=done.review_card_id,
    )
