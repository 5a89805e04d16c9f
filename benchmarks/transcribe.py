"""Speaking: what the server itself adds to a transcription (the upload, the recording's
checks and length, the learner's rate limit, the activity log's entry), beyond a direct call
of the `openai` SDK to the same transcription server.

The fake model server as a process of its own answers `/v1/audio/transcriptions`; one
`langtutor serve` process (SQLite by default, `--database postgresql`) points at it. A
3-second WAV spoken by eSpeak NG is sent, one request after the other, `--calls` times
through `POST /speech/transcribe` and `--calls` times straight to the fake server through the
SDK; the difference of the two medians is the server's cost. Three rounds; the median of
their costs is the result (target <= 30 ms).

    .venv/bin/python -m benchmarks.transcribe
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import openai
import soundfile

from benchmarks._harness import database, fake_llm, langtutor_server, pg_available, user_token
from langtutor.speech.espeak import espeak

TARGET_MS = 30.0
SENTENCE = "Hola, quiero un café con leche y una tostada con tomate, por favor."


def spoken_wav() -> bytes:
    speech = espeak().synthesize(SENTENCE, "es")
    buffer = io.BytesIO()
    soundfile.write(buffer, speech.samples, speech.sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def through_server(url: str, headers: dict[str, str], wav: bytes, calls: int) -> list[float]:
    times = []
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for _ in range(calls):
            begin = time.perf_counter()
            answer = http.post(
                "/speech/transcribe",
                files={"audio": ("turn.wav", wav, "audio/wav")},
                data={"language": "es"},
            )
            times.append(time.perf_counter() - begin)
            assert answer.status_code == 200, answer.text
    return times


def direct(stt_url: str, wav: bytes, calls: int) -> list[float]:
    times = []
    with openai.OpenAI(base_url=stt_url, api_key="unused", max_retries=0) as client:
        for _ in range(calls):
            begin = time.perf_counter()
            client.audio.transcriptions.create(
                model="fake-whisper",
                file=("turn.wav", wav, "audio/wav"),
                language="es",
                response_format="json",
            )
            times.append(time.perf_counter() - begin)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=60, help="per path and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    if args.database == "postgresql" and not pg_available():
        raise SystemExit("PostgreSQL is not reachable")
    wav = spoken_wav()
    costs = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        database(args.database, Path(tmp)) as db_url,
        fake_llm(0.0) as stt_url,
        langtutor_server(
            db_url,
            stt_url,
            STT_PROVIDER="openai",
            STT_BASE_URL=stt_url,
            STT_MODEL="fake-whisper",
            STT_RATE_PER_MINUTE="100000000",
            DATA_DIR=str(Path(tmp) / "data"),
        ) as (url, _),
    ):
        headers = user_token(url, "bench", default_target_language="es")
        through_server(url, headers, wav, 5)  # warm both paths up
        direct(stt_url, wav, 5)
        for round_ in range(args.rounds):
            served = statistics.median(through_server(url, headers, wav, args.calls)) * 1000
            straight = statistics.median(direct(stt_url, wav, args.calls)) * 1000
            costs.append(served - straight)
            print(
                f"round {round_ + 1}: POST /speech/transcribe median {served:.1f} ms, "
                f"the SDK straight to the server {straight:.1f} ms, cost {served - straight:.1f} ms"
            )
    cost = statistics.median(costs)
    print(
        f"the server's own cost per transcription ({len(wav) // 1024} KiB WAV, "
        f"{args.database}): median of {args.rounds} rounds {cost:.1f} ms "
        f"(target <= {TARGET_MS:.0f} ms): {'ok' if cost <= TARGET_MS else 'OVER'}"
    )


if __name__ == "__main__":
    main()
