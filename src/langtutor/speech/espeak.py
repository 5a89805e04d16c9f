"""eSpeak NG, called in-process through ctypes: the library and its voice data come from the
`espeakng-loader` wheel, so no system package is needed. The library keeps global state and is
not thread-safe: one synthesis at a time, behind a lock, in a worker thread."""

from __future__ import annotations

import array
import ctypes
import threading
from dataclasses import dataclass
from functools import cache

import espeakng_loader

AUDIO_OUTPUT_SYNCHRONOUS = 0x02
ESPEAK_CHARS_UTF8 = 1
EE_OK = 0
# Our language codes whose eSpeak voice has another name.
VOICE_NAMES = {"zh": "cmn", "zh-Hant": "yue"}

_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


@dataclass(frozen=True)
class Speech:
    """16-bit mono samples and their rate."""

    samples: array.array[int]
    sample_rate: int


class ESpeak:
    def __init__(self) -> None:
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib = self._lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if self.sample_rate <= 0:
            raise RuntimeError("eSpeak NG could not start")
        self._samples: array.array[int] = array.array("h")
        self._callback = _CALLBACK(self._collect)  # kept: the library holds a pointer to it
        lib.espeak_SetSynthCallback(self._callback)
        self._lock = threading.Lock()
        self._voices: dict[str, bool] = {}

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int) -> int:
        if count > 0:
            self._samples.extend(ctypes.cast(wav, ctypes.POINTER(ctypes.c_short * count)).contents)
        return 0

    def voice(self, language: str) -> str:
        return VOICE_NAMES.get(language, language)

    def supports(self, language: str) -> bool:
        with self._lock:
            return self._use_voice(language)

    def _use_voice(self, language: str) -> bool:
        if language not in self._voices:
            name = self.voice(language).encode()
            self._voices[language] = self._lib.espeak_SetVoiceByName(name) == EE_OK
        if self._voices[language]:
            self._lib.espeak_SetVoiceByName(self.voice(language).encode())
        return self._voices[language]

    def synthesize(self, text: str, language: str) -> Speech:
        """The text read in the language's voice (ValueError: eSpeak has no such voice)."""
        encoded = text.encode()
        with self._lock:
            if not self._use_voice(language):
                raise ValueError(f"eSpeak NG has no voice for {language!r}")
            self._samples = array.array("h")
            status = self._lib.espeak_Synth(
                encoded, len(encoded) + 1, 0, 1, 0, ESPEAK_CHARS_UTF8, None, None
            )
            if status != EE_OK:
                raise RuntimeError(f"eSpeak NG failed (status {status})")
            return Speech(self._samples, self.sample_rate)


@cache
def espeak() -> ESpeak:
    """The process's one eSpeak NG (its state is global to the library)."""
    return ESpeak()
