"""Bulk import of events from JSON, NDJSON or CSV: one transaction, all or nothing.

Records are matched to stored events by `id`, or else by any of their `external_ids`, so
re-importing a partner's export updates the events it made before instead of duplicating
them. A record equal to what is stored changes nothing and writes no revision.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from http import HTTPStatus
from itertools import islice
from typing import Any, BinaryIO, TextIO, TypeVar

import orjson
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.core.dates import span
from app.core.db import utcnow
from app.core.errors import DyadError
from app.events.create import (
    IndexNewEvents,
    NewEvent,
    add_links,
    create_events,
    derive_status,
    event_id_for,
    external_ids_held,
    indexed_by_batch,
    live_ids,
    replace_events,
    store_sources,
)
from app.events.models import Event, EventCreate
from app.events.public import stored_events
from app.events.writes import writable
from app.imports.csv_rows import CsvRow, Current
from app.imports.models import InputFormat, Mode
from app.sources.models import Source
from app.sources.service import find_by_url

MEDIA_TYPES = {
    "application/json": InputFormat.json,
    "application/x-ndjson": InputFormat.ndjson,
    "application/ndjson": InputFormat.ndjson,
    "text/csv": InputFormat.csv,
}

SUFFIXES = {
    ".json": InputFormat.json,
    ".ndjson": InputFormat.ndjson,
    ".jsonl": InputFormat.ndjson,
    ".csv": InputFormat.csv,
}


def format_of(filename: str) -> InputFormat:
    """The format a file's name says it has (JSON when it says nothing)."""
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    return SUFFIXES.get(suffix, InputFormat.json)


# Without these a CSV row can't be an event: a file that lacks them is the wrong file.
CSV_REQUIRED = frozenset({"title", "date", "type"})


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


class InvalidRecords(DyadError):
    """Some records are bad: nothing was written; every bad line is listed."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


def read_records(stream: BinaryIO, fmt: InputFormat) -> Iterator[tuple[int, Any]]:
    """(line, record) pairs read as they come; a line that can't be read yields an Exception.

    NDJSON and CSV are read line by line, so a file of a million events is never held whole.
    """
    try:
        if fmt == InputFormat.json:
            yield from _json_records(stream.read().decode("utf-8-sig"))
        elif fmt == InputFormat.ndjson:
            yield from _ndjson_records(stream)
        else:
            yield from _csv_records(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    except UnicodeDecodeError as error:
        yield 1, ValueError(f"not UTF-8 text: {error}")


def _json_records(text: str) -> Iterator[tuple[int, Any]]:
    try:
        items = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        yield 1, ValueError(f"not valid JSON: {error}")
        return
    if not isinstance(items, list):
        yield 1, ValueError("a JSON import is an array of events")
        return
    yield from enumerate(items, start=1)


def _ndjson_records(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            yield number, ValueError(f"not UTF-8 text: {error}")
            return
        if line.strip():
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as error:
                yield number, ValueError(f"not valid JSON: {error}")


def _csv_records(text: TextIO) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(text)
    missing = CSV_REQUIRED - {name.strip() for name in reader.fieldnames or []}
    if missing:
        yield (
            1,
            ValueError(
                "the CSV header row lacks the column(s) "
                + ", ".join(sorted(missing))
                + "; an event needs title, date and type (see the CSV export for every column)"
            ),
        )
        return
    for row in reader:
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        yield reader.line_num, CsvRow(cells)


# Records validated and written together: big enough for set-based writes, small enough to
# keep memory flat on a file of a million events.
BATCH_SIZE = 2000


def import_records(
    session: Session,
    records: Iterable[tuple[int, Any]],
    *,
    mode: Mode = Mode.upsert,
    key_name: str | None = None,
) -> ImportReport:
    """Write every record, or none: raises InvalidRecords listing every bad line.

    New events go in batch by batch (app.events.create); records of stored events replace them
    set by set, BATCH_SIZE at a time, so that memory stays flat over a file of updates.
    The caller commits (or, for a dry run, rolls back) the transaction.
    """
    with _Import(session, mode, key_name) as run:
        for batch in _batches(records, BATCH_SIZE):
            run.add(batch)
        run.create_waiting()
        return run.finish()


T = TypeVar("T")


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class _Import:
    """One import in progress: what has been written, and what waits.

    New events are indexed batch by batch with the insert triggers set aside
    (app.events.create.indexed_by_batch); updates run with the triggers in place, so the
    triggers go back before each round of updates and aside again for the next new events.
    """

    def __init__(self, session: Session, mode: Mode, key_name: str | None) -> None:
        self.session, self.mode, self.key_name = session, mode, key_name
        self.report = ImportReport()
        self.updates: list[NewEvent] = []  # records of stored events, in the file's order
        self.waiting: list[NewEvent] = []  # citing sources that a later record may give
        self.links: list[tuple[NewEvent, str, str]] = []
        self._indexing = ExitStack()
        self._index: IndexNewEvents | None = None

    def __enter__(self) -> "_Import":
        return self

    def __exit__(self, *_: object) -> None:
        self._triggers_back()

    def _triggers_back(self) -> None:
        self._indexing.close()
        self._index = None

    def _indexed(self) -> IndexNewEvents:
        """What indexes new events, the insert triggers set aside: before they are written."""
        if self._index is None:
            self._index = self._indexing.enter_context(indexed_by_batch(self.session))
        return self._index

    def add(self, batch: Iterable[tuple[int, Any]]) -> None:
        batch = list(batch)
        current = self._current([r.id for _, r in batch if isinstance(r, CsvRow) and r.id])
        valid = []
        for line, record in batch:
            if isinstance(record, CsvRow):
                record = record.record(current.get(record.id or ""))
            try:
                valid.append((line, _validate(self.session, record)))
            except (ValueError, ValidationError) as error:
                self.report.errors.append(_error(line, record, error))
        new: list[NewEvent] = []
        for line, data, stored_id in self._matched(self._with_sources(valid)):
            event_id = event_id_for(data)
            if stored_id is None:
                new.append(NewEvent(line, event_id, data))
            elif self.mode == Mode.create:
                self._refuse(
                    line, event_id, f"event {stored_id or event_id!r} exists already (mode=create)"
                )
            else:
                self.updates.append(NewEvent(line, stored_id or event_id, data))
        named = {c.source_id for n in new for c in n.data.citations}
        stored = set(self.session.exec(select(Source.id).where(col(Source.id).in_(named))).all())
        ready: list[NewEvent] = []
        for record in new:
            cited = all(c.source_id in stored for c in record.data.citations)
            (ready if cited else self.waiting).append(record)
        self._create(ready)
        if len(self.updates) >= BATCH_SIZE:
            self._update(final=False)

    def _current(self, ids: list[str]) -> dict[str, Current]:
        """The stored live events of these ids, as a CSV row changes them."""
        live, _deleted = stored_events(self.session, ids)
        return {
            event_id: Current(
                writable(event), frozenset(c["source"]["url"] for c in event["citations"])
            )
            for event_id, event in live.items()
        }

    def create_waiting(self) -> None:
        """Create the records that cite sources only given further down the file."""
        self._create(self.waiting)

    def finish(self) -> ImportReport:
        """Links, then the updates left: once every new event exists and is indexed."""
        self._triggers_back()
        for problem in add_links(self.session, self.links):
            self._refuse(problem.line, problem.id, problem.problem)
        self.links = []
        self._update(final=True)
        errors = self.report.errors
        if errors:
            errors.sort(key=lambda error: error["line"])
            verb = "is" if len(errors) == 1 else "are"
            raise InvalidRecords(
                f"{len(errors)} of the records {verb} invalid: nothing was imported.", errors=errors
            )
        return self.report

    def _update(self, *, final: bool) -> None:
        """Replace stored events with the records of them gathered. Before the `final`
        round, an update waits (with every later one of its event) while it links to an
        event not yet written, or its event is not yet written or still waits for its own
        links: a record may name an event further down the file."""
        self._triggers_back()  # updates rely on them
        updates, self.updates = self.updates, []
        if not final:
            links = {new.id for new, _target, _relation in self.links}
            named = {new.id for new in updates} | {
                link.event_id for new in updates for link in new.data.links
            }
            live = live_ids(self.session, named)
            waiting: set[str] = set()
            for new in updates:
                targets = {link.event_id for link in new.data.links}
                if new.id in waiting or new.id in links or not {new.id, *targets} <= live:
                    waiting.add(new.id)
                    self.updates.append(new)
            updates = [new for new in updates if new.id not in waiting]
        for batch in _rounds(updates):
            changed, problems = replace_events(
                self.session, batch, key_name=self.key_name, now=utcnow()
            )
            for problem in problems:
                self._refuse(problem.line, problem.id, problem.problem)
            self.report.updated += len(changed)
            self.report.unchanged += len(batch) - len(changed) - len(problems)

    def _refuse(self, line: int, event_id: str | None, problem: str) -> None:
        self.report.errors.append({"line": line, "id": event_id, "problem": problem})

    def _with_sources(
        self, records: list[tuple[int, EventCreate]]
    ) -> list[tuple[int, EventCreate]]:
        """The records with every source given whole stored, and cited by its id."""
        stored, problems = store_sources(self.session, records)
        for problem in problems:
            self._refuse(problem.line, problem.id, problem.problem)
        return stored

    def _matched(
        self, records: list[tuple[int, EventCreate]]
    ) -> Iterator[tuple[int, EventCreate, str | None]]:
        """Each record with the stored event it is: same id, or else the same external id."""
        ids = {event_id_for(data) for _, data in records}
        found = self.session.exec(
            select(Event.id, Event.deleted_at).where(col(Event.id).in_(ids))
        ).all()
        stored = {event_id for event_id, _ in found}
        deleted = {event_id for event_id, deleted_at in found if deleted_at is not None}
        held = external_ids_held(self.session, [data for _, data in records])
        seen: set[str] = set()
        for line, data in records:
            event_id = event_id_for(data)
            if event_id in deleted:
                self._refuse(
                    line,
                    event_id,
                    f"event {event_id!r} is deleted: restore it first "
                    f"(POST /v1/events/{event_id}/restore), then import it",
                )
            elif event_id in stored or event_id in seen:
                yield line, data, event_id
            else:
                holders = [held[item] for item in data.external_ids.items() if item in held]
                yield line, data, holders[0] if holders else None
            seen.add(event_id)

    def _create(self, new: list[NewEvent]) -> None:
        if not new:
            return
        index = self._indexed()
        problems = create_events(self.session, new, key_name=self.key_name, now=utcnow())
        refused = {problem.line for problem in problems}
        for problem in problems:
            self._refuse(problem.line, problem.id, problem.problem)
        created = [n for n in new if n.line not in refused]
        index([n.id for n in created])
        self.report.created += len(created)
        self.links += [
            (n, link.event_id, link.relation.value) for n in created for link in n.data.links
        ]


def _rounds(updates: list[NewEvent]) -> Iterator[list[NewEvent]]:
    """The updates in batches, each naming an event once: a record's second update of an
    event comes in a later batch than its first, as in the file."""
    rounds: list[list[NewEvent]] = []
    seen: dict[str, int] = {}
    for update in updates:
        at = seen[update.id] = seen.get(update.id, -1) + 1
        if at == len(rounds):
            rounds.append([])
        rounds[at].append(update)
    for batch in rounds:
        yield from _batches(batch, BATCH_SIZE)


# What an exported event holds besides the fields of EventCreate, so that an export imports
# back as it is: what the server keeps (linked_from is the other events' links), ignored, and
# what the server derives from the record, checked against it.
SERVER_KEPT = frozenset({"linked_from", "version", "created_at", "updated_at"})
DERIVED = ("date_lower", "date_upper", "date_precision", "status")


def _validate(session: Session, record: Any) -> EventCreate:
    if isinstance(record, Exception):
        raise ValueError(str(record))
    if not isinstance(record, dict):
        raise ValueError("each record is a JSON object")
    derived = {name: record[name] for name in DERIVED if name in record}
    record = {k: v for k, v in record.items() if k not in SERVER_KEPT and k not in derived}
    citations = record.get("citations")
    if isinstance(citations, list):
        record["citations"] = [_cite_by_url(session, _unversioned(c)) for c in citations]
    data = EventCreate.model_validate(record)
    _check_derived(data, derived)
    return data


def _unversioned(citation: Any) -> Any:
    """An exported citation's source without its `version`, which its server keeps."""
    if isinstance(citation, dict) and isinstance(citation.get("source"), dict):
        return citation | {
            "source": {k: v for k, v in citation["source"].items() if k != "version"}
        }
    return citation


def _check_derived(data: EventCreate, given: dict[str, Any]) -> None:
    """Refuse derived fields that the record contradicts (a date_lower not of its date)."""
    if not given:
        return
    bounds = span(data.date, data.end_date)
    derived = {
        "date_lower": bounds.lower.isoformat(),
        "date_upper": bounds.upper.isoformat(),
        "date_precision": bounds.precision.value,
        "status": derive_status([c.stance for c in data.citations]).value,
    }
    dates = f"date {data.date!r}" + (f" to end_date {data.end_date!r}" if data.end_date else "")
    problems = [
        f"{name}: {value!r} is not what "
        + ("the citations' stances give" if name == "status" else f"{dates} gives")
        + f" ({derived[name]!r}); leave it out or correct it"
        for name, value in given.items()
        if value != derived[name]
    ]
    if problems:
        raise ValueError("; ".join(problems))


def _cite_by_url(session: Session, citation: Any) -> Any:
    """CSV names sources by URL: they must exist already (a CSV cell can't hold a source)."""
    if not isinstance(citation, dict) or "source_url" not in citation:
        return citation
    source = find_by_url(session, str(citation["source_url"]))
    if source is None:
        raise ValueError(
            f"unknown source URL {citation['source_url']!r}: create the source first, "
            "or import JSON that gives the whole source"
        )
    rest = {k: v for k, v in citation.items() if k != "source_url"}
    return rest | {"source_id": source.id}


def _error(line: int, record: Any, error: Exception) -> dict[str, Any]:
    record_id = record.get("id") if isinstance(record, dict) else None
    if isinstance(error, ValidationError):
        problem = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        )
    else:
        problem = str(error)
    return {"line": line, "id": record_id, "problem": problem}
