"""`langtutor report quality` on a seeded database: the figures of the fixture below,
computed by hand, in the three formats."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from langtutor import archive
from langtutor.accounts.models import User
from langtutor.activity.models import ActivityLog
from langtutor.cli import app as cli_app
from langtutor.config import get_settings
from langtutor.library.models import Feedback, SavedContent
from tests.conftest import AppFactory
from tests.factories import user_with_token

DAY = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def ended(
    kind: str,
    language: str,
    model: str,
    prompt: str | None,
    *,
    attempts: int = 1,
    mismatch: bool = False,
    error: str | None = None,
    at: datetime = DAY,
) -> dict[str, Any]:
    """The last entry of a generation: its output, or its error."""
    metadata: dict[str, Any] = {"model": model, "prompt_version": prompt}
    if error is None:
        metadata |= {"attempts": attempts, "quality": {"language_mismatch": mismatch}}
    else:
        metadata["error"] = error
    return {
        "user_id": 1,
        "content_type": kind,
        "query_text": "topic",
        "target_language": language,
        "base_language": "en",
        "generation_id": uuid.uuid4(),
        "event": "error" if error else "output",
        "response_metadata": metadata,
        "timestamp": at,
    }


# Group A: flashcards · es · gpt-a · p1: four outputs (two re-asked, one of them for the
# language) and two errors (invalid output, wrong language): 6 generations; invalid 1/6,
# re-asked 4/6, wrong language 2/6.
A = [
    ended("flashcards", "es", "gpt-a", "p1"),
    ended("flashcards", "es", "gpt-a", "p1"),
    ended("flashcards", "es", "gpt-a", "p1", attempts=2, mismatch=True),
    ended("flashcards", "es", "gpt-a", "p1", attempts=2),
    ended("flashcards", "es", "gpt-a", "p1", error="invalid_output"),
    ended("flashcards", "es", "gpt-a", "p1", error="wrong_language"),
]
# Group B: the same with another prompt version, two clean outputs.
B = [ended("flashcards", "es", "gpt-a", "p2"), ended("flashcards", "es", "gpt-a", "p2")]
# Group C: exercises · fr · claude-b · p3: one output, one timeout.
C = [
    ended("exercises", "fr", "claude-b", "p3"),
    ended("exercises", "fr", "claude-b", "p3", error="timeout"),
]
# Not generations: a query entry, an explanation's error (no prompt version), and an output
# before --since.
OTHERS = [
    ended("flashcards", "es", "gpt-a", "p1") | {"event": "query"},
    ended("exercises", "fr", "claude-b", None, error="timeout"),
]
OLD = ended("flashcards", "es", "gpt-a", "p1", at=DAY - timedelta(days=30))


def feedback(at: int, **values: Any) -> dict[str, Any]:
    return {"user_id": 1, "timestamp": DAY + timedelta(hours=at)} | values


SAVED = {
    "saved_content_id": 1,
    "user_id": 1,
    "content_type": "flashcards",
    "original_query": "topic",
    "content_data": {"cards": [{"front": "a", "back": "b"}]},
    "generation_id": A[2]["generation_id"],
}
FEEDBACK = [
    # A: ratings 5, 1, 2 (mean 2.67), thumbs down and up (share 0.5); three low-rated
    # comments, newest first; a thumbs up with its automatic text is no comment.
    feedback(1, generation_id=A[0]["generation_id"], rating=5, feedback_text="great"),
    feedback(2, generation_id=A[1]["generation_id"], rating=1, feedback_text="wrong words"),
    feedback(3, related_saved_content_id=1, rating=2, feedback_text="boring"),
    feedback(
        4,
        generation_id=A[3]["generation_id"],
        feedback_text="typo in card",
        context_details={"item_index": 0, "thumb": "down"},
    ),
    feedback(
        5,
        generation_id=A[0]["generation_id"],
        feedback_text="thumbs up",
        context_details={"item_index": 1, "thumb": "up"},
    ),
    # C: one rating of 4, no comment.
    feedback(6, generation_id=C[0]["generation_id"], rating=4),
]

EXPECTED = [
    {
        "content_type": "flashcards",
        "target_language": "es",
        "model": "gpt-a",
        "prompt_version": "p1",
        "generations": 6,
        "invalid_output_rate": 0.1667,
        "reask_rate": 0.6667,
        "language_mismatch_rate": 0.3333,
        "errors": {"invalid_output": 1, "wrong_language": 1},
        "ratings": 3,
        "mean_rating": 2.67,
        "thumbs": 2,
        "thumbs_down_share": 0.5,
        "low_rated_comments": ["typo in card", "boring", "wrong words"],
    },
    {
        "content_type": "exercises",
        "target_language": "fr",
        "model": "claude-b",
        "prompt_version": "p3",
        "generations": 2,
        "invalid_output_rate": 0.0,
        "reask_rate": 0.0,
        "language_mismatch_rate": 0.0,
        "errors": {"timeout": 1},
        "ratings": 1,
        "mean_rating": 4.0,
        "thumbs": 0,
        "thumbs_down_share": None,
        "low_rated_comments": [],
    },
    {
        "content_type": "flashcards",
        "target_language": "es",
        "model": "gpt-a",
        "prompt_version": "p2",
        "generations": 2,
        "invalid_output_rate": 0.0,
        "reask_rate": 0.0,
        "language_mismatch_rate": 0.0,
        "errors": {},
        "ratings": 0,
        "mean_rating": None,
        "thumbs": 0,
        "thumbs_down_share": None,
        "low_rated_comments": [],
    },
]


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LANGTUTOR_DATABASE_URL", database_url)
    monkeypatch.setenv("LANGTUTOR_SECRET_KEY", "k" * 40)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def seed(db: AsyncEngine) -> None:
    async with db.begin() as connection:
        await connection.execute(
            insert(User).values(user_id=1, username="ana", password_hash="x" * 20)
        )
        await connection.execute(insert(ActivityLog), [*A, *B, *C, *OTHERS, OLD])
        await connection.execute(insert(SavedContent).values(SAVED))
        for row in FEEDBACK:  # one by one: the rows differ in their columns
            await connection.execute(insert(Feedback).values(row))


def report(*args: str) -> str:
    result = CliRunner().invoke(cli_app, ["report", "quality", "--since", "2026-11-01", *args])
    assert result.exit_code == 0, result.output
    return result.output


async def test_the_report_prints_the_figures_of_the_fixture(
    db: AsyncEngine, cli_database: None
) -> None:
    await seed(db)
    # The command runs its own event loop, so it goes to a thread of its own.
    as_json = json.loads(await asyncio.to_thread(report, "--format", "json"))
    assert as_json == EXPECTED

    rows = list(csv.DictReader(io.StringIO(await asyncio.to_thread(report, "--format", "csv"))))
    assert [row["prompt_version"] for row in rows] == ["p1", "p3", "p2"]
    assert rows[0]["generations"] == "6"
    assert rows[0]["reask_rate"] == "0.6667"
    assert rows[0]["errors"] == "invalid_output=1; wrong_language=1"
    assert rows[0]["mean_rating"] == "2.67"
    assert rows[0]["low_rated_comments"] == "typo in card | boring | wrong words"
    assert rows[2]["mean_rating"] == ""

    table = await asyncio.to_thread(report)
    for figure in ("gpt-a", "p1", "16.7%", "66.7%", "33.3%", "2.67 (3)", "50.0%", "typo in card"):
        assert figure in table

    # Without --since, the old output counts too: 7 generations in group A.
    everything = await asyncio.to_thread(
        lambda: CliRunner().invoke(cli_app, ["report", "quality", "--format", "json"]).output
    )
    assert json.loads(everything)[0]["generations"] == 7


async def test_the_report_is_the_same_after_its_entries_are_archived(
    db: AsyncEngine, cli_database: None, tmp_path: Path
) -> None:
    """Archived generations count through their days' summaries: figures, feedback and
    comments; archived in two steps (the same day's groups summed twice)."""
    await seed(db)

    def everything() -> Any:
        output = CliRunner().invoke(cli_app, ["report", "quality", "--format", "json"]).output
        return json.loads(output)

    before = await asyncio.to_thread(everything)
    since = json.loads(await asyncio.to_thread(report, "--format", "json"))
    await archive.archive(db, before=DAY.date() - timedelta(days=1), data_dir=tmp_path)
    assert await asyncio.to_thread(everything) == before  # OLD archived alone
    await archive.archive(db, before=DAY.date() + timedelta(days=1), data_dir=tmp_path)
    async with db.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(ActivityLog)) == 0
    assert await asyncio.to_thread(everything) == before
    assert json.loads(await asyncio.to_thread(report, "--format", "json")) == since


# A learner's comments, as hostile as text gets: Rich markup (a link, a closing tag that
# makes Rich fail), terminal escape sequences (a link, clearing the screen, colour, CSI in
# C1), a bidirectional override, a line break that would fake a comment of its own, and,
# the newest, a spreadsheet formula.
HOSTILE_COMMENTS = [
    "[link=https://evil.example/]update[/link]",
    "bad [/]",
    "\x1b]8;;https://evil.example/\x1b\\here\x1b]8;;\x1b\\ \x1b[2J\x1b[31mred \x9b2J",
    "abc\u202edcba\nfake second comment",
    '=HYPERLINK("https://evil.example/","click")',
]


async def test_learners_comments_reach_the_operator_as_text(
    app_factory: AppFactory,
    fake_llm_settings: dict[str, object],
    cli_database: None,
) -> None:
    """Posted through the API, read by `langtutor report quality` on the same database:
    the table shows each comment as the text it is, the CSV cell of a formula is text."""
    async with app_factory(**fake_llm_settings) as client:
        _, headers = await user_with_token(client, default_target_language="es")
        generation = (
            await client.post(
                "/generate/flashcards", headers=headers, json={"query": "tapas", "count": 2}
            )
        ).json()
        for comment in HOSTILE_COMMENTS:
            answer = await client.post(
                "/feedback",
                headers=headers,
                json={
                    "generation_id": generation["generation_id"],
                    "rating": 1,
                    "feedback_text": comment,
                },
            )
            assert answer.status_code == 201, answer.text

    table = await asyncio.to_thread(report)
    for control in ("\x1b", "\x9b", "\u202e"):
        assert control not in table
    # Each comment on a line of its own, as written, the controls gone.
    for shown in (
        "[link=https://evil.example/]update[/link]",
        "bad [/]",
        "]8;;https://evil.example/\\here]8;;\\ [2J[31mred 2J",
        "abcdcba fake second comment",
    ):
        assert shown in table, shown

    (row,) = csv.DictReader(io.StringIO(await asyncio.to_thread(report, "--format", "csv")))
    cell = row["low_rated_comments"]
    assert cell.startswith("'=HYPERLINK(")
    assert not any(control in cell for control in ("\x1b", "\n"))
    as_json = json.loads(await asyncio.to_thread(report, "--format", "json"))
    assert as_json[0]["low_rated_comments"][4] == "[link=https://evil.example/]update[/link]"
