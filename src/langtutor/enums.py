"""Closed sets of values shared by several domains and by the database CHECK constraints."""

from enum import StrEnum


class ContentType(StrEnum):
    flashcards = "flashcards"
    exercises = "exercises"
    simulation = "simulation"


class LogEvent(StrEnum):
    query = "query"
    output = "output"
    error = "error"
    # A checked exercise answer, with its score (0.0-1.0).
    answer = "answer"
    # An explanation of an answer, asked of the model: its `query` entry, then this or `error`.
    explain = "explain"
    # A set gone through (a deck to its end, exercises to the last): counts as a day of study.
    study = "study"
    # A conversation: the learner's line, then the model's reply (with latency and tokens).
    turn = "turn"
    reply = "reply"
    # A placement's level accepted (or overridden) by the learner.
    placement = "placement"
    # A learner's recording written out by the transcription server (or its failure).
    transcription = "transcription"


class Level(StrEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"


def sql_in(values: type[StrEnum]) -> str:
    """`'a', 'b'` for a CHECK (... IN (...)) constraint."""
    return ", ".join(f"'{member.value}'" for member in values)
