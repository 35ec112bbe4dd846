"""The `dyad` command: serve, migrate, seed, import, fetch, export and manage API keys."""

import os
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, func, select

from app.core import logs
from app.core.db import create_db_engine
from app.core.errors import DyadError
from app.core.migrate import upgrade
from app.core.settings import Settings, describe_error, get_settings
from app.datasets.service import DatasetFormat
from app.events.formats import ExportFormat
from app.imports.service import Mode
from app.keys import service as keys
from app.keys.models import Scope

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from app.datasets.fetch import Listed
    from app.datasets.service import DatasetReport


app = typer.Typer(
    help="Dyad: dated events between countries, backed by sources, served as an HTTP API.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
fetch_app = typer.Typer(help="Fetch a public dataset's files.", no_args_is_help=True)
app.add_typer(fetch_app, name="fetch")
T = TypeVar("T")
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
    import shutil
    import tempfile

    import uvicorn
    from rich.markup import escape

    settings = _settings()
    # Several workers add up their /metrics through files in one directory (prometheus-client's
    # multiprocess mode): a new one at each start, so that no stale count survives, set before
    # the workers start and import prometheus_client. One the operator set is theirs to wipe.
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given is not None and not os.path.isdir(given):
        err.print(
            f"[red]error:[/red] PROMETHEUS_MULTIPROC_DIR is not a directory: {escape(given)}",
            highlight=False,
        )
        raise typer.Exit(2)
    _migrate(settings)
    metrics_dir = None
    if workers > 1 and given is None:
        metrics_dir = tempfile.mkdtemp(prefix="dyad-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level,
            log_config=logs.config(settings.log_level),
            access_log=False,  # Dyad's own access log has the request id
            proxy_headers=True,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@app.command()
def export(
    export_format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="csv, ndjson, ics or timelinejs.")
    ],
    q: Annotated[
        str | None,
        typer.Option(
            "--q", help='Full text over titles, summaries and quotes: words, "a phrase", -word.'
        ),
    ] = None,
    country: Annotated[
        list[str] | None,
        typer.Option(help="Events involving this country (alpha-2 or alpha-3); repeatable."),
    ] = None,
    dyad: Annotated[
        str | None, typer.Option(help="Events involving both countries: AZE-IRN.")
    ] = None,
    actor: Annotated[list[str] | None, typer.Option(help="Actor id; repeatable.")] = None,
    event_type: Annotated[
        list[str] | None,
        typer.Option("--type", help="PLOVER event type (e.g. reject); repeatable."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Tag; repeatable.")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Cited source id; repeatable.")] = None,
    publisher: Annotated[
        list[str] | None, typer.Option(help="Publisher of a cited source; repeatable.")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="unsourced, reported or disputed; repeatable.")
    ] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Events that end on or after this EDTF date.")
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="Events that begin on or before the end of this EDTF date.")
    ] = None,
    tone_min: Annotated[str | None, typer.Option(help="Lowest tone (-10 to 10).")] = None,
    tone_max: Annotated[str | None, typer.Option(help="Highest tone (-10 to 10).")] = None,
    updated_since: Annotated[
        str | None, typer.Option(help="Events changed at or after this RFC 3339 time.")
    ] = None,
    sort: Annotated[str | None, typer.Option(help="date (default), -date or -updated.")] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="The API's public address (https://…), to link each event in ics."),
    ] = None,
) -> None:
    """Stream every matching event to standard output (the filters of GET /v1/events)."""
    from sqlalchemy.exc import OperationalError

    from app.events import formats, service
    from app.events.filters import EventQuery

    given = {
        "q": q,
        "country": country,
        "dyad": dyad,
        "actor": actor,
        "type": event_type,
        "tag": tag,
        "source": source,
        "publisher": publisher,
        "status": status,
        "from": from_,
        "to": to,
        "tone_min": tone_min,
        "tone_max": tone_max,
        "updated_since": updated_since,
        "sort": sort,
    }
    try:
        query = EventQuery.model_validate({k: v for k, v in given.items() if v not in (None, [])})
    except ValidationError as error:
        err.print(f"[red]error:[/red] {_describe_options(error)}", highlight=False)
        raise typer.Exit(2) from None
    settings = _settings()
    chosen = formats.EXPORTS[export_format]
    context = formats.ExportContext(
        events_url=f"{base_url.rstrip('/')}/v1/events" if base_url else None
    )
    out = typer.get_binary_stream("stdout")
    engine = create_db_engine(settings.database_url)
    try:
        with Session(engine) as session:
            events = formats.started(chosen.items(session, query))
            with _progress(err.is_terminal) as progress:
                if not progress.disable:
                    task = progress.add_task(
                        "exporting", total=service.count_events(session, query)
                    )
                    events = _counted(events, progress, task)
                for chunk in chosen.write(events, context):
                    out.write(chunk)
                    out.flush()
    except BrokenPipeError:
        # The reader left early (`dyad export … | head`): stop quietly, as Unix tools do.
        _silence_stdout()
        raise typer.Exit(1) from None
    except OperationalError as error:
        err.print(
            f"[red]error:[/red] cannot read events ({error.orig}); has `dyad migrate` run?",
            highlight=False,
        )
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _describe_options(error: ValidationError) -> str:
    """Validation errors of export's options, on one line, each named as its option."""
    parts = []
    for item in error.errors():
        name = str(item["loc"][0]).removesuffix("_") if item["loc"] else "options"
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"--{name.replace('_', '-')}: {message}")
    return "; ".join(parts)


def _progress(shown: bool) -> "Progress":
    """A progress bar on stderr when it is a terminal; nothing in pipes, files and tests."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not shown,
    )


def _counted(items: Iterable[T], progress: "Progress", task: "TaskID") -> Iterator[T]:
    for item in items:
        yield item
        progress.advance(task)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that exiting does not fail to flush into a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@app.command("import")
def import_files(
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            help="JSON, NDJSON (.ndjson, .jsonl) or CSV; with --format, a dataset's files, "
            ".zip or .gz archives of them, or folders.",
        ),
    ],
    dataset: Annotated[
        DatasetFormat | None,
        typer.Option(
            "--format",
            help="Read the files as a public dataset: gdelt, gdelt-mentions, polecat, icews "
            "or acled (see the README's 'Loading public datasets').",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="With --format: a row that makes no event aborts the file."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count, but keep nothing.")
    ] = False,
    mode: Annotated[
        Mode, typer.Option(help="upsert: create or update; create: new events only.")
    ] = Mode.upsert,
    key_name: Annotated[
        str, typer.Option("--as", help="The name its revisions record as the writer.")
    ] = "import",
) -> None:
    """Load events from files, all or nothing per file (the same rules as POST /v1/imports)."""
    from app.core.db import begin_write, refresh_statistics, session_factory
    from app.imports import service as imports

    if dataset is not None:
        _import_datasets(dataset, files, strict=strict, dry_run=dry_run, key_name=key_name)
        return
    if folders := [str(path) for path in files if path.is_dir()]:
        err.print(
            f"[red]error:[/red] {', '.join(folders)}: a folder is read only with --format",
            highlight=False,
        )
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)
    engine = create_db_engine(settings.database_url, sqlite_cache_mb=256)
    failed = wrote = False
    try:
        for path in files:
            fmt = imports.format_of(path.name)
            with (
                path.open("rb") as stream,
                session_factory(engine)() as session,
                _progress(sys.stderr.isatty()) as bar,
            ):
                records = imports.read_records(stream, fmt)  # read as they are imported
                begin_write(session)
                task = bar.add_task(path.name, total=None)
                try:
                    report = imports.import_records(
                        session,
                        _counted(records, bar, task),
                        mode=mode,
                        key_name=key_name,
                    )
                except imports.InvalidRecords as error:
                    session.rollback()
                    failed = True
                    err.print(f"[red]{path}:[/red] {error.detail}", highlight=False)
                    for problem in error.extra["errors"]:
                        err.print(
                            f"  line {problem['line']}: {problem['problem']}", highlight=False
                        )
                    continue
                if dry_run:
                    session.rollback()
                else:
                    session.commit()
            verb = "would import" if dry_run else "imported"
            err.print(
                f"{path}: {verb} {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged"
            )
            wrote = wrote or (not dry_run and bool(report.created or report.updated))
        if wrote:
            refresh_statistics(engine)  # the planner's row counts are stale after a bulk load
    finally:
        engine.dispose()
    if failed:
        raise typer.Exit(1)


def _import_datasets(
    fmt: DatasetFormat, paths: list[Path], *, strict: bool, dry_run: bool, key_name: str
) -> None:
    """`dyad import --format …`: each path in its own transaction, then its report."""
    from app.core.db import begin_write, refresh_statistics, session_factory
    from app.datasets import service as datasets
    from app.datasets.rows import opened
    from app.imports.service import InvalidRecords

    settings = _settings()
    _migrate(settings)
    engine = create_db_engine(settings.database_url, sqlite_cache_mb=256)
    failed = wrote = False
    try:
        for path in paths:
            with session_factory(engine)() as session, _progress(sys.stderr.isatty()) as bar:
                begin_write(session)
                task = bar.add_task(path.name, total=None)
                try:
                    report = datasets.import_dataset(
                        session,
                        fmt,
                        opened([path], datasets.in_folders(fmt)),
                        strict=strict,
                        key_name=key_name,
                        on_row=None if bar.disable else partial(bar.advance, task),
                    )
                except (datasets.StrictStop, datasets.UnreadableFile, InvalidRecords) as error:
                    session.rollback()
                    failed = True
                    err.print(f"[red]{path}:[/red] {error.detail}", highlight=False)
                    for problem in error.extra.get("errors", []):
                        err.print(
                            f"  line {problem['line']}: {problem['problem']}", highlight=False
                        )
                    continue
                if dry_run:
                    session.rollback()
                else:
                    session.commit()
            _print_report(path, report, dry_run)
            wrote = wrote or (not dry_run and bool(report.created or report.updated))
        if wrote:
            refresh_statistics(engine)
    finally:
        engine.dispose()
    if failed:
        raise typer.Exit(1)


def _print_report(path: Path, report: "DatasetReport", dry_run: bool) -> None:
    verb = "would import" if dry_run else "imported"
    err.print(
        f"{path}: {report.rows} rows read; {verb} {report.created} created, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.deleted} deleted; "
        f"{sum(report.skipped.values())} skipped",
        highlight=False,
    )
    for reason, count in sorted(report.skipped.items(), key=lambda item: -item[1]):
        err.print(f"  skipped, {reason}: {count}", highlight=False)
    for problem in report.unparsable:
        err.print(
            f"  {problem['file']}, line {problem['line']}: {problem['problem']}", highlight=False
        )


@fetch_app.command("gdelt")
def fetch_gdelt(
    day: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="The day: YYYY-MM-DD.")
    ],
    folder: Annotated[
        Path | None,
        typer.Option("--to", help="Where to put the files (default: gdelt/YYYY-MM-DD)."),
    ] = None,
    mentions: Annotated[
        bool, typer.Option(help="Fetch the mentions files too (every article on an event).")
    ] = True,
    then_import: Annotated[
        bool, typer.Option("--import", help="Then import them: exports, then mentions.")
    ] = False,
    base_url: Annotated[
        str, typer.Option(help="Where GDELT 2.0 lists its files (masterfilelist.txt).")
    ] = "http://data.gdeltproject.org/gdeltv2/",
) -> None:
    """Fetch a day of GDELT 2.0 (96 export files, and their mentions) from GDELT's master
    file list, checked against its MD5s; files already whole are not fetched again."""
    from app.datasets.fetch import FetchError, fetch_day

    target = folder or Path("gdelt") / f"{day:%Y-%m-%d}"
    kinds = ("export", "mentions") if mentions else ("export",)

    def report(listed: "Listed", fetched: bool) -> None:
        err.print(f"{'fetched' if fetched else 'already here'}: {listed.name}", highlight=False)

    try:
        paths = fetch_day(day.date(), target, base_url=base_url, kinds=kinds, on_file=report)
    except (FetchError, httpx.HTTPError) as error:
        err.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None
    if not paths:
        err.print(f"GDELT lists no files for {day:%Y-%m-%d}", highlight=False)
        raise typer.Exit(1)
    err.print(f"{len(paths)} files in {target}", highlight=False)
    if then_import:
        for fmt in (DatasetFormat.gdelt, DatasetFormat.gdelt_mentions)[: len(kinds)]:
            _import_datasets(fmt, [target], strict=False, dry_run=False, key_name="import")
    else:
        err.print(
            f"next: dyad import --format gdelt {target} && "
            f"dyad import --format gdelt-mentions {target}",
            highlight=False,
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
