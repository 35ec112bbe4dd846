"""The same events as a plain SQLite file for Datasette, set up as a competent user would.

A flat `events` table (one row per event; lists as JSON text, the two countries of the dyad
as `country_a` < `country_b`, the citations inlined as JSON so a row carries what a Dyad event
carries), plus `citations`, `sources`, `actors` and `event_actors` tables with foreign keys;
an FTS5 table over title and summary in sqlite-utils' form (`content=[events]`, which
Datasette detects for `?_search=`); indexes on the dates and on the dyad columns.

Plain `sqlite3`, so it runs in any Python: the bench venv need only hold Datasette.
"""

import calendar
import sqlite3
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

SCHEMA = """
CREATE TABLE sources (
    id TEXT PRIMARY KEY, url TEXT, title TEXT, publisher TEXT, published TEXT,
    kind TEXT, language TEXT);
CREATE TABLE actors (id TEXT PRIMARY KEY, name TEXT, kind TEXT, country TEXT);
CREATE TABLE events (
    id TEXT PRIMARY KEY, title TEXT, summary TEXT, date TEXT, end_date TEXT,
    date_lower TEXT, date_upper TEXT, date_precision TEXT,
    country_a TEXT, country_b TEXT, type TEXT, tone REAL, status TEXT,
    tags TEXT, actors TEXT, citations TEXT,
    location_name TEXT, location_country TEXT, location_lat REAL, location_lon REAL);
CREATE TABLE citations (
    id INTEGER PRIMARY KEY, event_id TEXT REFERENCES events(id),
    source_id TEXT REFERENCES sources(id), stance TEXT, quote TEXT, locator TEXT);
CREATE TABLE event_actors (
    event_id TEXT REFERENCES events(id), actor_id TEXT REFERENCES actors(id), role TEXT);
"""

INDEXES = """
CREATE INDEX idx_events_dyad_date ON events (country_a, country_b, date_lower);
CREATE INDEX idx_events_date_lower ON events (date_lower);
CREATE INDEX idx_events_date_upper ON events (date_upper);
CREATE INDEX idx_citations_event_id ON citations (event_id);
CREATE INDEX idx_citations_source_id ON citations (source_id);
CREATE INDEX idx_event_actors_event_id ON event_actors (event_id);
CREATE INDEX idx_event_actors_actor_id ON event_actors (actor_id);
CREATE VIRTUAL TABLE events_fts USING FTS5 (title, summary, content=[events]);
INSERT INTO events_fts (rowid, title, summary) SELECT rowid, title, summary FROM events;
ANALYZE;
"""


def bounds(date: str, end_date: str | None) -> tuple[str, str, str]:
    """date_lower, date_upper and precision of the generator's EDTF dates (as Dyad derives)."""
    first = date.rstrip("?~%")
    last = (end_date or date).rstrip("?~%")
    precision = {4: "year", 7: "month", 10: "day"}[len(first)]
    lower = first + {4: "-01-01", 7: "-01", 10: ""}[len(first)]
    if len(last) == 4:
        upper = last + "-12-31"
    elif len(last) == 7:
        year, month = int(last[:4]), int(last[5:7])
        upper = f"{last}-{calendar.monthrange(year, month)[1]:02d}"
    else:
        upper = last
    return lower, upper, precision


def build(events_file: Path, actors_file: Path, database: Path) -> float:
    """Build the database from the generator's files; return the seconds it took."""
    started = time.perf_counter()
    database.unlink(missing_ok=True)
    connection = sqlite3.connect(database)
    connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
    actors = orjson.loads(actors_file.read_bytes())
    connection.executemany(
        "INSERT INTO actors VALUES (?, ?, ?, ?)",
        [(a["id"], a["name"], a["kind"], a["country"]) for a in actors],
    )
    names = {actor["id"]: actor["name"] for actor in actors}
    sources: dict[str, dict[str, Any]] = {}
    batch: list[dict[str, Any]] = []
    with events_file.open("rb") as file:
        for line in file:
            batch.append(orjson.loads(line))
            if len(batch) == 5000:
                _insert(connection, batch, sources, names)
                batch = []
    _insert(connection, batch, sources, names)
    connection.executemany(
        "INSERT INTO sources VALUES (:id, :url, :title, :publisher, :published, :kind, :language)",
        list(sources.values()),
    )
    connection.commit()
    connection.executescript(INDEXES)
    connection.commit()
    connection.execute("VACUUM")
    connection.close()
    return time.perf_counter() - started


def _insert(
    connection: sqlite3.Connection,
    events: list[dict[str, Any]],
    sources: dict[str, dict[str, Any]],
    names: dict[str, str],
) -> None:
    rows, citations, actors = [], [], []
    for event in events:
        for citation in event["citations"]:
            if "source" in citation:
                sources[citation["source"]["id"]] = citation["source"]
        lower, upper, precision = bounds(event["date"], event.get("end_date"))
        a, b = sorted(event["countries"])
        location = event.get("location") or {}
        stances = [c["stance"] for c in event["citations"]]
        inlined = [
            {
                "source_id": c.get("source_id") or c["source"]["id"],
                "url": sources[c.get("source_id") or c["source"]["id"]]["url"],
                "publisher": sources[c.get("source_id") or c["source"]["id"]]["publisher"],
                "stance": c["stance"],
                "quote": c.get("quote"),
                "locator": c.get("locator"),
            }
            for c in event["citations"]
        ]
        rows.append(
            (
                event["id"], event["title"], event.get("summary"), event["date"],
                event.get("end_date"), lower, upper, precision, a, b, event["type"],
                event.get("tone"), "disputed" if "disputes" in stances else "reported",
                orjson.dumps(event.get("tags", [])).decode(),
                orjson.dumps(
                    [{**actor, "name": names[actor["id"]]} for actor in event["actors"]]
                ).decode(),
                orjson.dumps(inlined).decode(),
                location.get("name"), location.get("country"),
                location.get("lat"), location.get("lon"),
            )
        )  # fmt: skip
        citations += [
            (event["id"], c["source_id"], c["stance"], c["quote"], c["locator"]) for c in inlined
        ]
        actors += [(event["id"], actor["id"], actor["role"]) for actor in event["actors"]]
    connection.executemany(f"INSERT INTO events VALUES ({', '.join('?' * 20)})", rows)
    connection.executemany(
        "INSERT INTO citations (event_id, source_id, stance, quote, locator) "
        "VALUES (?, ?, ?, ?, ?)",
        citations,
    )
    connection.executemany("INSERT INTO event_actors VALUES (?, ?, ?)", actors)


def main(
    data: Annotated[Path, typer.Argument(help="The generator's output directory.")],
    database: Annotated[Path, typer.Option(help="The SQLite file to (re)create.")] = Path(
        "bench.db"
    ),
) -> None:
    """Build the Datasette database from the generator's files."""
    seconds = build(data / "events.ndjson", data / "refs" / "actors.json", database)
    sys.stderr.write(f"{database} built in {seconds:.1f} s\n")


if __name__ == "__main__":
    typer.run(main)
