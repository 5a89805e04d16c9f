"""The `langtutor` command."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
import uvicorn
from alembic import command
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from langtutor import archive, metrics
from langtutor.accounts.fits import fsrs_fits
from langtutor.accounts.registration import Registration, create_invites
from langtutor.accounts.schemas import UserCreate
from langtutor.accounts.service import create_user
from langtutor.cli_quarantine import quarantine_app
from langtutor.cli_report import report_app
from langtutor.config import get_settings
from langtutor.db import create_engine, create_sessionmaker, session_scope
from langtutor.enums import ContentType
from langtutor.errors import AppError, NotFound
from langtutor.generation.instructions import LearnerContext, load_instructions
from langtutor.generation.providers import create_provider
from langtutor.generation.service import Generated, ask_model
from langtutor.jobs import LearnerFit, fit_learner
from langtutor.languages import normalize_language, normalize_level
from langtutor.migrations import alembic_config
from langtutor.review.optimizer import NotEnoughReviews

app = typer.Typer(
    help="langtutor: a self-hostable AI language-learning assistant.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
review_app = typer.Typer(help="Spaced repetition.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(review_app, name="review")
invite_app = typer.Typer(help="Sign-up invitations.", no_args_is_help=True)
app.add_typer(invite_app, name="invite")
app.add_typer(report_app, name="report")
activity_app = typer.Typer(help="The activity log.", no_args_is_help=True)
app.add_typer(activity_app, name="activity")
activity_app.add_typer(quarantine_app, name="quarantine")
console = Console()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the web app and the JSON API."""
    if workers > 1:
        # Each worker writes its metrics to files there; /metrics adds them all up. Set
        # before uvicorn starts the workers, which import prometheus-client afresh.
        folder = get_settings().data_dir / "metrics"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        os.environ[metrics.MULTIPROCESS_DIR] = str(folder)
    uvicorn.run(
        "langtutor.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=30,
        # A worker starting on a busy machine can take longer than uvicorn's 5 s to answer its
        # supervisor, which then kills it and starts another, again and again (seen on a
        # 2-core box under test load).
        timeout_worker_healthcheck=30,
    )


@app.command("generate")
def generate_command(
    kind: ContentType = typer.Argument(..., help="flashcards, exercises or simulation"),
    query: str = typer.Argument(..., help="The topic, e.g. 'ordering tapas'."),
    target: str = typer.Option(..., "--target", "-t", help="Target language, e.g. es or Spanish."),
    base: str = typer.Option("en", "--base", "-b", help="Base language."),
    level: str = typer.Option("A2", "--level", "-l", help="CEFR level A1–C2."),
    count: int = typer.Option(5, "--count", "-n", min=1, max=50, help="Cards or exercises."),
    as_json: bool = typer.Option(False, "--json", help="Print the raw JSON content."),
) -> None:
    """Generate content with the configured model and print it (handy for prompt tuning)."""
    try:
        learner = LearnerContext(
            target_language=normalize_language(target),
            base_language=normalize_language(base),
            level=normalize_level(level),
            count=None if kind is ContentType.simulation else count,
        )
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    try:
        generated = asyncio.run(_generate(kind, query, learner))
    except AppError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        console.print_json(data=generated.content)
    else:
        render_content(kind, generated.content)
    console.print(
        f"[dim]{generated.model}, {generated.latency_ms} ms, {generated.attempts} call(s), "
        f"tokens in/out {generated.input_tokens}/{generated.output_tokens}[/dim]"
    )


async def _generate(kind: ContentType, query: str, learner: LearnerContext) -> Generated:
    settings = get_settings()
    provider = create_provider(settings)
    try:
        return await ask_model(
            provider=provider,
            instructions=load_instructions(settings)[kind],
            kind=kind,
            learner=learner,
            query=query,
        )
    finally:
        if provider is not None:
            await provider.aclose()


def render_content(kind: ContentType, content: dict[str, Any]) -> None:
    if kind is ContentType.flashcards:
        table = Table("front", "back", "example", "translation", "notes", title="Flashcards")
        for card in content["cards"]:
            table.add_row(
                card["front"],
                card["back"],
                card.get("example") or "",
                card.get("example_translation") or "",
                card.get("notes") or "",
            )
        console.print(table)
    elif kind is ContentType.exercises:
        table = Table("#", "type", "prompt", "options", "answer", title="Exercises")
        for number, exercise in enumerate(content["exercises"], 1):
            table.add_row(
                str(number),
                exercise["type"],
                exercise["prompt"],
                " / ".join(exercise.get("options") or []),
                exercise["answer"],
            )
        console.print(table)
    else:
        console.print(f"[bold]{content['title']}[/bold]\n{content['scenario']}\n")
        roles = Table("role", "description", title="Roles")
        for role in content["roles"]:
            roles.add_row(role["name"], role["description"])
        dialogue = Table("speaker", "line", "translation", title="Dialogue")
        for line in content["dialogue"]:
            dialogue.add_row(line["speaker"], line["text"], line["translation"])
        vocabulary = Table("term", "translation", title="Vocabulary")
        for item in content["vocabulary"]:
            vocabulary.add_row(item["term"], item["translation"])
        questions = Table("question", "answer", title="Questions")
        for question in content["questions"]:
            questions.add_row(question["question"], question["answer"])
        for table in (roles, dialogue, vocabulary, questions):
            console.print(table)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the migrations to the configured database."""
    command.upgrade(alembic_config(), revision)
    console.print(f"[green]database at {revision}[/green]")


@user_app.command("create")
def user_create(
    username: str = typer.Argument(..., help="3–50 letters of any script, digits, _ . -"),
    email: str | None = typer.Option(None, help="Optional email."),
    target: str | None = typer.Option(None, help="Default target language."),
    base: str | None = typer.Option(None, help="Default base language."),
    level: str | None = typer.Option(None, help="CEFR level A1–C2."),
    password: str | None = typer.Option(
        None, envvar="LANGTUTOR_NEW_PASSWORD", help="Password (asked for when omitted)."
    ),
    admin: bool = typer.Option(False, "--admin", help="Make the account an operator."),
) -> None:
    """Create a user account (whatever LANGTUTOR_REGISTRATION says)."""
    if password is None:
        password = getpass.getpass("Password: ")
    if level is not None:  # "b2" or "beginner" at a prompt: the API takes the listed forms
        with contextlib.suppress(ValueError):
            level = normalize_level(level).value
    try:
        data = UserCreate(
            username=username,
            password=password,
            email=email,
            default_target_language=target,
            default_base_language=base,
            self_assessed_level=level,
        )
    except ValidationError as error:
        for problem in error.errors():
            console.print(f"[red]{'.'.join(map(str, problem['loc']))}: {problem['msg']}[/red]")
        raise typer.Exit(2) from None
    try:
        user_id = asyncio.run(_create_user(data, admin=admin))
    except AppError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    role = "operator" if admin else "user"
    console.print(f"[green]created {role} {username!r} (id {user_id})[/green]")


async def _create_user(data: UserCreate, *, admin: bool) -> int:
    engine = create_engine(get_settings().DATABASE_URL)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            user = await create_user(session=session, data=data, admin=admin)
        return user.user_id
    finally:
        await engine.dispose()


@invite_app.command("create")
def invite_create(
    count: int = typer.Option(1, min=1, max=1000, help="How many codes."),
    days: int | None = typer.Option(
        None, min=1, help="Valid for this many days (default: until revoked)."
    ),
    uses: int = typer.Option(1, min=1, max=1000, help="Sign-ups each code is good for."),
) -> None:
    """Make sign-up codes, for the sign-up policy `invite`; each is shown once. The console
    (/app/admin/invites) lists and revokes them."""
    codes, policy = asyncio.run(_create_invites(count, days, uses))
    if policy != "invite":
        console.print(
            f"[yellow]sign-up is {policy!r} on this server: these codes work once it is "
            "'invite' (LANGTUTOR_REGISTRATION, or the console's sign-up page)[/yellow]"
        )
    for code in codes:
        console.print(code)


async def _create_invites(count: int, days: int | None, uses: int) -> tuple[list[str], str]:
    settings = get_settings()
    engine = create_engine(settings.DATABASE_URL)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            codes = await create_invites(
                session=session,
                count=count,
                secret_key=settings.SECRET_KEY,
                valid_days=days,
                uses=uses,
            )
            return codes, await Registration.of(settings).in_force(session)
    finally:
        await engine.dispose()


@review_app.command("optimize")
def review_optimize(
    user: str | None = typer.Option(None, "--user", help="One learner (default: every learner)."),
) -> None:
    """Fit FSRS parameters to each learner's own review log; keep them only when they predict
    that log better (log loss before and after is printed)."""
    try:
        fits = asyncio.run(_optimize(user))
    except AppError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    for fit in fits:
        verdict = "kept" if fit.kept else "not better: current parameters kept"
        console.print(
            f"{fit.username}: {fit.fit.reviews} reviews, log loss {fit.fit.log_loss_before:.4f} "
            f"-> {fit.fit.log_loss_after:.4f} ({verdict})"
        )


async def _optimize(username: str | None) -> list[LearnerFit]:
    engine = create_engine(get_settings().DATABASE_URL)
    sessions = create_sessionmaker(engine)
    try:
        async with session_scope(sessions) as session:
            learners = await fsrs_fits(session=session, username=username)
        if username is not None and not learners:
            raise NotFound(f"no learner named {username!r}")
        fitted = []
        for learner in learners:
            try:
                async with session_scope(sessions) as session:
                    fitted.append(await fit_learner(session=session, fit=learner))
            except NotEnoughReviews as error:
                if username is not None:
                    raise
                console.print(f"[yellow]{learner.username}: {error.detail}[/yellow]")
        return fitted
    finally:
        await engine.dispose()


@activity_app.command("archive")
def activity_archive(
    before: datetime = typer.Option(
        ...,
        "--before",
        formats=["%Y-%m-%d"],
        help="Archive the entries older than this day (00:00 UTC); today at the latest.",
    ),
    to: Path | None = typer.Option(
        None,
        "--to",
        help="The compressed JSON Lines file to write (default: a new file under "
        "DATA_DIR/archive); never overwritten.",
        dir_okay=False,
    ),
) -> None:
    """Move older activity-log entries into a compressed JSON Lines file (one entry per line,
    every column). Progress, streaks and the quality report keep counting them (per-day
    summaries stay in the database); the activity listing and practice by generation id no
    longer find them."""
    try:
        result = asyncio.run(_archive(before.date(), to))
    except archive.ArchiveError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    if result.path is None:
        typer.echo(f"nothing to archive before {result.before}")
        return
    dropped = ", ".join(result.dropped_partitions) or "none"
    typer.echo(
        f"{result.entries} entries before {result.before} archived to {result.path}: "
        f"{result.learner_days} learner days and {result.quality_days} quality days kept "
        f"as summaries; partitions dropped: {dropped}"
    )


async def _archive(before: date, to: Path | None) -> archive.ArchiveResult:
    settings = get_settings()
    engine = create_engine(settings.DATABASE_URL)
    try:
        return await archive.archive(engine, before=before, to=to, data_dir=settings.data_dir)
    finally:
        await engine.dispose()
