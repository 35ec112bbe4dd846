"""Backups: everything a reader can see, as one file, and back into an empty database.

A backup is NDJSON: a header line, then one line per row of each table that holds what
people wrote (actors, sources, events with their countries, tags, actors, citations, links
and external ids, and every revision), parents before children, each table in key order:

    {"dyad_backup": 1, "schema": "b7e4c2a9d1f0", "written_at": "2026-12-07T13:30:00Z"}
    {"table": "actor", "row": {"id": "ilham-aliyev", "name": "Ilham Aliyev", ...}}

Rows are copied as stored, so a restore answers every GET as the original did: ids,
versions, timestamps, soft-deleted events and the whole history included. What a backup
leaves out, and why, is NOT_BACKED_UP. It is read in one snapshot of the database, written
and restored a batch of rows at a time, so its size is not bounded by memory.
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any

import orjson
from sqlalchemy import Connection, Date, DateTime, Table, func, insert, select

from app.core.db import metadata, utcnow
from app.core.migrate import head_revision
from app.tables import load_all_tables

FORMAT_VERSION = 1
BATCH_SIZE = 1000

# Tables a backup leaves out: a restore rebuilds the derived ones as it inserts the rows they
# derive from (the same triggers as every write), and keys are secrets that stay where they
# were made.
NOT_BACKED_UP = {
    "api_key": "API keys are secrets of the database they were made in: make new ones",
    "event_dyad": "derived from events and their countries, rebuilt by the restore",
    "dyad_month": "derived from event_dyad, rebuilt by the restore",
    "vocabulary_count": "derived from events, their countries and tags, rebuilt by the restore",
    "usage_count": "derived from events, their actors and citations, rebuilt by the restore",
    "country_month": "derived from events and their countries, rebuilt by the restore",
    "dyad_actor": "derived from event_dyad and events' actors, rebuilt by the restore",
}


class BackupError(Exception):
    """A file that is not a backup this Dyad can restore, or a database it can't restore into."""


def backed_up_tables() -> list[Table]:
    """The tables a backup holds, parents before children."""
    load_all_tables()
    return [table for table in metadata.sorted_tables if table.name not in NOT_BACKED_UP]


def write_backup(connection: Connection, out: IO[bytes]) -> dict[str, int]:
    """Write every backed-up row to `out`; the rows of each table, by name.

    `connection` should hold one transaction (a snapshot), so that the file is consistent.
    """
    header = {
        "dyad_backup": FORMAT_VERSION,
        "schema": head_revision(),
        "written_at": utcnow().isoformat(),
    }
    out.write(orjson.dumps(header) + b"\n")
    counts: dict[str, int] = {}
    for table in backed_up_tables():
        counts[table.name] = 0
        rows = connection.execution_options(yield_per=BATCH_SIZE).execute(
            select(table).order_by(*table.primary_key.columns)
        )
        for batch in rows.mappings().partitions():
            out.write(
                b"".join(
                    orjson.dumps({"table": table.name, "row": dict(row)}) + b"\n" for row in batch
                )
            )
            counts[table.name] += len(batch)
    return counts


def restore_backup(connection: Connection, lines: Iterable[bytes]) -> dict[str, int]:
    """Insert a backup's rows into an empty, migrated database; the rows of each table.

    Raises BackupError, having written nothing the caller should keep, for a file that is
    not a backup of this schema, or a database that already holds events, actors or sources.
    """
    tables = {table.name: table for table in backed_up_tables()}
    _check_empty(connection, tables)
    records = _records(iter(lines))
    counts = dict.fromkeys(tables, 0)
    current: str | None = None
    batch: list[dict[str, Any]] = []
    for name, row in records:
        if name != current:
            _insert(connection, tables, current, batch)
            current, batch = name, []
        batch.append(row)
        counts[name] += 1
        if len(batch) >= BATCH_SIZE:
            _insert(connection, tables, current, batch)
            batch = []
    _insert(connection, tables, current, batch)
    if connection.dialect.name == "postgresql":
        _advance_sequences(connection, tables.values())
    return counts


def _check_empty(connection: Connection, tables: dict[str, Table]) -> None:
    for name in ("event", "actor", "source", "revision"):
        if connection.execute(select(func.count()).select_from(tables[name])).scalar_one():
            raise BackupError(
                f"the database is not empty (it has {name} rows): restore into a new database"
            )


def _records(lines: Iterator[bytes]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) for each line after the header, the header checked first."""
    try:
        header = orjson.loads(next(lines, b"") or b"null")
    except orjson.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("dyad_backup") != FORMAT_VERSION:
        raise BackupError("not a Dyad backup: its first line is not a backup header")
    if header.get("schema") != head_revision():
        raise BackupError(
            f"the backup is of schema {header.get('schema')!r} and this Dyad's is "
            f"{head_revision()!r}: restore it with the Dyad that wrote it, then upgrade"
        )
    tables = {table.name: table for table in backed_up_tables()}
    readers = {name: _reader(table) for name, table in tables.items()}
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            name, row = record["table"], record["row"]
            yield name, readers[name](row)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            problem = f"line {number} is not a row of a backed-up table ({error})"
            raise BackupError(problem) from None


def _reader(table: Table) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Turns a row read from JSON into column values: dates and times from their ISO text."""
    parsers: dict[str, Callable[[str], Any]] = {}
    for column in table.columns:
        kind = getattr(column.type, "impl", column.type)  # a TypeDecorator's stored type
        if isinstance(kind, DateTime):
            parsers[column.name] = datetime.fromisoformat
        elif isinstance(kind, Date):
            parsers[column.name] = date.fromisoformat
    names = set(table.columns.keys())

    def read(row: dict[str, Any]) -> dict[str, Any]:
        unknown = set(row) - names
        if unknown:
            raise ValueError(f"no column {', '.join(sorted(unknown))} in {table.name}")
        return {
            name: parsers[name](value) if value is not None and name in parsers else value
            for name, value in row.items()
        }

    return read


def _insert(
    connection: Connection, tables: dict[str, Table], name: str | None, rows: list[dict[str, Any]]
) -> None:
    if name is not None and rows:
        connection.execute(insert(tables[name]), rows)


def _advance_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """PostgreSQL: serial keys continue after the restored ones (SQLite's do by themselves)."""
    for table in tables:
        column = table.autoincrement_column
        if column is not None:
            highest = select(func.coalesce(func.max(column), 0)).scalar_subquery()
            sequence = func.pg_get_serial_sequence(table.name, column.name)
            connection.execute(select(func.setval(sequence, highest + 1, False)))
