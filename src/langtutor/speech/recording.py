"""A learner's recording as it arrives: its type, its size and, where it can be read, its
length, checked before any transcription server hears it.

Browsers record WebM/Opus (Chrome, Firefox, Edge), MP4/AAC (Safari), sometimes Ogg; files
sent by clients may be WAV or MP3. soundfile (libsndfile) reads the length of WAV, Ogg
(Vorbis, Opus), MP3 and FLAC; it cannot read WebM or MP4, whose length is not measured here:
their 30 seconds are kept by the page, which stops recording at the limit, and by the size
limit (1 MiB is about 4 minutes of Opus at 32 kbit/s, the most a browser records by default).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import soundfile

from langtutor.errors import AppError, PayloadTooLarge, Unprocessable

MAX_AUDIO_BYTES = 1024 * 1024
MAX_SECONDS = 30.0
# A multipart body: the recording and a few short fields.
BODY_BYTES = MAX_AUDIO_BYTES + 64 * 1024

# Media type (without parameters) → the file name's suffix the transcription server reads
# the format from, and whether soundfile can measure it.
FORMATS: dict[str, tuple[str, bool]] = {
    "audio/webm": ("webm", False),
    "video/webm": ("webm", False),
    "audio/ogg": ("ogg", True),
    "audio/opus": ("ogg", True),
    "audio/wav": ("wav", True),
    "audio/wave": ("wav", True),
    "audio/x-wav": ("wav", True),
    "audio/vnd.wave": ("wav", True),
    "audio/mpeg": ("mp3", True),
    "audio/mp3": ("mp3", True),
    "audio/mp4": ("mp4", False),
    "video/mp4": ("mp4", False),
    "audio/aac": ("m4a", False),
    "audio/x-m4a": ("m4a", False),
    "audio/m4a": ("m4a", False),
    "audio/flac": ("flac", True),
    "audio/x-flac": ("flac", True),
}


class UnsupportedAudio(AppError):
    status_code = 415


@dataclass(frozen=True)
class Recording:
    """A checked recording: its bytes, media type, file suffix and length (None when its
    format cannot be measured here)."""

    data: bytes
    media_type: str
    suffix: str
    duration_s: float | None

    @property
    def filename(self) -> str:
        return f"recording.{self.suffix}"


def media_type_of(declared: str | None) -> str:
    """The declared type without its parameters (`audio/webm;codecs=opus` → `audio/webm`)."""
    return (declared or "").split(";", 1)[0].strip().lower()


def check_recording(data: bytes, declared_type: str | None) -> Recording:
    """The recording, or 415 (a type not listed), 413 (over 1 MiB), 422 (empty, unreadable
    or over 30 seconds)."""
    media_type = media_type_of(declared_type)
    if media_type not in FORMATS:
        raise UnsupportedAudio(
            f"recordings of type {media_type or 'unknown'!r} are not taken; send WebM/Opus, "
            "Ogg, WAV, MP3, MP4/AAC or FLAC"
        )
    if len(data) > MAX_AUDIO_BYTES:
        raise PayloadTooLarge("the recording is larger than 1 MiB; keep it under 30 seconds")
    if not data:
        raise Unprocessable("the recording is empty", loc=["body", "audio"])
    suffix, measurable = FORMATS[media_type]
    duration = _duration(data, suffix) if measurable else None
    if duration is not None and duration > MAX_SECONDS:
        raise Unprocessable(
            f"the recording lasts {duration:.0f} seconds; at most 30 seconds are taken",
            loc=["body", "audio"],
        )
    return Recording(data, media_type, suffix, duration)


def _duration(data: bytes, suffix: str) -> float:
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as sound:
            frames, rate = sound.frames, sound.samplerate
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as error:
        raise Unprocessable(
            f"the recording cannot be read as {suffix.upper()} audio", loc=["body", "audio"]
        ) from error
    return frames / rate if rate else 0.0
