"""The `langtutor` command."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path

import typer
import uvicorn
from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from rich.console import Console

from langtutor.accounts.schemas import UserCreate
from langtutor.accounts.service import create_user
from langtutor.config import get_settings
from langtutor.db import create_engine, create_sessionmaker, session_scope
from langtutor.errors import AppError

app = typer.Typer(
    help="langtutor: a self-hostable AI language-learning assistant.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
console = Console()


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url or get_settings().DATABASE_URL)
    return config


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Serve the web app and the JSON API."""
    uvicorn.run(
        "langtutor.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=30,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the migrations to the configured database."""
    command.upgrade(alembic_config(), revision)
    console.print(f"[green]database at {revision}[/green]")


@user_app.command("create")
def user_create(
    username: str = typer.Argument(..., help="3–50 letters, digits, _ . -"),
    email: str | None = typer.Option(None, help="Optional email."),
    target: str | None = typer.Option(None, help="Default target language."),
    base: str | None = typer.Option(None, help="Default base language."),
    level: str | None = typer.Option(None, help="CEFR level A1–C2."),
    password: str | None = typer.Option(
        None, envvar="LANGTUTOR_NEW_PASSWORD", help="Password (asked for when omitted)."
    ),
) -> None:
    """Create a user account."""
    if password is None:
        password = getpass.getpass("Password: ")
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
        user_id = asyncio.run(_create_user(data))
    except AppError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]created user {username!r} (id {user_id})[/green]")


async def _create_user(data: UserCreate) -> int:
    engine = create_engine(get_settings().DATABASE_URL)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            user = await create_user(session=session, data=data)
        return user.user_id
    finally:
        await engine.dispose()
