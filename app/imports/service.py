"""Bulk import of events from JSON, NDJSON or CSV: one transaction, all or nothing.

Records are matched to stored events by `id`, or else by any of their `external_ids`, so
re-importing a partner's export updates the events it made before instead of duplicating
them. A record equal to what is stored changes nothing and writes no revision.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from typing import Any

import orjson
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app.core.errors import Conflict, DyadError
from app.events.models import Event, EventCreate, EventExternalId
from app.events.writes import create_event, event_id_for, replace_event
from app.sources.service import ensure_source, find_by_url


class Mode(StrEnum):
    upsert = "upsert"
    create = "create"


class InputFormat(StrEnum):
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


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
# CSV columns whose cells hold several values joined with ";".
CSV_LISTS = ("countries", "tags", "actors", "source_ids", "source_urls")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


class InvalidRecords(DyadError):
    """Some records are bad: nothing was written; every bad line is listed."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


def read_records(data: bytes, fmt: InputFormat) -> Iterator[tuple[int, Any]]:
    """(line, record) pairs; a line that can't be read at all yields an Exception."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield 1, ValueError(f"not UTF-8 text: {error}")
        return
    if fmt == InputFormat.json:
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            yield 1, ValueError(f"not valid JSON: {error}")
            return
        if not isinstance(items, list):
            yield 1, ValueError("a JSON import is an array of events")
            return
        yield from enumerate(items, start=1)
    elif fmt == InputFormat.ndjson:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    yield number, orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    yield number, ValueError(f"not valid JSON: {error}")
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
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
            yield reader.line_num, _from_csv(row)


def _from_csv(row: dict[str, str | None]) -> dict[str, Any]:
    """A CSV row (the columns of the CSV export) as an event record."""
    cells = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
    record: dict[str, Any] = {}
    for name in ("id", "title", "summary", "date", "end_date", "type", "tone"):
        if cells.get(name):
            record[name] = cells[name]
    for name in ("countries", "tags"):
        record[name] = _split(cells.get(name))
    record["actors"] = [
        {"id": actor_id, "role": role or "participant"}
        for actor_id, _, role in (item.partition(":") for item in _split(cells.get("actors")))
    ]
    if any(cells.get(f"location_{part}") for part in ("name", "country", "lat", "lon")):
        record["location"] = {
            part: cells.get(f"location_{part}") or None
            for part in ("name", "country", "lat", "lon")
        }
    citations = [{"source_id": source_id} for source_id in _split(cells.get("source_ids"))]
    citations += [{"source_url": url} for url in _split(cells.get("source_urls"))]
    record["citations"] = citations
    record["external_ids"] = {
        name.removeprefix("external_id:"): value
        for name, value in cells.items()
        if name.startswith("external_id:") and value
    }
    return record


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def import_records(
    session: Session,
    records: Iterable[tuple[int, Any]],
    *,
    mode: Mode = Mode.upsert,
    key_name: str | None = None,
) -> ImportReport:
    """Write every record, or none: raises InvalidRecords listing every bad line.

    The caller commits (or, for a dry run, rolls back) the transaction.
    """
    report = ImportReport()
    parsed: list[tuple[int, EventCreate]] = []
    for line, record in records:
        try:
            parsed.append((line, _validate(session, record)))
        except (ValueError, ValidationError) as error:
            report.errors.append(_error(line, record, error))
    # Sources given whole go in first: another record may name them by id, and the link
    # order below may write that record before the one that gives the source.
    for line, data in parsed:
        try:
            with session.begin_nested():
                for citation in data.citations:
                    if citation.source is not None:
                        ensure_source(session, citation.source)
        except DyadError as error:
            report.errors.append({"line": line, "id": event_id_for(data), "problem": error.detail})
    for line, data in _in_link_order(parsed):
        try:
            with session.begin_nested():  # a bad record can't spoil the transaction
                _write(session, data, mode, key_name, report)
        except DyadError as error:
            report.errors.append({"line": line, "id": event_id_for(data), "problem": error.detail})
    if report.errors:
        report.errors.sort(key=lambda error: error["line"])
        raise InvalidRecords(
            f"{len(report.errors)} of the records are invalid: nothing was imported.",
            errors=report.errors,
        )
    return report


def _validate(session: Session, record: Any) -> EventCreate:
    if isinstance(record, Exception):
        raise ValueError(str(record))
    if not isinstance(record, dict):
        raise ValueError("each record is a JSON object")
    citations = record.get("citations")
    if isinstance(citations, list):
        record = record | {"citations": [_cite_by_url(session, c) for c in citations]}
    return EventCreate.model_validate(record)


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


def _write(
    session: Session, data: EventCreate, mode: Mode, key_name: str | None, report: ImportReport
) -> None:
    existing = _match(session, data)
    if existing is None:
        create_event(session, data, key_name=key_name)
        report.created += 1
        return
    if mode == Mode.create:
        raise Conflict(f"event {existing!r} exists already (mode=create)")
    _event, changed = replace_event(
        session,
        existing,
        data.model_copy(update={"id": existing}),
        if_match=None,
        key_name=key_name,
    )
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _match(session: Session, data: EventCreate) -> str | None:
    """The stored event this record is: same id, or else one of the same external ids."""
    event_id = event_id_for(data)
    if session.get(Event, event_id) is not None:
        return event_id
    for scheme, value in data.external_ids.items():
        held_by = session.exec(
            select(EventExternalId.event_id).where(
                col(EventExternalId.scheme) == scheme, col(EventExternalId.value) == value
            )
        ).first()
        if held_by is not None:
            return held_by
    return None


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


def _in_link_order(records: list[tuple[int, EventCreate]]) -> list[tuple[int, EventCreate]]:
    """Records ordered so that an event is written before the events that link to it."""
    pending = dict(enumerate(records))
    ids = {event_id_for(data) for _, data in records}
    ordered: list[tuple[int, EventCreate]] = []
    written: set[str] = set()
    while pending:
        ready = [
            index
            for index, (_, data) in pending.items()
            if all(link.event_id in written or link.event_id not in ids for link in data.links)
        ]
        if not ready:  # a cycle: write the rest in file order; the links will say what's wrong
            ready = list(pending)
        for index in ready:
            ordered.append(pending.pop(index))
            written.add(event_id_for(ordered[-1][1]))
    return ordered
