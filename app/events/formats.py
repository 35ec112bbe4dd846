"""Streamed exports of events: CSV, NDJSON, iCalendar and TimelineJS, one writer per format.

Each writer turns an iterable of what its export reads (`Export.items`) into an iterator of
byte chunks without ever holding the whole result: the HTTP list route and `dyad export` both
feed it rows fetched in keyset batches, of which nothing is built but the output. NDJSON,
iCalendar and TimelineJS read the events' stored documents (their public form as JSON text,
`service.iter_documents`) and write up to a hundred events per chunk; CSV reads the stored
end of each event's line (app.events.csv_cells) and writes a chunk per batch of a thousand.

Choices worth knowing:

- CSV is plain UTF-8, so that `csv.DictReader`, pandas and spreadsheets' importers read the
  first column's name as written. `bom=true` starts it with a byte order mark, for Excel,
  which reads UTF-8 without one as a legacy code page and garbles `Əliyev` and Persian text.
- CSV guards against formula injection, and joins lists with `;` (app.events.csv_cells); the
  NDJSON export keeps the exact lists.
"""

import html
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from sqlmodel import Session

from app.core.db import table_of, utc_isoformat
from app.events import citation, service
from app.events.csv_cells import CSV_COLUMNS, csv_head, csv_line
from app.events.filters import EventQuery, Format
from app.events.models import Event, Status
from app.events.public import EventDict, dumps, only

if TYPE_CHECKING:
    import icalendar

T = TypeVar("T")

# Events per chunk handed to the network or stdout: small enough to start at once and keep
# memory flat, large enough that a big export is not thousands of tiny writes.
CHUNK_SIZE = 100


@dataclass(frozen=True)
class ExportContext:
    """What a writer needs besides the events."""

    # The events collection URL (`https://host/v1/events`), for links to each event; None
    # when there is no server to link to (e.g. `dyad export` without --base-url).
    events_url: str | None = None
    # The event fields of each NDJSON line (the list's `fields`); None for all of them.
    fields: set[str] | None = None
    # CSV only: start with a UTF-8 byte order mark (for Excel).
    bom: bool = False

    def event_url(self, event_id: str) -> str | None:
        return f"{self.events_url}/{event_id}" if self.events_url else None


# A writer takes what its export reads (Export.items): stored documents, or rows.
Writer = Callable[[Iterable[Any], ExportContext], Iterator[bytes]]


def started(events: Iterator[T]) -> Iterator[T]:
    """The same events with the first already fetched: the first query runs before a writer
    sends anything, so its failure can still be reported cleanly (a problem+json answer, one
    line on stderr) instead of cutting a document short."""
    first = next(events, None)
    return events if first is None else chain([first], events)


def _chunks(items: Iterable[T]) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK_SIZE)):
        yield chunk


# --- CSV --------------------------------------------------------------------------------

BOM = "\ufeff"

# What the CSV writer takes of each event, in batches: its id, title and summary, the cells
# stored with it (app.events.csv_cells), and its two times as the line writes them.
_EVENT = table_of(Event)
CSV_SOURCE = (
    _EVENT.c.id,
    _EVENT.c.title,
    _EVENT.c.summary,
    _EVENT.c.csv_tail,
    utc_isoformat(_EVENT.c.created_at) + "," + utc_isoformat(_EVENT.c.updated_at),
)


def write_csv(batches: Iterable[Sequence[Any]], context: ExportContext) -> Iterator[bytes]:
    """A header row (after a BOM if asked), then one row per event (RFC 4180, CRLF ends): a
    chunk per batch of rows of CSV_SOURCE's columns."""
    yield ((BOM if context.bom else "") + csv_line(list(CSV_COLUMNS))).encode()
    for rows in batches:
        if rows:
            lines = [f"{csv_head(*row[:3])}{row[3]},{row[4]}\r\n" for row in rows]
            yield "".join(lines).encode()


# --- NDJSON -----------------------------------------------------------------------------


def write_ndjson(documents: Iterable[str], context: ExportContext) -> Iterator[bytes]:
    """One event per line, as the JSON list's items: the stored documents as they are, or
    just the `fields` asked of each."""
    for chunk in _chunks(documents):
        if context.fields is None:
            yield "\n".join(chunk).encode() + b"\n"
        else:
            yield b"".join(
                dumps(only(orjson.loads(document), context.fields)) + b"\n" for document in chunk
            )


# --- iCalendar --------------------------------------------------------------------------

PRODID = "-//Dyad//Dyad events//EN"
_CALENDAR_END = b"END:VCALENDAR\r\n"


def _calendar_header() -> bytes:
    import icalendar  # here: a few megabytes in every worker, for the iCalendar export alone

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Dyad events")
    # No METHOD: then DTSTAMP means the event's last change (RFC 5545, 3.8.7.2), and two
    # exports of unchanged events are byte for byte the same.
    whole: bytes = calendar.to_ical()
    assert whole.endswith(_CALENDAR_END)
    return whole.removesuffix(_CALENDAR_END)


def description(event: EventDict) -> str:
    """The event's summary, its status and its sources, as plain text."""
    parts = [event["summary"]] if event["summary"] else []
    parts.append(f"Status: {_status_text(event)}")
    if event["citations"]:
        parts.append("Sources:\n" + "\n".join(f"- {line}" for line in _source_lines(event)))
    return "\n\n".join(parts)


def _status_text(event: EventDict) -> str:
    if event["status"] == Status.disputed:
        return "disputed (at least one source disputes this event)."
    if event["status"] == Status.unsourced:
        return "unsourced (no source cited yet)."
    return "reported (every source cited supports it)."


def _source_lines(event: EventDict) -> list[str]:
    # The same wording as the event's citation endpoint.
    return [citation._source(c, markdown=False) for c in event["citations"]]


def vevent(event: EventDict, context: ExportContext) -> "icalendar.Event":
    """An all-day VEVENT covering the event's date bounds (DTEND is exclusive); `event` as its
    document's JSON gives it."""
    import icalendar  # as in _calendar_header

    component = icalendar.Event()
    updated_at = datetime.fromisoformat(event["updated_at"])
    component.add("uid", f"{event['id']}@dyad")
    component.add("dtstamp", updated_at)
    component.add("last-modified", updated_at)
    component.add("created", datetime.fromisoformat(event["created_at"]))
    component.add("sequence", event["version"] - 1)  # RFC 5545 counts revisions from 0
    component.add("dtstart", date.fromisoformat(event["date_lower"]))
    component.add("dtend", date.fromisoformat(event["date_upper"]) + timedelta(days=1))
    component.add("summary", event["title"])
    component.add("description", description(event))
    component.add("categories", [event["type"], *event["tags"]])
    url = context.event_url(event["id"])
    if url:
        component.add("url", url)
    location = event["location"] or {}
    if location.get("name"):
        component.add("location", location["name"])
    if location.get("lat") is not None and location.get("lon") is not None:
        component.add("geo", (location["lat"], location["lon"]))
    return component


def write_ics(documents: Iterable[str], context: ExportContext) -> Iterator[bytes]:
    """A VCALENDAR (RFC 5545) with one VEVENT per event, streamed component by component."""
    yield _calendar_header()
    for chunk in _chunks(documents):
        yield b"".join(vevent(orjson.loads(d), context).to_ical() for d in chunk)
    yield _CALENDAR_END


# --- TimelineJS -------------------------------------------------------------------------


TIMELINE_TITLE = {
    "text": {
        "headline": "Dyad",
        "text": "Dated events between countries, each backed by sources.",
    }
}


def timeline_date(text: str) -> dict[str, int]:
    """A TimelineJS date object as precise as the stored EDTF date: no day for `2012-08`."""
    # Read from the text itself: stored dates are valid, and the edtf parser is slow enough
    # (milliseconds a date) to dominate a large export.
    parts = [int(part) for part in text.rstrip("?~%").split("-")]
    return dict(zip(("year", "month", "day"), parts, strict=False))


def slide(event: EventDict) -> dict[str, Any]:
    """The event as a TimelineJS 3 slide; every text is HTML-escaped (TimelineJS renders HTML)."""
    text = [f"<p>{html.escape(event['summary'])}</p>"] if event["summary"] else []
    if event["status"] == Status.disputed:
        text.append("<p><strong>Disputed:</strong> at least one source disputes this event.</p>")
    if event["citations"]:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in _source_lines(event))
        text.append(f"<p>Sources:</p><ul>{items}</ul>")
    value: dict[str, Any] = {"start_date": timeline_date(event["date"])}
    if event["end_date"]:
        value["end_date"] = timeline_date(event["end_date"])
    value |= {
        "display_date": citation.when(event),
        "text": {"headline": html.escape(event["title"]), "text": "".join(text)},
        "group": event["type"],
        "unique_id": event["id"],
    }
    return value


def write_timelinejs(documents: Iterable[str], context: ExportContext) -> Iterator[bytes]:
    """The TimelineJS 3 JSON document: a title slide, then one slide per event."""
    yield b'{"title":' + orjson.dumps(TIMELINE_TITLE) + b',"events":['
    separator = b""
    for chunk in _chunks(documents):
        yield separator + b",".join(orjson.dumps(slide(orjson.loads(d))) for d in chunk)
        separator = b","
    yield b"]}"


# --- the formats ------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    write: Writer
    media_type: str
    extension: str
    # The event table's columns its writer reads, in batches of rows; None for the stored
    # documents, one by one.
    columns: Sequence[Any] | None = None

    @property
    def filename(self) -> str:
        return f"dyad-events.{self.extension}"

    def items(
        self, session: Session, query: EventQuery, fields: set[str] | None = None
    ) -> Iterator[Any]:
        """What its writer takes: every matching event, in order, in keyset batches."""
        if self.columns is None:
            return service.iter_documents(session, query)
        return service.batches(session, query, self.columns)


# The formats that stream every match: the list's `format`, but json (pages).
EXPORTS: dict[Format, Export] = {
    Format.csv: Export(write_csv, "text/csv; charset=utf-8", "csv", CSV_SOURCE),
    Format.ndjson: Export(write_ndjson, "application/x-ndjson", "ndjson"),
    Format.ics: Export(write_ics, "text/calendar; charset=utf-8", "ics"),
    Format.timelinejs: Export(write_timelinejs, "application/json", "json"),
}

# The Accept media types that ask for an export; the others (JSON, */*) mean JSON pages.
ACCEPTED: dict[str, Format] = {
    "text/csv": Format.csv,
    "application/x-ndjson": Format.ndjson,
    "text/calendar": Format.ics,
}
_JSON_PAGES = frozenset({"application/json", "application/*", "*/*"})


def chosen(explicit: Format | None, accept: str | None) -> Format | None:
    """The export asked for by `format` (which wins) or else by `Accept`; None for JSON pages.

    Accept is read with its q-values: the most preferred type Dyad knows decides, so
    `text/csv, */*;q=0.1` is CSV and a browser's `text/html,…,*/*;q=0.8` is JSON pages.
    """
    if explicit is not None:
        return None if explicit == Format.json else explicit
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept or "").split(",")):
        media_type, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media_type = media_type.lower()
        if quality > 0 and (media_type in ACCEPTED or media_type in _JSON_PAGES):
            ranked.append((-quality, position, media_type))
    if not ranked:
        return None
    return ACCEPTED.get(min(ranked)[2])
