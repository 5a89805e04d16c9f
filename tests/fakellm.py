"""A fake language-model server speaking the real HTTP protocols of OpenAI's chat completions,
speech and transcriptions, and Anthropic's messages, on 127.0.0.1.

It answers valid content for the content type and count named in the system message, or, on
demand, invalid JSON, wrong-schema JSON, a refusal, a delay, HTTP 500 or HTTP 429, text that a
database or a terminal cannot take, or a stream cut off midway. It records
every request it receives. Use it in-process (`with FakeLLM() as fake:`) or as a process:
`python -m tests.fakellm --port 9100 --latency 0.2 --fail-rate 0.2 --timeout-rate 0.05`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.servers import ThreadedServer

STAMP = "@STAMP@"
BEHAVIOURS = (
    "valid",
    "invalid_json",
    "wrong_schema",
    "refusal",
    "http_500",
    "http_429",
    "delay",
    # Valid content, but in French whatever the language asked; flashcards with one front
    # twice; French flashcards of one word each and no examples (too short to judge).
    "french",
    "duplicates",
    "one_word",
    # Flashcards numbered from 1, as if the history of recent items were not there.
    "ignore_history",
    # Valid content whose free text carries NUL, BEL and ESC (escaped in the JSON, as a
    # model writes them), or a lone surrogate (an escape no UTF-8 text can hold); a streamed
    # answer that breaks off halfway, the connection dropped.
    "nul",
    "surrogate",
    "cut",
)
# What "nul" and "surrogate" put into every free-text string of an answer, after its first
# character; without it the answer is the valid one.
TAINTS = {"nul": "\x00\x07\x1b", "surrogate": "\ud800"}
# Values that name a kind rather than say something: left as they are.
NAMING_KEYS = frozenset({"type", "part_of_speech", "verdict"})


@dataclass
class Behaviour:
    kind: str = "valid"
    delay_s: float = 0.0


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    disconnected: bool = False
    # Streamed answers: when the first token went out (time.perf_counter), and whether the
    # whole answer did.
    first_token_at: float | None = None
    stream_completed: bool = False

    @property
    def system(self) -> str:
        if "system" in self.body:  # Anthropic
            system = self.body["system"]
            return system if isinstance(system, str) else " ".join(b["text"] for b in system)
        return next(m["content"] for m in self.body["messages"] if m["role"] == "system")

    @property
    def user_messages(self) -> list[str]:
        return [m["content"] for m in self.body["messages"] if m["role"] == "user"]


@dataclass
class FakeLLM:
    latency_s: float = 0.0
    fail_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_s: float = 3600.0
    port: int = 0
    record: bool = True
    requests: list[Recorded] = field(default_factory=list)
    script: deque[Behaviour] = field(default_factory=deque)
    # A streamed answer goes out in this many pieces, this long apart.
    stream_chunks: int = 12
    token_delay_s: float = 0.0
    # Benchmarks: a streamed reply starts with the time (monotonic ns) its first token left.
    stamp: bool = False
    # What `/v1/audio/transcriptions` says it heard (the fake hears nothing of the audio).
    transcript: str = "Hola, quiero un café, por favor."
    _server: ThreadedServer | None = None

    # -- control ---------------------------------------------------------------------------
    def then(self, kind: str, delay_s: float = 0.0) -> FakeLLM:
        """Queue the behaviour of the next call (after it, calls are valid again)."""
        assert kind in BEHAVIOURS, kind
        self.script.append(Behaviour(kind, delay_s))
        return self

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- server ----------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._openai, methods=["POST"]),
                Route("/chat/completions", self._openai, methods=["POST"]),
                Route("/v1/messages", self._anthropic, methods=["POST"]),
                Route("/v1/audio/speech", self._speech, methods=["POST"]),
                Route("/v1/audio/transcriptions", self._transcription, methods=["POST"]),
            ]
        )

    def start(self) -> FakeLLM:
        self._server = ThreadedServer(self.app(), port=self.port, lifespan="off").start()
        self.port = self._server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- behaviour -------------------------------------------------------------------------
    def _next_behaviour(self) -> Behaviour:
        if self.script:
            return self.script.popleft()
        roll = random.random()
        if roll < self.timeout_rate:
            return Behaviour("delay", self.timeout_s)
        if roll < self.timeout_rate + self.fail_rate:
            return Behaviour("http_500")
        return Behaviour("valid")

    async def _wait(self, request: Request, recorded: Recorded, seconds: float) -> bool:
        """Sleep, noticing a client that hangs up; False when it did."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.2))
            if await request.is_disconnected():
                recorded.disconnected = True
                return False
        return True

    async def _prepare(self, request: Request) -> tuple[Recorded, Behaviour] | Response:
        body = await request.json()
        recorded = Recorded(request.url.path, body, dict(request.headers))
        if self.record:
            self.requests.append(recorded)
        behaviour = self._next_behaviour()
        delay = self.latency_s + (behaviour.delay_s if behaviour.kind == "delay" else 0.0)
        if delay and not await self._wait(request, recorded, delay):
            return Response(status_code=499)
        return recorded, behaviour

    async def _openai(self, request: Request) -> Response:
        prepared = await self._prepare(request)
        if isinstance(prepared, Response):
            return prepared
        recorded, behaviour = prepared
        if behaviour.kind in ("http_500", "http_429"):
            status = 500 if behaviour.kind == "http_500" else 429
            return JSONResponse(
                {"error": {"message": "fake failure", "type": "server_error", "code": None}},
                status_code=status,
                headers={"retry-after": "7"} if status == 429 else {},
            )
        text, refusal = self._answer(recorded, behaviour)
        if recorded.body.get("stream"):
            if self.stamp:
                text = text.replace('"reply": "', f'"reply": "{STAMP} ', 1)
            events = self._openai_events(recorded, text, refusal)
            return self._sse(recorded, events, cut=behaviour.kind == "cut")
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": recorded.body.get("model", "fake-model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": None if refusal else text,
                            "refusal": refusal,
                        },
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200},
            }
        )

    async def _anthropic(self, request: Request) -> Response:
        prepared = await self._prepare(request)
        if isinstance(prepared, Response):
            return prepared
        recorded, behaviour = prepared
        if behaviour.kind in ("http_500", "http_429"):
            status = 500 if behaviour.kind == "http_500" else 429
            kind = "api_error" if status == 500 else "rate_limit_error"
            return JSONResponse(
                {"type": "error", "error": {"type": kind, "message": "fake failure"}},
                status_code=status,
                headers={"retry-after": "7"} if status == 429 else {},
            )
        text, refusal = self._answer(recorded, behaviour)
        if recorded.body.get("stream"):
            events = self._anthropic_events(recorded, text, refusal)
            return self._sse(recorded, events, cut=behaviour.kind == "cut")
        return JSONResponse(
            {
                "id": f"msg_{uuid.uuid4().hex}",
                "type": "message",
                "role": "assistant",
                "model": recorded.body.get("model", "fake-model"),
                "content": [] if refusal else [{"type": "text", "text": text}],
                "stop_reason": "refusal" if refusal else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 120, "output_tokens": 80},
            }
        )

    async def _speech(self, request: Request) -> Response:
        """OpenAI's speech endpoint: a second of tone as MP3 (or a failure, on demand)."""
        prepared = await self._prepare(request)
        if isinstance(prepared, Response):
            return prepared
        _, behaviour = prepared
        if behaviour.kind in ("http_500", "http_429"):
            return JSONResponse({"error": {"message": "fake failure"}}, status_code=500)
        return Response(tone_mp3(), media_type="audio/mpeg")

    async def _transcription(self, request: Request) -> Response:
        """OpenAI's transcription endpoint (multipart: `file`, `model`, `language`,
        `response_format`): `transcript` as JSON (or text); on demand HTTP 500 or 429, a
        400 for audio it cannot decode ("refusal"), or a delay."""
        form = await request.form()
        upload = form.get("file")
        body: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        if upload is not None and not isinstance(upload, str):
            data = await upload.read()
            body |= {"filename": upload.filename, "content_type": upload.content_type}
            body["bytes"] = len(data)
        recorded = Recorded(request.url.path, body, dict(request.headers))
        if self.record:
            self.requests.append(recorded)
        behaviour = self._next_behaviour()
        delay = self.latency_s + (behaviour.delay_s if behaviour.kind == "delay" else 0.0)
        if delay and not await self._wait(request, recorded, delay):
            return Response(status_code=499)
        if behaviour.kind in ("http_500", "http_429"):
            status = 500 if behaviour.kind == "http_500" else 429
            return JSONResponse(
                {"error": {"message": "fake failure", "type": "server_error", "code": None}},
                status_code=status,
                headers={"retry-after": "7"} if status == 429 else {},
            )
        if behaviour.kind == "refusal" or upload is None or isinstance(upload, str):
            # What servers say of audio they cannot decode.
            error = {"message": "could not decode the audio", "type": "invalid_request_error"}
            return JSONResponse({"error": error}, status_code=400)
        if body.get("response_format") == "text":
            return Response(self.transcript, media_type="text/plain")
        usage = {"type": "duration", "seconds": 2}
        return JSONResponse({"text": self.transcript, "usage": usage})

    # -- streaming ---------------------------------------------------------------------------
    def _pieces(self, text: str) -> list[str]:
        head = ""
        if self.stamp and STAMP in text:  # the stamp goes out whole, in the first token
            cut = text.index(STAMP) + len(STAMP) + 1  # with the space that ends it
            head, text = text[:cut], text[cut:]
        chunks = self.stream_chunks - (1 if head else 0)
        size = max(1, -(-len(text) // max(1, chunks)))
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        return ([head] if head else []) + pieces or [""]

    def _sse(self, recorded: Recorded, events: Any, *, cut: bool = False) -> StreamingResponse:
        async def body() -> Any:
            try:
                sent = 0
                async for event in events:
                    if cut and sent == max(2, self.stream_chunks // 2):
                        # The server drops the connection: no end of the chunked body.
                        raise ConnectionAbortedError("the fake model broke off its answer")
                    yield event
                    sent += 1
                recorded.stream_completed = True
            finally:
                if not recorded.stream_completed:
                    recorded.disconnected = True  # the client went away mid-stream

        return StreamingResponse(body(), media_type="text/event-stream")

    async def _tokens(self, recorded: Recorded, text: str) -> Any:
        for index, piece in enumerate(self._pieces(text)):
            if index and self.token_delay_s:
                await asyncio.sleep(self.token_delay_s)
            if recorded.first_token_at is None:
                recorded.first_token_at = time.perf_counter()
                piece = piece.replace(STAMP, str(time.monotonic_ns()))
            yield piece

    async def _openai_events(self, recorded: Recorded, text: str, refusal: str | None) -> Any:
        model = recorded.body.get("model", "fake-model")
        base = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return f"data: {json.dumps(base | {'choices': [choice]})}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        if refusal:
            yield chunk({"refusal": refusal})
        else:
            async for piece in self._tokens(recorded, text):
                yield chunk({"content": piece})
        yield chunk({}, "stop")
        usage = {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}
        yield f"data: {json.dumps(base | {'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"

    async def _anthropic_events(self, recorded: Recorded, text: str, refusal: str | None) -> Any:
        def event(kind: str, data: dict[str, Any]) -> str:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

        message = {
            "id": f"msg_{uuid.uuid4().hex}",
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": recorded.body.get("model", "fake-model"),
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 120, "output_tokens": 1},
        }
        yield event("message_start", {"message": message})
        if not refusal:
            yield event(
                "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
            )
            async for piece in self._tokens(recorded, text):
                yield event(
                    "content_block_delta",
                    {"index": 0, "delta": {"type": "text_delta", "text": piece}},
                )
            yield event("content_block_stop", {"index": 0})
        stop = "refusal" if refusal else "end_turn"
        yield event(
            "message_delta",
            {"delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": 80}},
        )
        yield event("message_stop", {})

    def _answer(self, recorded: Recorded, behaviour: Behaviour) -> tuple[str, str | None]:
        if behaviour.kind == "refusal":
            return "", "I can't help with that."
        if behaviour.kind == "invalid_json":
            return '{"cards": [{"front": "hola", "back": ', None
        if behaviour.kind == "wrong_schema":
            return json.dumps({"items": ["not", "what", "was", "asked"]}), None
        content = self._content(recorded, behaviour)
        if behaviour.kind in TAINTS:
            # ASCII escapes, as a model's JSON carries them (a lone surrogate cannot be UTF-8).
            return json.dumps(tainted(content, TAINTS[behaviour.kind])), None
        return json.dumps(content, ensure_ascii=False), None

    def _content(self, recorded: Recorded, behaviour: Behaviour) -> dict[str, Any]:
        kind, count = content_request(recorded.system)
        target, base = languages_asked(recorded.system)
        if behaviour.kind == "french":
            target = "fr"
        if kind in ("grading", "explanation"):
            return practice_answer(kind, recorded.user_messages[-1])
        if kind in ("conversation", "conversation_summary", "scene"):
            return conversation_answer(kind, recorded)
        if kind == "placement_texts":
            return placement_texts(target, recorded.user_messages[-1])
        # Like a model that heeds "do not repeat the recent items": numbered on from them.
        start = 0 if behaviour.kind == "ignore_history" else last_number(recorded.system)
        content = valid_content(kind, count, target, base, start=start)
        if behaviour.kind == "duplicates" and kind == "flashcards" and count > 1:
            content["cards"][-1]["front"] = content["cards"][0]["front"]
        if behaviour.kind == "one_word" and kind == "flashcards":
            words = ["chat", "chien", "maison", "pain", "vin", "lait"]
            content["cards"] = [
                {"front": words[i % len(words)] + "s" * (i // len(words)), "back": f"thing {i}"}
                for i in range(count)
            ]
        return content


def tainted(value: Any, taint: str, key: str = "") -> Any:
    """Every free-text string of the answer with `taint` after its first character."""
    if isinstance(value, dict):
        return {name: tainted(item, taint, name) for name, item in value.items()}
    if isinstance(value, list):
        return [tainted(item, taint, key) for item in value]
    if isinstance(value, str) and value and key not in NAMING_KEYS:
        return value[:1] + taint + value[1:]
    return value


def last_number(system: str) -> int:
    """The highest number among the recent items of the system message's history."""
    history = system.partition("Recent items:")[2].partition("</history>")[0]
    return max((int(n) for n in re.findall(r"^- .* (\d+)$", history, re.MULTILINE)), default=0)


def languages_asked(system: str) -> tuple[str, str]:
    """The target and base language codes of the system message (Spanish and English when
    it names none)."""
    target = re.search(r"Target language \(the language being learned\): .*\(([\w-]+)\)", system)
    base = re.search(r"Base language \(the learner's own\): .*\(([\w-]+)\)", system)
    # The language, not its region or script: "pt-BR" is written as "pt".
    return (target[1] if target else "es").split("-")[0], (base[1] if base else "en").split("-")[0]


def content_request(system: str) -> tuple[str, int]:
    kind_match = re.search(r"Content type: (\w+)", system)
    count_match = re.search(r"Number of \w+: exactly (\d+)", system)
    return (kind_match.group(1) if kind_match else "flashcards"), int(
        count_match.group(1) if count_match else 3
    )


def tone_mp3(seconds: float = 1.0, rate: int = 24_000) -> bytes:
    import io
    import math

    import soundfile

    samples = [0.3 * math.sin(2 * math.pi * 440 * n / rate) for n in range(int(seconds * rate))]
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="MP3", subtype="MPEG_LAYER_III")
    return buffer.getvalue()


def practice_answer(kind: str, user: str) -> dict[str, Any]:
    """A grading (correct when the answer between the delimiters is the expected one) or an
    explanation."""
    exercise = json.loads(user.split("<exercise>\n", 1)[1].split("\n</exercise>", 1)[0])
    answer = user.split("<answer>\n", 1)[1].rsplit("\n</answer>", 1)[0]
    expected = exercise["expected_answer"]
    if kind == "grading":
        right = answer.strip().lower() == expected.strip().lower()
        return {
            "verdict": "correct" if right else "wrong",
            "score": 1.0 if right else 0.0,
            "corrected_answer": answer if right else expected,
            "explanation": "Well translated." if right else f"It should read: {expected}.",
        }
    return {
        "explanation": f"The answer is {expected} because of the rule.",
        "example": f"Otro ejemplo con {expected}.",
        "example_translation": f"Another example with {expected}.",
    }


# The gap texts of a placement (Spanish unless Swahili is asked): plain everyday prose.
PLACEMENT_TEXTS = {
    "es": (
        "Mi familia vive en una casa pequeña cerca del mar. Por la mañana mi padre prepara el "
        "café y mi madre lee el periódico en la cocina. Después todos salimos a trabajar o a "
        "estudiar. Por la tarde paseamos por la playa con el perro. Los domingos comemos "
        "juntos en casa de mis abuelos.",
        "El año pasado decidí aprender a cocinar porque estaba cansado de comer siempre lo "
        "mismo. Al principio mis platos no tenían mucho sabor, pero poco a poco descubrí la "
        "importancia de las especias. Ahora invito a mis amigos los viernes y preparo recetas "
        "de distintos países. Cocinar se ha convertido en mi manera favorita de descansar.",
    ),
    "sw": (
        "Familia yangu inaishi katika nyumba ndogo karibu na bahari. Asubuhi baba yangu "
        "hupika chai na mama yangu husoma gazeti jikoni. Baadaye sisi sote tunaenda kazini "
        "au shuleni. Jioni tunatembea ufukweni pamoja na mbwa wetu. Siku ya Jumapili tunakula "
        "pamoja nyumbani kwa babu na bibi.",
        "Mwaka uliopita niliamua kujifunza kupika kwa sababu nilichoka kula chakula kile kile "
        "kila siku. Mwanzoni vyakula vyangu havikuwa na ladha nzuri, lakini polepole "
        "niligundua umuhimu wa viungo. Sasa ninawakaribisha marafiki zangu kila Ijumaa na "
        "ninapika mapishi ya nchi mbalimbali. Kupika kumekuwa njia yangu ninayopenda ya "
        "kupumzika.",
    ),
}


def placement_texts(target: str, user: str) -> dict[str, Any]:
    """Two gap texts at the levels the user message names ("at B1 and B2.")."""
    levels = re.findall(r"\b([ABC][12])\b", user)[:2]
    texts = PLACEMENT_TEXTS.get(target, PLACEMENT_TEXTS["es"])
    return {
        "texts": [
            {"level": level, "text": text} for level, text in zip(levels, texts, strict=False)
        ]
    }


SLIP = "soy cansado"  # a learner line with this gets a correction from the fake tutor


def conversation_answer(kind: str, recorded: Recorded) -> dict[str, Any]:
    """The fake tutor: replies in character; corrects "soy cansado"; ends on "adiós"."""
    if kind == "scene":
        return {
            "title": "En el mercado",
            "scenario": "You buy fruit at a market stall in Valencia.",
            "roles": [
                {"name": "Vendedora", "description": "The stallholder"},
                {"name": "Cliente", "description": "You, the customer"},
            ],
        }
    if kind == "conversation_summary":
        return {
            "summary": "You bought fruit and chatted with the stallholder.",
            "strengths": ["Polite greetings"],
            "mistakes": [
                {
                    "original": "soy cansado",
                    "corrected": "estoy cansado",
                    "explanation": "Use estar for how you feel.",
                }
            ],
            "vocabulary": [{"term": "la naranja", "translation": "the orange"}],
        }
    # The learner's last line (a repair request comes after it).
    user = next((m for m in reversed(recorded.user_messages) if "<learner>" in m), "")
    line = (
        user.split("<learner>\n", 1)[1].rsplit("\n</learner>", 1)[0]
        if "<learner>\n" in user
        else ""
    )
    corrections = []
    if SLIP in line.lower():
        corrections.append(
            {
                "original": "soy cansado",
                "corrected": "estoy cansado",
                "explanation": "Use estar for how you feel right now.",
            }
        )
    turn = sum(1 for m in recorded.body.get("messages", []) if m.get("role") == "assistant")
    return {
        "reply": f"¡Claro! ¿Algo más? (turno {turn + 1})" if line else "¡Hola! ¿Qué le pongo?",
        "translation": f"Of course! Anything else? (turn {turn + 1})"
        if line
        else "Hello! What can I get you?",
        "corrections": corrections,
        "finished": "adiós" in line.lower(),
    }


# Flashcards in the languages asked: (front, example) in the target language, (back, example
# translation) in the base language; others answer as Spanish for English speakers.
TARGET_PHRASES = {
    "es": ("la palabra {i}", "Uso la palabra {i}."),
    "fr": ("le mot {i}", "J'utilise le mot {i}."),
    "de": ("das Wort {i}", "Ich benutze das Wort {i}."),
    "it": ("la parola {i}", "Uso la parola {i} ogni giorno."),
    "pt": ("a palavra {i}", "Uso a palavra {i} todos os dias."),
}
BASE_PHRASES = {
    "en": ("word {i}", "I use word {i}."),
    "de": ("Wort {i}", "Ich benutze Wort {i}."),
    "es": ("palabra {i}", "Uso la palabra {i}."),
    "fr": ("mot {i}", "J'utilise le mot {i}."),
}


def valid_content(
    kind: str, count: int, target: str = "es", base: str = "en", start: int = 0
) -> dict[str, Any]:
    if kind == "flashcards":
        front, example = TARGET_PHRASES.get(target, TARGET_PHRASES["es"])
        back, translation = BASE_PHRASES.get(base, BASE_PHRASES["en"])
        return {
            "cards": [
                {
                    "front": front.format(i=i),
                    "back": back.format(i=i),
                    "example": example.format(i=i),
                    "example_translation": translation.format(i=i),
                    "part_of_speech": "noun",
                    "notes": None,
                }
                for i in range(start + 1, start + count + 1)
            ]
        }
    if kind == "exercises":
        kinds = ["multiple_choice", "fill_in_the_blank", "translation"]
        exercises = []
        for i in range(count):
            kind_i = kinds[i % 3]
            exercises.append(
                {
                    "type": kind_i,
                    "prompt": f"Pregunta {i + 1}: ¿___?",
                    "options": ["sí", "no", "quizás"] if kind_i == "multiple_choice" else None,
                    "answer": "sí",
                    "explanation": EXPLANATIONS.get(base, EXPLANATIONS["en"]),
                }
            )
        return {"exercises": exercises}
    lines = SCENE_LINES.get(target, SCENE_LINES["es"])
    said = SCENE_BASE.get(base, SCENE_BASE["en"])
    return {
        "title": said["title"],
        "scenario": said["scenario"],
        "roles": [
            {"name": "Camarero", "description": said["waiter"]},
            {"name": "Cliente", "description": said["customer"]},
        ],
        "dialogue": [
            {"speaker": "Camarero", "text": lines[0], "translation": said["lines"][0]},
            {"speaker": "Cliente", "text": lines[1], "translation": said["lines"][1]},
        ],
        "vocabulary": [{"term": lines[2], "translation": said["term"]}],
        "questions": [{"question": lines[3], "answer": lines[1]}],
    }


# A simulation's lines (two of dialogue, a term, a question) in the target language, and its
# setting and translations in the base language.
SCENE_LINES = {
    "es": ["¿Qué le pongo?", "Unas bravas, por favor.", "la tapa", "¿Qué pide el cliente?"],
    "fr": [
        "Qu'est-ce que je vous sers ?",
        "Des frites, s'il vous plaît.",
        "la frite",
        "Qu'est-ce que le client commande ?",
    ],
    "de": [
        "Was darf ich Ihnen bringen?",
        "Pommes frites, bitte.",
        "die Pommes",
        "Was bestellt der Kunde?",
    ],
    "it": [
        "Che cosa le porto?",
        "Delle patatine fritte, per favore.",
        "la patatina",
        "Che cosa ordina il cliente?",
    ],
    "pt": [
        "O que é que lhe trago?",
        "Umas batatas fritas, por favor.",
        "a batata",
        "O que é que o cliente pede?",
    ],
}
SCENE_BASE = {
    "en": {
        "title": "At the bar",
        "scenario": "You order tapas at a busy bar in Seville.",
        "waiter": "The waiter",
        "customer": "You, the customer",
        "lines": ["What can I get you?", "Some bravas, please."],
        "term": "the snack",
    },
    "de": {
        "title": "In der Bar",
        "scenario": "Du bestellst Tapas in einer vollen Bar in Sevilla.",
        "waiter": "Der Kellner",
        "customer": "Du, der Gast",
        "lines": ["Was darf es sein?", "Ein paar Bravas, bitte."],
        "term": "der Snack",
    },
    "es": {
        "title": "En el bar",
        "scenario": "Pides tapas en un bar lleno de gente en Sevilla.",
        "waiter": "El camarero",
        "customer": "Tú, el cliente",
        "lines": ["¿Qué le pongo?", "Unas bravas, por favor."],
        "term": "el aperitivo",
    },
    "fr": {
        "title": "Au bar",
        "scenario": "Tu commandes des tapas dans un bar animé de Séville.",
        "waiter": "Le serveur",
        "customer": "Toi, le client",
        "lines": ["Qu'est-ce que je vous sers ?", "Des bravas, s'il vous plaît."],
        "term": "l'en-cas",
    },
}
EXPLANATIONS = {
    "en": "Because it is right.",
    "de": "Weil es richtig ist.",
    "es": "Porque es correcto.",
    "fr": "Parce que c'est juste.",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of HTTP 500s")
    parser.add_argument("--timeout-rate", type=float, default=0.0, help="share of hangs")
    parser.add_argument("--stream-chunks", type=int, default=12, help="pieces of a streamed answer")
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds between pieces")
    parser.add_argument("--stamp", action="store_true", help="time the first streamed token")
    args = parser.parse_args()
    fake = FakeLLM(
        latency_s=args.latency,
        fail_rate=args.fail_rate,
        timeout_rate=args.timeout_rate,
        stream_chunks=args.stream_chunks,
        token_delay_s=args.token_delay,
        stamp=args.stamp,
        record=False,
    )
    uvicorn.run(fake.app(), host="127.0.0.1", port=args.port, log_level="warning", backlog=4096)


if __name__ == "__main__":
    main()
