"""The engine, the session dependency, and the few places where SQLite and PostgreSQL differ."""

import math
import select
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from anyio import CancelScope
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import (
    DateTime,
    Dialect,
    Engine,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, SQLModel

# Stable constraint names, so that Alembic migrations can name what they alter.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

# Ask for this execution option on a session's connection before its first statement to
# take SQLite's write lock up front (BEGIN IMMEDIATE): in WAL mode a transaction that
# reads and then writes would otherwise fail at once with "database is locked".
WRITE_TRANSACTION = {"dyad_write": True}


def table_of(model: Any) -> Table:
    """A table model's Core table: for statements that read or write rows, not objects."""
    table: Table = model.__table__
    return table


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def import_driver(url: str) -> None:
    """Import the SQLAlchemy dialect and the driver (psycopg: some 4 MB of Python objects) that
    an engine on `url` loads, making no engine and no connection: what `dyad serve` does
    before forking its workers, so that they share one copy."""
    make_url(url).get_dialect().import_dbapi()


def create_db_engine(
    url: str,
    *,
    statement_timeout: float | None = None,
    read_only: bool = False,
    sqlite_cache_mb: int | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine with Dyad's connection settings for SQLite or PostgreSQL.

    `statement_timeout` (seconds) cancels any one statement that runs longer: the API's
    engine has one; migrations, imports and exports from the command line do not.
    `read_only` makes every connection refuse writes (for a process serving a replica).
    `sqlite_cache_mb` enlarges SQLite's page cache (2 MB by default) for bulk loads, whose
    inserts land all over large indexes.
    """
    # orjson for JSON columns (revisions): several times faster than the json module.
    kwargs.setdefault("json_serializer", _json_text)
    if not is_sqlite(url):
        settings = []
        if statement_timeout:
            settings.append(f"-c statement_timeout={max(1, round(statement_timeout * 1000))}")
        if read_only:
            settings.append("-c default_transaction_read_only=on")
        options = {"options": " ".join(settings)} if settings else {}
        engine = create_engine(url, connect_args=options, **kwargs)
        event.listen(engine, "checkout", _checkout)
        return engine

    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    if statement_timeout:
        _limit_statements(engine, statement_timeout)
    in_memory = url in ("sqlite://", "sqlite:///:memory:")

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin
        # (SQLAlchemy's "serializable isolation / savepoints" recipe for pysqlite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Before WAL, which writes a new file's header: a page of 16 KiB holds several events'
        # stored documents (about 2 KiB each) where 4 KiB holds one. Existing files keep theirs.
        cursor.execute("PRAGMA page_size=16384")
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal" and not in_memory:
            raise RuntimeError(f"SQLite refused WAL mode (journal_mode is {mode!r})")
        # FULL: in WAL mode, NORMAL may lose the last commits on power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        if sqlite_cache_mb:
            cursor.execute(f"PRAGMA cache_size=-{sqlite_cache_mb * 1024}")  # in KiB when < 0
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("dyad_write", False)
        # Straight to the driver: through SQLAlchemy's execution, BEGIN cost a read a tenth
        # of its time in Python, for a statement SQLite runs in a microsecond.
        driver: Any = connection.connection.driver_connection
        driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection as it leaves the pool: alive, and transactional.

    Alive: an idle connection has nothing to read. Something to read means the server ended
    it and said so (a restart, pg_terminate_backend, an idle timeout) or closed the socket:
    the pool then opens a new connection in its place. A look at the socket, where the pool's
    pre-ping was a round trip to the server (a tenth of a small read's time).
    Transactional: a read's session may have left it in autocommit (read_session_factory).
    """
    idle = select.poll()
    idle.register(dbapi_connection.fileno(), select.POLLIN)
    if idle.poll(0):
        raise DisconnectionError("PostgreSQL ended this pooled connection")
    if dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _limit_statements(engine: Engine, seconds: float) -> None:
    """SQLite has no statement timeout: a progress handler interrupts a statement past its time."""

    @event.listens_for(engine, "connect")
    def _install(dbapi_connection: Any, record: Any) -> None:
        deadline = record.info["deadline"] = [math.inf]
        # Called every 10,000 virtual machine steps; a true result interrupts the statement.
        dbapi_connection.set_progress_handler(lambda: time.monotonic() > deadline[0], 10_000)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(connection: Connection, *_args: Any) -> None:
        connection.info["deadline"][0] = time.monotonic() + seconds


def is_statement_timeout(error: DBAPIError) -> bool:
    """Whether the database cancelled a statement for running too long."""
    original = error.orig
    if type(original).__name__ == "QueryCanceled":  # psycopg.errors.QueryCanceled
        return True
    return isinstance(original, sqlite3.OperationalError) and str(original) == "interrupted"


class _PerDialect(FunctionElement[str]):
    """A function written its own way on each database: `{}` in the template takes the
    arguments. The JSON aggregates give text on both, as SQLite's do: on PostgreSQL the
    driver would otherwise parse them into lists and dicts."""

    type = String()
    inherit_cache = True  # each subclass says so too: SQLAlchemy asks every class
    sqlite: str
    postgresql: str


class json_object_agg(_PerDialect):
    """The aggregate of (key, value) pairs as a JSON object: `{"reject": 3}`."""

    sqlite, postgresql = "json_group_object({})", "CAST(json_object_agg({}) AS TEXT)"
    inherit_cache = True


class json_array_agg(_PerDialect):
    """The aggregate of values as a JSON array, in the order the rows come."""

    sqlite, postgresql = "json_group_array({})", "CAST(json_agg({}) AS TEXT)"
    inherit_cache = True


class json_array(_PerDialect):
    """A JSON array of the arguments: one item of json_array_agg that has several values."""

    sqlite, postgresql = "json_array({})", "json_build_array({})"
    inherit_cache = True


class json_text_as_json(_PerDialect):
    """JSON text (such as json_object_agg's) as JSON, which json_array nests instead of
    quoting it as a string."""

    sqlite, postgresql = "json({})", "CAST({} AS json)"
    inherit_cache = True


class exact_real(_PerDialect):
    """A float that a JSON array keeps exactly. SQLite's JSON writes reals to 15 digits, so
    there it is text of 17, read back with float(); PostgreSQL's JSON keeps them as they are."""

    sqlite, postgresql = "printf('%!.17g', {})", "{}"
    inherit_cache = True


class utc_isoformat(_PerDialect):
    """A UTCDateTime as the text datetime.isoformat() gives of it in UTC: the date, `T`, the
    time (with microseconds unless they are 0), `+00:00`. SQLite holds the text
    `2026-12-07 21:21:28.278225` (SQLAlchemy's form), PostgreSQL a timestamptz."""

    sqlite = "replace(substr({}, 1, 10) || 'T' || substr({}, 12), '.000000', '') || '+00:00'"
    postgresql = (
        "replace(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
        " || '+00:00'"
    )
    inherit_cache = True


@compiles(_PerDialect, "sqlite")
@compiles(_PerDialect, "postgresql")
def _per_dialect(element: _PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    template: str = getattr(element, compiler.dialect.name)
    return template.replace("{}", compiler.process(element.clauses, **kw))


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows, each with the keys of the first, through the driver: SQLite's
    executemany, PostgreSQL's COPY. SQLAlchemy's executemany handles every parameter in
    Python (a fifth of an import's time); here only the column types' own conversions run
    (SQLite's dates as text, JSON as text). Column defaults are not applied: give them."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    converts = [
        (at, convert)
        for at, name in enumerate(names)
        if (convert := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]

    def values() -> Iterator[list[Any]]:
        for row in rows:
            value = [row[name] for name in names]
            for at, convert in converts:
                if value[at] is not None:
                    value[at] = convert(value[at])
            yield value

    quote = dialect.identifier_preparer.quote
    into = f"{quote(table.name)} ({', '.join(quote(name) for name in names)})"
    driver: Any = connection.connection.driver_connection
    if dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {into} FROM STDIN") as copy:
            for row in values():
                copy.write_row(row)
    else:
        driver.executemany(f"INSERT INTO {into} VALUES ({', '.join('?' * len(names))})", values())


def refresh_statistics(engine: Engine) -> None:
    """ANALYZE: fresh row counts for the query planner, after a bulk load."""
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def ping(engine: Engine) -> None:
    """Raise unless the database answers a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


# Any constant will do: the key of PostgreSQL's advisory lock that writers take in turn.
WRITER_LOCK = 0x44796164  # "Dyad"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def begin_write(session: Session) -> None:
    """Make the session's transaction the one writer of the database until it ends.

    SQLite: BEGIN IMMEDIATE takes the write lock up front. PostgreSQL: a transaction-level
    advisory lock. Writers in turn keep version checks race-free and make revision ids
    (the changes feed's order) follow commit order.
    """
    lock_writer(session.connection(execution_options=WRITE_TRANSACTION))


def lock_writer(connection: Connection) -> None:
    """Wait to be the one writer, in a transaction begun with WRITE_TRANSACTION's options
    (which on SQLite took the lock already)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})


def session_factory(bind: Engine | Connection, **kwargs: Any) -> sessionmaker[Session]:
    """How the app opens sessions; tests bind it to a connection inside a transaction."""
    return sessionmaker(bind=bind, class_=Session, expire_on_commit=False, **kwargs)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """How the app opens the sessions of reads (GET, HEAD, OPTIONS).

    PostgreSQL: in autocommit, each statement a transaction of its own, without the round
    trips of BEGIN and COMMIT. A read loses nothing by it: in READ COMMITTED, PostgreSQL's
    default and Dyad's, each statement of a transaction takes a snapshot of its own anyway.
    The connection leaves the pool transactional again (_checkout). SQLite: the usual
    sessions, whose BEGIN costs no trip and holds a read's statements to one snapshot.
    """
    sessions = session_factory(engine)
    if not is_sqlite(engine):
        event.listen(sessions, "after_begin", _autocommit)
    return sessions


def _autocommit(_session: Session, _transaction: Any, connection: Connection) -> None:
    # Before the session's first statement, so psycopg has sent no BEGIN yet. Not the
    # engine's execution option isolation_level="AUTOCOMMIT", which does as much but adds an
    # event to every statement of the engine: more time than the round trips it saves.
    driver: Any = connection.connection.driver_connection
    driver.autocommit = True


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session and one transaction per request: commit on success, roll back on error.

    Requests that may write (not GET, HEAD or OPTIONS) run as the database's one writer, and
    their steps that talk to the database run in a worker thread: a commit waits on the disk.
    A read's transaction ends at once (nothing to write): here, which costs less than the trip
    to a thread. Reads' sessions come from read_session_factory.
    """
    # A read-only server never writes: the route's key check refuses the request instead.
    writes = request.method not in SAFE_METHODS and not request.app.state.settings.read_only
    state = request.app.state
    session = state.sessions() if writes else state.read_sessions()
    try:
        if writes:
            await run_in_threadpool(begin_write, session)
        yield session
        await _end(session.commit, writes)
    finally:
        # Shielded: a client gone mid-stream cancels the request, and the connection must
        # still go back to the pool.
        with CancelScope(shield=True):
            await _end(session.close, writes)


async def _end(step: Callable[[], None], writes: bool) -> None:
    if writes:
        await run_in_threadpool(step)
    else:
        step()


# scope="function": commit before the response is sent, so a failed commit is an error
# response rather than a success the client saw for a write that was lost.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
