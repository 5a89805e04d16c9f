"""`langtutor activity quarantine`: the activity-log entries the database refused, set aside
(see `langtutor.activity.quarantine`). Learners' and models' text is printed as JSON strings in
ASCII: nothing in it can drive the operator's terminal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer

from langtutor.activity import quarantine
from langtutor.config import get_settings
from langtutor.db import create_engine

T = TypeVar("T")
quarantine_app = typer.Typer(
    help="Activity-log entries the database refused, set aside so that they block no one.",
    no_args_is_help=True,
)
IDS = typer.Option(None, "--id", help="A quarantined entry's number (#N in the list); repeatable.")


def _run(work: Callable[[Any], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(get_settings().DATABASE_URL)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)


@quarantine_app.command("list")
def quarantine_list(
    limit: int = typer.Option(20, min=1, max=10_000, help="How many, the latest first."),
    as_json: bool = typer.Option(False, "--json", help="Every field, the whole entries, as JSON."),
) -> None:
    """The entries set aside: when, whose, how often and why the database refused them."""
    total, found = _run(lambda engine: quarantine.listing(engine, limit=limit))
    if as_json:
        rows = [
            item.__dict__
            | {
                "entry_timestamp": item.entry_timestamp.isoformat(),
                "quarantined_at": item.quarantined_at.isoformat(),
            }
            for item in found
        ]
        typer.echo(json.dumps({"total": total, "items": rows}, ensure_ascii=True, indent=2))
        return
    if not total:
        typer.echo("nothing set aside in activity_quarantine")
        return
    typer.echo(f"{total} entries set aside in activity_quarantine, the latest {len(found)}:")
    for item in found:
        typer.echo(
            f"#{item.quarantine_id}  user {item.user_id}  {_text(item.event)}  "
            f"of {item.entry_timestamp:%Y-%m-%d %H:%M:%S}  set aside "
            f"{item.quarantined_at:%Y-%m-%d %H:%M:%S} after {item.tries} tries"
        )
        typer.echo(f"    text: {_text(item.entry.get('query_text'))[:200]}")
        typer.echo(f"    error: {_text(item.error)[:300]}")


@quarantine_app.command("retry")
def quarantine_retry(ids: list[int] | None = IDS) -> None:
    """Write the entries (all, or those named) to the log again, without the characters the
    database cannot store (NUL, lone surrogates, control characters); those it still refuses
    stay, with its new reason."""
    written, refused = _run(lambda engine: quarantine.retry(engine, ids or None))
    typer.echo(f"written: {written}, still refused: {refused}")


@quarantine_app.command("purge")
def quarantine_purge(
    ids: list[int] | None = IDS,
    everything: bool = typer.Option(False, "--all", help="Every entry set aside."),
) -> None:
    """Remove entries set aside, for good: those named, or all of them with --all."""
    if not ids and not everything:
        typer.echo("name entries with --id N, or remove them all with --all")
        raise typer.Exit(2)
    removed = _run(lambda engine: quarantine.purge(engine, None if everything else ids))
    typer.echo(f"removed: {removed}")
