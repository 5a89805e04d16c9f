"""The audio cache on disk keeps to its size: the least recently used files go first."""

from __future__ import annotations

import os
from pathlib import Path

from langtutor.speech.service import SpeechService


async def test_the_cache_keeps_to_its_size_by_least_recent_use(tmp_path: Path) -> None:
    service = SpeechService(provider="espeak", cache_dir=tmp_path, max_bytes=100_000)
    first = await service.audio("uno dos tres cuatro cinco", "es")
    size = first.path.stat().st_size
    assert size < 100_000 // 3
    kept = [first]
    for n in range(12):
        os.utime(kept[0].path)  # the first stays in use
        kept.append(await service.audio(f"frase número {n} con algunas palabras más", "es"))
    files = list(tmp_path.rglob("*.mp3"))
    assert sum(f.stat().st_size for f in files) <= 100_000
    assert first.path.exists()  # recently used: kept
    assert not kept[1].path.exists()  # the oldest unused one went first
    assert kept[-1].path.exists()
