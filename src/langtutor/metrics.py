"""Prometheus metrics, served at `/metrics`.

Module-level objects, as prometheus-client expects: several apps in one process (tests)
share them, so readers compare differences rather than absolute values. A server with
several worker processes (`langtutor serve --workers N`) runs prometheus-client's
multiprocess mode: each worker writes its values to files in `PROMETHEUS_MULTIPROC_DIR`
(`metrics/` under the data directory, emptied when the server starts) and `/metrics`, whichever
worker answers, adds up all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

LOG_BUFFERED = Gauge(
    "langtutor_log_buffer_entries",
    "Activity-log entries waiting in memory",
    multiprocess_mode="livesum",  # across the workers that are alive
)
LOG_WRITTEN = Counter("langtutor_log_entries_written", "Activity-log entries written")
LOG_BATCHES = Counter("langtutor_log_batches_written", "Activity-log batch writes (statements)")
LOG_WRITE_FAILURES = Counter("langtutor_log_write_failures", "Failed activity-log writes")
LOG_DROPPED = Counter(
    "langtutor_log_entries_dropped", "Activity-log entries dropped because the buffer was full"
)
LOG_QUARANTINED = Counter(
    "langtutor_log_entries_quarantined",
    "Activity-log entries the database refused on their own, again and again, set aside in "
    "activity_quarantine",
)
GENERATIONS = Counter(
    "langtutor_generations", "Generations by content type and outcome", ["content_type", "outcome"]
)
GENERATION_QUALITY = Counter(
    "langtutor_generation_quality",
    "Generations by outcome: ok, reasked_<what the first answer got wrong> (schema, language, "
    "duplicates, repeats), or the error kind (invalid_output, wrong_language, ...)",
    ["content_type", "target_language", "model", "prompt_version", "outcome"],
)
GENERATION_SECONDS = Histogram(
    "langtutor_generation_seconds",
    "Time to answer a generation, model calls and validation included",
    ["content_type"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)
LLM_SECONDS = Histogram(
    "langtutor_llm_call_seconds",
    "Time of one language-model call",
    ["provider"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
)
SPEECH_SYNTHESES = Counter(
    "langtutor_speech_syntheses",
    "Audio made (not served from the cache), by provider",
    ["provider"],
)
TRANSCRIPTIONS = Counter(
    "langtutor_transcriptions",
    "Learners' recordings sent to the transcription server, by outcome (ok, or the failure)",
    ["outcome"],
)
SPEECH_CACHE_HITS = Counter("langtutor_speech_cache_hits", "Audio served from the cache")


def exposition() -> tuple[bytes, str]:
    """The text `/metrics` answers: this process's metrics, or every worker's added up."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return generate_latest(), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def process_ended() -> None:
    """A worker stops: its live gauges leave the sums (its counters stay counted)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(os.getpid())
