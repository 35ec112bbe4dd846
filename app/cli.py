"""The `dyad` command: serve, migrate, seed and manage API keys."""

import sys
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, func, select

from app.core.db import create_db_engine
from app.core.errors import DyadError
from app.core.migrate import upgrade
from app.core.settings import Settings, describe_error, get_settings
from app.keys import service as keys
from app.keys.models import Scope

app = typer.Typer(
    help="Dyad: dated events between countries, backed by sources, served as an HTTP API.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    """The settings, or exit with one line that names the bad setting."""
    try:
        return get_settings()
    except ValidationError as error:
        err.print(f"[red]error:[/red] {describe_error(error)}", highlight=False)
        raise typer.Exit(2) from None


def _migrate(settings: Settings) -> bool:
    engine = create_db_engine(settings.database_url)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision (Alembic)."""
    settings = _settings()
    changed = _migrate(settings)
    err.print("migrated to the newest revision" if changed else "schema already up to date")


@app.command()
def seed(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load only into a database without events.")
    ] = False,
) -> None:
    """Load the events of `seed/` (idempotent: a second run changes nothing)."""
    from app.events.models import Event
    from app.seed import load_seed

    settings = _settings()
    _migrate(settings)
    engine = create_db_engine(settings.database_url)
    with Session(engine) as session:
        if if_empty and session.exec(select(func.count()).select_from(Event)).one() > 0:
            err.print("the database has events already: seed not loaded")
            return
        report = load_seed(session)
        session.commit()
    engine.dispose()
    err.print(
        f"seed loaded: {report.created} created, {report.unchanged} already present"
        " (events, actors and sources)"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Migrate the database if needed, then serve the API with uvicorn."""
    import uvicorn

    settings = _settings()
    _migrate(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        proxy_headers=True,
    )


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    scope: Annotated[Scope, typer.Option(help="read, write or admin.")] = Scope.read,
) -> None:
    """Make a key and print it once; its last line is the key alone."""
    settings = _settings()
    _migrate(settings)
    engine = create_db_engine(settings.database_url)
    with Session(engine) as session:
        record, key = keys.create_key(session, name, scope)
        session.commit()
        err.print(f"created {record.scope} key {record.prefix!r} for {record.name!r}.")
    engine.dispose()
    err.print("Store it now: it is shown only once.")
    print(key)


@keys_app.command("list")
def keys_list() -> None:
    """List keys: prefix, name, scope, when made, last used and revoked."""
    settings = _settings()
    engine = create_db_engine(settings.database_url)
    with Session(engine) as session:
        table = Table("prefix", "name", "scope", "created", "last used", "revoked")
        for record in keys.list_keys(session):
            table.add_row(
                record.prefix,
                record.name,
                record.scope,
                f"{record.created_at:%Y-%m-%d %H:%M}",
                f"{record.last_used_at:%Y-%m-%d %H:%M}" if record.last_used_at else "-",
                f"{record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "-",
            )
    engine.dispose()
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's 8-character prefix.")],
) -> None:
    """Revoke a key: it is refused from then on."""
    settings = _settings()
    engine = create_db_engine(settings.database_url)
    with Session(engine) as session:
        try:
            record = keys.revoke_key(session, prefix)
        except DyadError as error:
            err.print(f"[red]error:[/red] {error.detail}", highlight=False)
            raise typer.Exit(1) from None
        session.commit()
        err.print(f"revoked key {record.prefix!r} ({record.name})")
    engine.dispose()


def main() -> None:
    sys.exit(app())
