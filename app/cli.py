"""The `dyad` command: serve, migrate, seed, import, fetch, export and manage API keys."""

import functools
import gc
import inspect
import logging.config
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast, get_origin

import httpx
import typer
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, func, select
from typer.core import TyperArgument, TyperCommand, TyperGroup

from app.core import logs
from app.core.db import begin_write, create_db_engine
from app.core.errors import DyadError
from app.core.migrate import upgrade
from app.core.settings import Settings, describe_error, get_settings
from app.datasets.models import DatasetFormat
from app.events.filters import Format
from app.imports.models import Mode
from app.keys import service as keys
from app.keys.models import Scope

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from app.datasets.fetch import Listed
    from app.datasets.service import DatasetReport


class _HelpFlag:
    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.metavar = ""  # a flag: no `<bool>` beside it
        return option


class PlainHelp(_HelpFlag, TyperCommand):
    """Help in plain words: `FILE...` and a flag alone, where typer shows Python types
    (`{files}...`, `<list[Path]>`, `<bool>`). Options name their value with `metavar`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):  # its metavar says it: no type beside it
                setattr(param, "display_type_rich", lambda ctx: None)  # noqa: B010

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        arguments = [p.metavar or p.name or "" for p in self.params if isinstance(p, TyperArgument)]
        return [self.options_metavar or "[OPTIONS]", *arguments]


class PlainGroup(_HelpFlag, TyperGroup):
    """`dyad --help` and `dyad keys --help` in the same plain words."""


app = typer.Typer(
    cls=PlainGroup,
    help="Dyad: dated events between countries, backed by sources, served as an HTTP API.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(
    cls=PlainGroup, help="Create, list and revoke API keys.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")
fetch_app = typer.Typer(
    cls=PlainGroup, help="Fetch a public dataset's files.", no_args_is_help=True
)
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


@app.command(cls=PlainHelp)
def migrate() -> None:
    """Bring the database schema to the newest revision (Alembic)."""
    settings = _settings()
    changed = _migrate(settings)
    err.print("migrated to the newest revision" if changed else "schema already up to date")


@app.command(cls=PlainHelp)
def seed(
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", metavar="", help="Load only into a database without events."),
    ] = False,
) -> None:
    """Load the events of `seed/` (idempotent: a second run changes nothing)."""
    from app.events.models import Event
    from app.seed import load_seed

    settings = _settings()
    _migrate(settings)
    engine = create_db_engine(settings.database_url)
    with Session(engine) as session:
        # As the one writer: two seeds at once load in turn, and --if-empty sees the other's.
        begin_write(session)
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


@app.command(cls=PlainHelp)
def serve(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Worker processes (1 or more); by default one per core this process may use.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Migrate the database if needed, then serve the API with uvicorn."""
    import tempfile

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
    _migrate(settings)  # here, once, before any worker starts
    workers = workers or default_workers()
    json_lines = logs.wants_json(settings.log_format, sys.stderr)
    logging.config.dictConfig(logs.config(settings.log_level, json_lines=json_lines))
    plural = "es" if workers > 1 else ""
    logging.getLogger("dyad.serve").info(
        "serving with %d worker process%s; %s", workers, plural, _limits(settings, workers)
    )
    # -P: the installed app, never a folder named `app` in the working directory.
    command = [sys.executable, "-P", "-m", "app.server", "--host", host, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", settings.log_level]
    command += ["--log-format", "json" if json_lines else "plain"]
    if workers > 1 and given is None:
        metrics_dir = tempfile.mkdtemp(prefix="dyad-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        command += ["--remove-at-exit", metrics_dir]
    # The server is a program of its own (app.server), in this process's place: what the
    # command line imported (typer, rich, alembic, ...) would stay in memory for as long as it
    # serves, and in every worker, which imports its parent's main module.
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)


def default_workers() -> int:
    """One worker per core this process may run on (Python runs one thread at a time)."""
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores allowed, not all the machine's
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _limits(settings: Settings, workers: int) -> str:
    """Where rate limits are counted, for the start-up line."""
    if settings.rate_limit is None:
        return "no rate limit"
    if settings.redis_url:
        return f"rate limit {settings.rate_limit}, shared through Redis"
    if workers == 1:
        return f"rate limit {settings.rate_limit}, counted in memory"
    return (
        f"rate limit {settings.rate_limit} counted in each worker's memory, so up to"
        f" {workers} times that in all: set DYAD_REDIS_URL to share one budget"
    )


def _with_query_options(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with an option for each parameter of GET /v1/events that a stream takes (its
    filters, `sort` and `bom`), declared once, in EventQuery: its name, its help, whether it
    repeats. The options given reach `command` as `params`, named as in the query string."""
    from app.events.filters import EventFilter, EventQuery

    names = [*EventFilter.model_fields, "sort", "bom"]
    fields = {name: EventQuery.model_fields[name] for name in names}

    def option(name: str, field: FieldInfo) -> inspect.Parameter:
        flag = "--" + (field.alias or name).replace("_", "-")
        kind: Any = str | None
        default: Any = None
        if field.annotation is bool:
            kind, default = bool, False
        elif get_origin(field.annotation) is list:
            kind = list[str] | None
        # Plain words for the value (COUNTRY, FROM), nothing beside a flag.
        metavar = "" if kind is bool else flag.removeprefix("--").upper()
        info = typer.Option(flag, metavar=metavar, help=field.description, show_default=False)
        return inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, info]
        )

    @functools.wraps(command)
    def with_options(**given: Any) -> None:
        params = {
            fields[name].alias or name: value
            for name in names
            if (value := given.pop(name)) not in (None, [], False)
        }
        command(**given, params=params)

    own = [p for p in inspect.signature(command).parameters.values() if p.name != "params"]
    signature = [*own, *(option(name, field) for name, field in fields.items())]
    with_options.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    with_options.__annotations__ = {p.name: p.annotation for p in signature}
    return with_options


@app.command(cls=PlainHelp)
@_with_query_options
def export(
    export_format: Annotated[
        Format,
        typer.Option(
            "--format", "-f", metavar="csv|ndjson|ics|timelinejs", help="The format to write."
        ),
    ],
    base_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL", help="The API's public address (https://…), to link each event in ics."
        ),
    ] = None,
    *,
    params: dict[str, Any],
) -> None:
    """Stream every matching event to standard output (the filters of GET /v1/events)."""
    from sqlalchemy.exc import OperationalError

    from app.events import formats, service
    from app.events.filters import EventQuery

    try:
        query = EventQuery.model_validate(params)
    except ValidationError as error:
        err.print(f"[red]error:[/red] {_describe_options(error)}", highlight=False)
        raise typer.Exit(2) from None
    settings = _settings()
    chosen = formats.EXPORTS.get(export_format)
    if chosen is None:  # json: the API's pages, not a stream
        err.print(
            "[red]error:[/red] --format: choose csv, ndjson, ics or timelinejs", highlight=False
        )
        raise typer.Exit(2)
    context = formats.ExportContext(
        events_url=f"{base_url.rstrip('/')}/v1/events" if base_url else None, bom=query.bom
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


@app.command("import", cls=PlainHelp)
def import_files(
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            metavar="PATH...",
            help="JSON, NDJSON (.ndjson, .jsonl) or CSV; with --format, a dataset's files, "
            ".zip or .gz archives of them, or folders.",
        ),
    ],
    dataset: Annotated[
        DatasetFormat | None,
        typer.Option(
            "--format",
            metavar="gdelt|gdelt-mentions|polecat|icews|acled",
            help="Read the files as a public dataset: gdelt, gdelt-mentions, polecat, icews "
            "or acled (see the README's 'Loading public datasets').",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", metavar="", help="With --format: a row that makes no event aborts the file."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", metavar="", help="Check and count, but keep nothing.")
    ] = False,
    mode: Annotated[
        Mode,
        typer.Option(
            metavar="upsert|create", help="upsert: create or update; create: new events only."
        ),
    ] = Mode.upsert,
    key_name: Annotated[
        str,
        typer.Option("--as", metavar="NAME", help="The name its revisions record as the writer."),
    ] = "import",
) -> None:
    """Load events from files, all or nothing per file (the same rules as POST /v1/imports)."""
    if dataset is not None:
        _import_datasets(dataset, files, strict=strict, dry_run=dry_run, key_name=key_name)
        return
    if folders := [str(path) for path in files if path.is_dir()]:
        err.print(
            f"[red]error:[/red] {', '.join(folders)}: a folder is read only with --format",
            highlight=False,
        )
        raise typer.Exit(2)
    from app.imports import service as imports

    def run(session: Session, path: Path, bar: "Progress", task: "TaskID") -> Any:
        with path.open("rb") as stream:
            records = imports.read_records(stream, imports.format_of(path.name))
            return imports.import_records(
                session, _counted(records, bar, task), mode=mode, key_name=key_name
            )

    def show(path: Path, report: Any, dry_run: bool) -> None:
        verb = "would import" if dry_run else "imported"
        err.print(
            f"{path}: {verb} {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )

    _import_each(files, run, show, dry_run=dry_run)


def _import_each(
    paths: list[Path],
    run: Callable[[Session, Path, "Progress", "TaskID"], Any],
    show: Callable[[Path, Any, bool], None],
    *,
    dry_run: bool,
) -> None:
    """Each path imported by `run` in a write transaction of its own, kept unless `dry_run`,
    with a progress bar on a terminal, then shown. A refused file is named with its problems
    and the others go on; the command then fails."""
    from app.core.db import begin_write, refresh_statistics, session_factory

    settings = _settings()
    _migrate(settings)
    engine = create_db_engine(settings.database_url, sqlite_cache_mb=256)
    # The collector would walk every object of the modules loaded, again and again, as an
    # import makes and drops its records: a fifth of its time. Set those aside.
    gc.freeze()
    failed = wrote = False
    try:
        for path in paths:
            with session_factory(engine)() as session, _progress(sys.stderr.isatty()) as bar:
                begin_write(session)
                task = bar.add_task(path.name, total=None)
                try:
                    report = run(session, path, bar, task)
                except DyadError as error:
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
            show(path, report, dry_run)
            wrote = wrote or (not dry_run and bool(report.created or report.updated))
        if wrote:
            refresh_statistics(engine)  # the planner's row counts are stale after a bulk load
    finally:
        engine.dispose()
    if failed:
        raise typer.Exit(1)


@app.command(cls=PlainHelp)
def backup(
    file: Annotated[
        Path,
        typer.Argument(
            dir_okay=False, metavar="FILE", help="The file to write (NDJSON; .gz compresses)."
        ),
    ],
) -> None:
    """Write everything readers can see to FILE: events (deleted ones too), their history,
    actors and sources. `dyad restore FILE` loads it into an empty database."""
    from app.backups.service import write_backup

    settings = _settings()
    engine = create_db_engine(settings.database_url)
    try:
        # One snapshot: on PostgreSQL a repeatable read, on SQLite one read transaction.
        options = {} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
        with (
            engine.connect().execution_options(**options) as connection,
            connection.begin(),
            _open_backup(file, "wb") as out,
        ):
            counts = write_backup(connection, out)
    finally:
        engine.dispose()
    err.print(f"{file}: backed up " + _counted_rows(counts))


@app.command(cls=PlainHelp)
def restore(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, metavar="FILE", help="A file of `dyad backup`."
        ),
    ],
) -> None:
    """Load a backup into an empty database (migrated first): all of it, or nothing."""
    from sqlalchemy.exc import IntegrityError

    from app.backups.service import BackupError, restore_backup
    from app.core.db import WRITE_TRANSACTION, refresh_statistics

    settings = _settings()
    _migrate(settings)
    engine = create_db_engine(settings.database_url, sqlite_cache_mb=256)
    try:
        with (
            engine.connect().execution_options(**WRITE_TRANSACTION) as connection,
            connection.begin(),
            _open_backup(file, "rb") as lines,
        ):
            counts = restore_backup(connection, lines)
        refresh_statistics(engine)
    except (BackupError, IntegrityError) as error:
        problem = error.orig if isinstance(error, IntegrityError) else error
        err.print(f"[red]{file}:[/red] {problem}: nothing was restored", highlight=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    err.print(f"{file}: restored " + _counted_rows(counts))


def _open_backup(path: Path, mode: Literal["rb", "wb"]) -> IO[bytes]:
    import gzip

    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, mode))
    return path.open(mode)


def _counted_rows(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {table}" for table, count in counts.items())


def _import_datasets(
    fmt: DatasetFormat, paths: list[Path], *, strict: bool, dry_run: bool, key_name: str
) -> None:
    """`dyad import --format …`: each path in its own transaction, then its report."""
    from app.datasets import service as datasets
    from app.datasets.rows import opened

    def run(session: Session, path: Path, bar: "Progress", task: "TaskID") -> Any:
        return datasets.import_dataset(
            session,
            fmt,
            opened([path], datasets.in_folders(fmt)),
            strict=strict,
            key_name=key_name,
            on_row=None if bar.disable else partial(bar.advance, task),
        )

    _import_each(paths, run, _print_report, dry_run=dry_run)


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


@fetch_app.command("gdelt", cls=PlainHelp)
def fetch_gdelt(
    day: Annotated[
        datetime,
        typer.Option(
            "--date", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="The day to fetch."
        ),
    ],
    folder: Annotated[
        Path | None,
        typer.Option(
            "--to", metavar="FOLDER", help="Where to put the files (default: gdelt/YYYY-MM-DD)."
        ),
    ] = None,
    mentions: Annotated[
        bool,
        typer.Option(metavar="", help="Fetch the mentions files too (every article on an event)."),
    ] = True,
    then_import: Annotated[
        bool,
        typer.Option("--import", metavar="", help="Then import them: exports, then mentions."),
    ] = False,
    base_url: Annotated[
        str,
        typer.Option(metavar="URL", help="Where GDELT 2.0 lists its files (masterfilelist.txt)."),
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


@keys_app.command("create", cls=PlainHelp)
def keys_create(
    name: Annotated[str, typer.Option(metavar="NAME", help="Who or what the key is for.")],
    scope: Annotated[
        Scope, typer.Option(metavar="read|write|admin", help="What it may do.")
    ] = Scope.read,
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


@keys_app.command("list", cls=PlainHelp)
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


@keys_app.command("revoke", cls=PlainHelp)
def keys_revoke(
    prefix: Annotated[str, typer.Argument(metavar="PREFIX", help="The key's 8-character prefix.")],
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
