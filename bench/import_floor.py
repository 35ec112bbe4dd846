"""The floor of `dyad import`: what the database alone costs to store the events it stores.

`dyad import` of N events spends its time in Python (reading, validating, building rows and
documents) and in the database (inserts, indexes, the derived tables, the commit). This
replays the database's part alone: the rows that `bench/run.py` imported (bench/data/nN),
copied into a freshly migrated database by INSERT … SELECT (no Python per row), batch by
batch as the import writes them (sources, events and their lists, revisions), each batch
followed by the import's own statements that fill the derived tables (search, dyads,
months, counts), in one transaction, then the commit. Same engine settings as the import's.

No import can store these events faster than this on the same machine: it is the rate the
storage of Dyad's schema allows. Prints seconds, events/s and CPU seconds (this process on
SQLite; the server's backend on PostgreSQL), per step.

    .venv/bin/python bench/import_floor.py --n 100000 [--postgres postgresql://postgres@127.0.0.1:5432]
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import psycopg
import typer
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from app.actors.models import Actor
from app.changes.models import Revision
from app.core.db import begin_write, create_db_engine, table_of
from app.events.create import BATCH_IDS, FILL_FOR_NEW_EVENTS, indexed_by_batch
from app.events.models import (
    Citation,
    Event,
    EventActor,
    EventCountry,
    EventExternalId,
    EventLink,
    EventTag,
)
from app.imports.service import BATCH_SIZE
from app.sources.models import Source

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gdelt_import  # noqa: E402
import run  # noqa: E402

BIN = Path(sys.executable).parent
# The tables an import writes per batch, in its order; links come after the last batch.
PER_BATCH = (Event, EventCountry, EventTag, EventActor, Citation, EventExternalId, Revision)


def _name(statement: str) -> str:
    """A fill statement's name: the table it writes."""
    words = statement.split()
    at = next(i for i, w in enumerate(words) if w.upper() in ("INTO", "UPDATE", "FROM"))
    return f"{words[0].lower()} {words[at + 1] if words[at].upper() != 'UPDATE' else words[at]}"


def _migrated(url: str) -> None:
    env = dict(os.environ, DYAD_DATABASE_URL=url)
    subprocess.run([str(BIN / "dyad"), "migrate"], env=env, check=True, capture_output=True)


def _columns(model: Any) -> str:
    return ", ".join(f'"{column.name}"' for column in table_of(model).columns)


FILLS = {
    dialect: [(_name(statement), statement) for statement in statements]
    for dialect, statements in FILL_FOR_NEW_EVENTS.items()
}


class Clock:
    """Wall and CPU seconds per step; CPU read by `cpu()` (a process's or a backend's)."""

    def __init__(self, cpu: Any) -> None:
        self.cpu = cpu
        self.steps: dict[str, list[float]] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), self.cpu()
        yield
        spent = self.steps.setdefault(name, [0.0, 0.0])
        spent[0] += time.perf_counter() - wall
        spent[1] += self.cpu() - cpu

    def report(self, title: str, n: int, what: str) -> dict[str, Any]:
        wall = sum(s[0] for s in self.steps.values())
        cpu = sum(s[1] for s in self.steps.values())
        typer.echo(f"\n{title}: {n:,} {what} in {wall:.1f} s = {n / wall:,.0f} {what}/s")
        typer.echo(f"  {'step':24} {'wall s':>8} {'CPU s':>8}")
        for name, (step_wall, step_cpu) in self.steps.items():
            typer.echo(f"  {name:24} {step_wall:8.2f} {step_cpu:8.2f}")
        typer.echo(f"  {'all':24} {wall:8.2f} {cpu:8.2f}  ({n / cpu:,.0f} {what} per CPU second)")
        return {"seconds": wall, "cpu_seconds": cpu, f"{what}_per_s": n / wall, "steps": self.steps}


# The indexes that no constraint needs, nor the derived tables' statements (which join
# by event_id): a bulk load builds them once, after the rows.
SECONDARY_INDEXES = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    " AND sql NOT LIKE 'CREATE UNIQUE%' AND sql NOT LIKE '%(event_id)'",
    "postgresql": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
    " AND indexdef NOT LIKE 'CREATE UNIQUE%' AND indexdef NOT LIKE '%(event_id)'",
}


def replay(engine: Engine, loaded: str, ids: list[str], clock: Clock, *, bulk: bool) -> None:
    """The import's writes of these events, copied from the schema `loaded`, timed: batch
    by batch as `dyad import` writes them; or, `bulk`, as a load into an empty database
    could: every row at once with the secondary indexes dropped, then built."""
    dialect = engine.dialect.name
    batch_ids = BATCH_IDS[dialect]
    size = len(ids) if bulk else BATCH_SIZE
    with Session(engine) as session:
        begin_write(session)
        indexes = list(session.execute(text(SECONDARY_INDEXES[dialect]))) if bulk else []
        with clock.step("drop indexes"):
            for name, _ in indexes:
                session.execute(text(f"DROP INDEX {name}"))
        with indexed_by_batch(session):
            for start in range(0, len(ids), size):
                batch = ids[start : start + size]
                bound = {"ids": json.dumps(batch) if dialect == "sqlite" else batch}
                with clock.step("sources"):
                    session.execute(
                        text(
                            f"INSERT INTO source ({_columns(Source)})"
                            f" SELECT {_columns(Source)} FROM {loaded}.source WHERE id IN"
                            f" (SELECT c.source_id FROM {batch_ids} JOIN {loaded}.citation AS c"
                            " ON c.event_id = new.value)"
                            " AND id NOT IN (SELECT id FROM source)"
                        ),
                        bound,
                    )
                for model in PER_BATCH:
                    key = "id" if model is Event else "event_id"
                    with clock.step(table_of(model).name):
                        session.execute(
                            text(
                                f"INSERT INTO {table_of(model).name} ({_columns(model)})"
                                f" SELECT {_columns(model)} FROM {loaded}.{table_of(model).name}"
                                f" WHERE {key} IN (SELECT value FROM {batch_ids})"
                            ),
                            bound,
                        )
                for name, statement in FILLS[dialect]:
                    with clock.step(name):
                        session.execute(text(statement), bound)
        with clock.step("event_link"):
            session.execute(
                text(
                    f"INSERT INTO event_link ({_columns(EventLink)})"
                    f" SELECT {_columns(EventLink)} FROM {loaded}.event_link"
                )
            )
        with clock.step("create indexes"):
            for _, definition in indexes:
                session.execute(text(definition))
        with clock.step("commit"):
            session.commit()


def sqlite_floor(
    loaded_file: Path, scratch: Path, *, bulk: bool, rows: int | None = None
) -> dict[str, Any]:
    """The floor of storing what the SQLite database `loaded_file` holds (imported from
    `rows` records, its events when None), replayed into the file `scratch`."""
    for stale in scratch.parent.glob(f"{scratch.name}*"):
        stale.unlink()
    url = f"sqlite:///{scratch}"
    _migrated(url)
    engine = create_db_engine(url, sqlite_cache_mb=256)  # as `dyad import` opens it

    @event.listens_for(engine, "connect")
    def _attach(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"ATTACH DATABASE 'file:{loaded_file}?mode=ro' AS loaded")

    with engine.begin() as connection:  # the actors exist before an import, as in bench/run.py
        connection.execute(text(f"INSERT INTO actor SELECT {_columns(Actor)} FROM loaded.actor"))
        ids = list(connection.scalars(text("SELECT id FROM loaded.event ORDER BY rowid")))
    clock = Clock(time.process_time)
    replay(engine, "loaded", ids, clock, bulk=bulk)
    engine.dispose()
    if rows is None:
        return clock.report("SQLite floor", len(ids), "events")
    return clock.report(f"SQLite floor ({len(ids):,} events)", rows, "records")


def postgres_floor(server: str, n: int, *, bulk: bool) -> dict[str, Any]:
    """The loaded database's rows are first copied (untimed) into a schema `loaded` of a
    scratch database, then replayed from there."""
    source_name, scratch_name = f"dyad_bench_{n}", f"dyad_floor_{n}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {scratch_name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {scratch_name}")
    url = f"{server.replace('postgresql://', 'postgresql+psycopg://')}/{scratch_name}"
    _migrated(url)
    tables = [table_of(m).name for m in (Actor, Source, *PER_BATCH, EventLink)]
    with (
        psycopg.connect(f"{server}/{source_name}") as source,
        psycopg.connect(f"{server}/{scratch_name}") as scratch,
    ):
        scratch.execute("CREATE SCHEMA loaded")
        for table in tables:
            scratch.execute(f"CREATE TABLE loaded.{table} (LIKE public.{table})")
            with (
                source.cursor().copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as out,
                scratch.cursor().copy(f"COPY loaded.{table} FROM STDIN (FORMAT BINARY)") as into,
            ):
                for chunk in out:
                    into.write(chunk)
        scratch.execute("CREATE INDEX ON loaded.citation (event_id)")
        for table in tables[2:]:
            key = "id" if table == "event" else "event_id"
            scratch.execute(f"CREATE INDEX ON loaded.{table} ({key})")
        scratch.execute("INSERT INTO actor SELECT * FROM loaded.actor")
        scratch.execute("ANALYZE")
        ids = [row[0] for row in source.execute("SELECT id FROM event ORDER BY created_at, id")]
        scratch.commit()
    engine = create_db_engine(url)
    backend: list[int] = []

    @event.listens_for(engine, "connect")
    def _pid(dbapi_connection: Any, _record: Any) -> None:
        backend.append(dbapi_connection.info.backend_pid)

    def backend_cpu() -> float:
        fields = Path(f"/proc/{backend[-1]}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    with engine.connect():
        pass  # the pool's connection, whose backend the clock reads
    clock = Clock(backend_cpu)
    replay(engine, "loaded", ids, clock, bulk=bulk)
    engine.dispose()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {scratch_name} WITH (FORCE)")
    return clock.report("PostgreSQL floor", len(ids), "events")


@dataclass
class Measured:
    """One database's import and its floors, from one run."""

    name: str
    imported: dict[str, Any]
    as_imported: dict[str, Any]
    bulk: dict[str, Any]
    goal: int

    def line(self) -> str:
        def rate(measured: dict[str, Any]) -> str:
            return f"{next(v for k, v in measured.items() if k.endswith('_per_s')):,.0f}"

        return (
            f"| {self.name} | {rate(self.imported)} | {rate(self.as_imported)}"
            f" | {self.as_imported['cpu_seconds']:.1f} | {rate(self.bulk)}"
            f" | {self.bulk['cpu_seconds']:.1f} | {self.goal:,} |"
        )


def main(
    n: Annotated[int, typer.Option(help="The size of bench/run.py's loaded data to replay.")],
    postgres: Annotated[
        str, typer.Option(help="PostgreSQL server URL; empty to skip PostgreSQL.")
    ] = "postgresql://postgres@127.0.0.1:5432",
    gdelt_rows: Annotated[
        int, typer.Option(help="Also a GDELT day of this many rows (bench/gdelt_import.py).")
    ] = 0,
    results_file: Annotated[Path, typer.Option("--results", help="Where to write.")] = (
        HERE / "RESULTS.md"
    ),
) -> None:
    """Time `dyad import` of bench/data/nN and the floor of the same rows, as the import
    writes them and in bulk, in one run; write them as a section of RESULTS.md."""
    data = HERE / "data" / f"n{n}"
    out = data / "out"
    if not (data / "loaded.json").exists():
        raise SystemExit(f"run `bench/run.py --n {n} --load-only` first")
    for stale in out.glob("import.db*"):
        stale.unlink()
    rows = [
        Measured(
            "SQLite",
            run.load_dyad(f"sqlite:///{out / 'import.db'}", data),
            sqlite_floor(data / "dyad.db", out / "floor.db", bulk=False),
            sqlite_floor(data / "dyad.db", out / "floor.db", bulk=True),
            run.IMPORT_GOAL,
        )
    ]
    if postgres:
        scratch = run.recreate_postgres(postgres, f"dyad_floor_import_{n}")
        imported = run.load_dyad(scratch, data)
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS dyad_floor_import_{n} WITH (FORCE)")
        rows.append(
            Measured(
                "PostgreSQL",
                imported,
                postgres_floor(postgres, n, bulk=False),
                postgres_floor(postgres, n, bulk=True),
                run.IMPORT_GOAL_POSTGRES,
            )
        )
    if gdelt_rows:
        kept = out / "gdelt.db"
        rows.append(
            Measured(
                f"SQLite, a GDELT day of {gdelt_rows:,} rows",
                gdelt_import.timed_import(gdelt_rows, 20, gdelt_rows // 4, keep=kept),
                sqlite_floor(kept, out / "floor.db", bulk=False, rows=gdelt_rows),
                sqlite_floor(kept, out / "floor.db", bulk=True, rows=gdelt_rows),
                20_000,
            )
        )
    (out / "floor.json").write_text(json.dumps([asdict(r) for r in rows], indent=2))
    lines = [
        "",
        f"Made by `bench/import_floor.py --n {n}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" {run.machine()}; load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "What the database alone costs to store the events: the rows that `dyad import` wrote,"
        " copied into a fresh database by INSERT … SELECT (no Python per row), each batch"
        " followed by the import's own statements for the derived tables, in one transaction"
        " (`as imported`); and all at once with the secondary indexes built after (`bulk`)."
        " No import can be faster than its floor on the same machine. Per second: events"
        " (records of the GDELT day); CPU: this process's on SQLite, the server's backend's"
        " on PostgreSQL.",
        "",
        "| database | `dyad import` /s | floor as imported /s | its CPU s | floor in bulk /s"
        " | its CPU s | goal /s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(row.line() for row in rows),
        "",
        "Where the floor's time goes, as imported (seconds of CPU):",
        "",
        "| step | " + " | ".join(row.name for row in rows) + " |",
        "| --- |" + " ---: |" * len(rows),
        *(
            f"| {step} | "
            + " | ".join(f"{row.as_imported['steps'].get(step, [0, 0])[1]:.2f}" for row in rows)
            + " |"
            for step in dict.fromkeys(step for row in rows for step in row.as_imported["steps"])
        ),
    ]
    run.replace_section(results_file, run.FLOOR_HEADING, lines)
    typer.echo(f"written {results_file}")


if __name__ == "__main__":
    typer.run(main)
