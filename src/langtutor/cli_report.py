"""`langtutor report quality`: generation quality for operators, as a table, JSON or CSV (see
`langtutor.reports`). Text of learners and models is printed as what it is, never as Rich
markup."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from enum import StrEnum

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from langtutor import reports
from langtutor.config import get_settings
from langtutor.db import create_engine, create_sessionmaker

report_app = typer.Typer(help="Reports for operators.", no_args_is_help=True)
console = Console()


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@report_app.command("quality")
def report_quality(
    since: datetime | None = typer.Option(
        None, "--since", formats=["%Y-%m-%d"], help="Only from this day on (UTC)."
    ),
    output: ReportFormat = typer.Option(ReportFormat.table, "--format", help="Output format."),
) -> None:
    """Generation quality per content type, target language, model and prompt version:
    generations, invalid-output, re-ask and language-mismatch rates, errors by kind, mean
    rating, share of thumbs down, and the latest low-rated comments."""
    rows = asyncio.run(_quality(since.replace(tzinfo=UTC) if since else None))
    if output is ReportFormat.json:
        typer.echo(reports.as_json(rows))
    elif output is ReportFormat.csv:
        typer.echo(reports.as_csv(rows), nl=False)
    else:
        # Piped or captured: wide enough for the figures to stay whole.
        wide = console if console.is_terminal else Console(width=220)
        wide.print(quality_table(rows))


async def _quality(since: datetime | None) -> list[reports.QualityRow]:
    engine = create_engine(get_settings().DATABASE_URL)
    try:
        return await reports.quality_report(create_sessionmaker(engine), since)
    finally:
        await engine.dispose()


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _text(value: str) -> Text:
    """A cell as the text it is: Rich reads a plain string as markup (`[link=…]`)."""
    return Text(reports.plain_text(value))


def quality_table(rows: list[reports.QualityRow]) -> Table | str:
    if not rows:
        return "No generations yet."
    table = Table(title="Generation quality")
    for name in ("type", "language", "model", "prompt", "generations", "invalid", "re-asked"):
        table.add_column(name, justify="right" if name == "generations" else "left")
    for name in ("wrong language", "errors", "rating", "thumbs down", "low-rated comments"):
        table.add_column(name)
    for row in rows:
        cells = (
            row.content_type,
            row.target_language,
            row.model,
            row.prompt_version,
            str(row.generations),
            _percent(row.invalid_output_rate),
            _percent(row.reask_rate),
            _percent(row.language_mismatch_rate),
            ", ".join(f"{kind} {count}" for kind, count in sorted(row.errors.items())) or "-",
            "-" if row.mean_rating is None else f"{row.mean_rating:.2f} ({row.ratings})",
            _percent(row.thumbs_down_share),
        )
        comments = Text("\n").join(_text(comment) for comment in row.low_rated_comments)
        table.add_row(*(_text(cell) for cell in cells), comments or Text("-"))
    return table
