"""Importing a public dataset's files: rows to event bodies, fed to the import path.

Each file is read as it streams: its rows become event bodies (app.datasets.<format>), the
actors they name are created batch by batch, and the bodies go through
app.imports.service.import_records, the path of every import, so that a re-import matches
events by their ids (made from the dataset's own) and changes nothing. A row that makes no
event is counted by reason and never aborts the file, unless `strict`: then the first one
aborts it, and the caller rolls the transaction back.
"""

import csv
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from itertools import chain, islice
from typing import IO, Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.actors.service import ensure_actors
from app.core.errors import DyadError
from app.datasets import acled, gdelt, icews, polecat
from app.datasets.codes import Reason
from app.datasets.merging import add_citations, merged, stamps, with_additions
from app.datasets.models import DatasetFormat
from app.datasets.rows import Row, Skipped, open_text
from app.events.create import held_by, live_ids
from app.events.models import MAX_CITATIONS, Citation, Event
from app.events.public import EventDict, stored_events
from app.events.writes import delete_event, writable
from app.imports.models import Mode
from app.imports.service import BATCH_SIZE, import_records
from app.sources.models import Source, normalise_url

READERS = {
    DatasetFormat.gdelt: gdelt.read,
    DatasetFormat.polecat: polecat.read,
    DatasetFormat.icews: icews.read,
    DatasetFormat.acled: acled.read,
}

# Which files of a folder a format reads: a GDELT day's folder holds both kinds of file.
IN_FOLDERS: dict[DatasetFormat, Callable[[str], bool]] = {
    DatasetFormat.gdelt: lambda name: ".export." in name.lower(),
    DatasetFormat.gdelt_mentions: lambda name: ".mentions." in name.lower(),
}


def in_folders(fmt: DatasetFormat) -> Callable[[str], bool]:
    return IN_FOLDERS.get(fmt, lambda name: not name.endswith(".part"))


# Unparsable lines listed one by one in a report; past this many they are only counted.
LISTED = 100


@dataclass
class DatasetReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    unparsable: list[dict[str, Any]] = field(default_factory=list)
    on_row: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def read(self, rows: int = 1) -> None:
        self.rows += rows
        if self.on_row is not None:
            for _ in range(rows):
                self.on_row()

    def skip(self, name: str, skipped: Skipped) -> None:
        self.skipped[skipped.reason.value] = self.skipped.get(skipped.reason.value, 0) + 1
        if skipped.reason == Reason.unparsable and len(self.unparsable) < LISTED:
            self.unparsable.append({"file": name, "line": skipped.line, "problem": skipped.detail})


class UnreadableFile(DyadError):
    """A broken archive (.zip, .gz) or a file that can't be read."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class StrictStop(DyadError):
    """--strict: a row made no event, so nothing of the file was imported."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


def import_dataset(
    session: Session,
    fmt: DatasetFormat,
    files: Iterable[tuple[str, IO[bytes]]],
    *,
    strict: bool = False,
    mode: Mode = Mode.upsert,
    key_name: str | None = None,
    on_row: Callable[[], None] | None = None,
) -> DatasetReport:
    """Import every file of `files` in the session's transaction; the caller commits.

    `on_row` is called for each row read (a progress bar's advance).
    """
    report = DatasetReport(on_row=on_row)
    try:
        _import_files(session, fmt, files, report, strict, mode, key_name)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as error:
        raise UnreadableFile(f"The file can't be read: {error}; nothing was imported.") from None
    return report


# Formats whose rows report one real event many times (GDELT, POLECAT): rows of the same
# day, countries, type and actors share an event id (app.datasets.rows.group_id), and become
# one event citing every article. The first row seen gives the event's text; later rows,
# in the same file or another, add their citations. ICEWS and ACLED rows stay one event each.
MERGED = frozenset({DatasetFormat.gdelt, DatasetFormat.polecat})


def _import_files(
    session: Session,
    fmt: DatasetFormat,
    files: Iterable[tuple[str, IO[bytes]]],
    report: DatasetReport,
    strict: bool,
    mode: Mode,
    key_name: str | None,
) -> None:
    """Each file batch by batch: a batch is written before the next is read, so that rows
    of one event in two batches find it stored."""
    pending = _Additions()
    for name, stream in files:
        text = open_text(stream)
        if fmt == DatasetFormat.gdelt_mentions:
            for mentions in _batches(_counted(name, gdelt.mentions(text), report, strict)):
                records = _mentioned(session, name, mentions, report)
                _write(session, records, report, mode, key_name)
            continue
        if fmt == DatasetFormat.acled:
            header = next(text, "")
            lines: Iterable[str] = chain([header], text)
            if acled.is_deletions(next(csv.reader([header]), [])):
                _delete(session, name, acled.deleted_ids(lines), report, key_name)
                continue
            parsed = acled.read(lines)
        else:
            parsed = READERS[fmt](text)
        for batch in _batches(_counted(name, parsed, report, strict)):
            additions = pending if fmt in MERGED else None
            if additions is not None:
                batch = merged(batch, partial(_full, report, name))
            rows = _kept(session, name, batch, report, additions)
            ensure_actors(session, [body for row in rows for body in row.actors])
            _write(session, [(row.line, row.body) for row in rows], report, mode, key_name)
            if len(pending.records) >= BATCH_SIZE or pending.added >= 10 * BATCH_SIZE:
                _write(session, pending.taken(), report, mode, key_name)
    _write(session, pending.taken(), report, mode, key_name)


@dataclass
class _Additions:
    """The sources that rows cite for stored events, gathered over batches and files and
    written once per event: a GDELT day reports one event again in many of its 96 files,
    and each update is a new version. At most BATCH_SIZE events, and 10 * BATCH_SIZE
    citations, wait at a time: memory stays bounded however long the import."""

    records: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    cited: dict[str, set[str]] = field(default_factory=dict)
    added: int = 0  # citations gathered: at most 10 * BATCH_SIZE wait
    unchanged: set[str] = field(default_factory=set)  # the events counted unchanged

    def add(self, line: int, event: EventDict, body: dict[str, Any]) -> tuple[bool, int]:
        """Gather what `body` cites that `event` does not, as room allows (MAX_CITATIONS):
        whether anything is, and how many found no room."""
        event_id = event["id"]
        waiting = event_id in self.records
        if not waiting:
            self.records[event_id] = (line, writable(event))
            self.cited[event_id] = {citation["source"]["url"] for citation in event["citations"]}
        record, cited = self.records[event_id][1], self.cited[event_id]
        before = len(record["citations"])
        left_out = 0
        for citation in body["citations"]:
            url = normalise_url(citation["source"]["url"])
            if url not in cited and len(record["citations"]) >= MAX_CITATIONS:
                left_out += 1
            elif url not in cited:
                cited.add(url)
                record["citations"].append(citation)
                self.added += 1
        if waiting or len(record["citations"]) > before:
            return True, left_out
        del self.records[event_id], self.cited[event_id]
        return False, left_out

    def taken(self) -> list[tuple[int, dict[str, Any]]]:
        records = list(self.records.values())
        self.records, self.cited, self.added = {}, {}, 0
        return records


def _batches(items: Iterator[Any]) -> Iterator[list[Any]]:
    while batch := list(islice(items, BATCH_SIZE)):
        yield batch


def _write(
    session: Session,
    records: list[tuple[int, dict[str, Any]]],
    report: DatasetReport,
    mode: Mode,
    key_name: str | None,
) -> None:
    result = import_records(session, records, mode=mode, key_name=key_name)
    report.created += result.created
    report.updated += result.updated
    report.unchanged += result.unchanged


def _counted(
    name: str, parsed: Iterable[Any], report: DatasetReport, strict: bool
) -> Iterator[Any]:
    """The rows that make something; the others counted, or with `strict` the end."""
    for item in parsed:
        report.read()
        if isinstance(item, Skipped):
            if strict:
                raise StrictStop(
                    f"{name}, line {item.line}: {item.reason}"
                    + (f" ({item.detail})" if item.detail else "")
                    + "; nothing was imported (strict)."
                )
            report.skip(name, item)
            continue
        yield item


def _kept(
    session: Session,
    name: str,
    batch: list[Row],
    report: DatasetReport,
    additions: _Additions | None,
) -> list[Row]:
    """The rows to import, those of stored events with what was added to them since.

    A row older than the stored event (ACLED's timestamp) is skipped. A re-import rewrites
    what the dataset gives, but keeps the citations (a mention, a curator's source), tags
    and links added to the event since: the row's own citations come first, then those of
    other sources. For merged formats the stored event is kept as it is, and the row only
    adds the sources it cites that the event does not, gathered in `additions`. A row of an
    event deleted in Dyad (by an ACLED deletions list, or by hand) is skipped: a re-import
    never brings it back.
    """
    live, deleted = stored_events(session, [row.body["id"] for row in batch])
    kept = []
    for row in batch:
        event_id = row.body["id"]
        if event_id in deleted:
            report.skip(name, Skipped(row.line, Reason.deleted, event_id))
            continue
        if event_id in live:
            newest = max(stamps(live[event_id]), default=None)
            if row.stamp is not None and newest is not None and row.stamp < newest:
                report.skip(name, Skipped(row.line, Reason.older, event_id))
                continue
            if additions is not None:
                added, left_out = additions.add(row.line, live[event_id], row.body)
                for _ in range(left_out):
                    _full(report, name, row.line, event_id)
                if not added:
                    # Nothing new: spare the import its comparison, and count the event once.
                    report.unchanged += event_id not in additions.unchanged
                    additions.unchanged.add(event_id)
                continue
            else:
                row.body = with_additions(row.body, live[event_id])
        kept.append(row)
    return kept


def _full(report: DatasetReport, name: str, line: int, event_id: str) -> None:
    """A source that a row cites for an event citing MAX_CITATIONS already: counted, not cited
    (each GDELT row cites one article)."""
    report.skip(name, Skipped(line, Reason.full, event_id))


def _stored(
    session: Session, scheme: str, values: Iterable[str], *, live: bool = True
) -> dict[str, str]:
    """external id value -> the event holding it (if `live`, not deleted), for one scheme."""
    held = held_by(session, ((scheme, value) for value in values))
    kept = live_ids(session, set(held.values())) if live else set(held.values())
    return {value: event_id for (_scheme, value), event_id in held.items() if event_id in kept}


def _mentioned(
    session: Session, name: str, batch: list[Any], report: DatasetReport
) -> list[tuple[int, dict[str, Any]]]:
    """Stored GDELT events as whole records with the articles that mention them added.

    An article already cited is not cited twice, so a re-import changes nothing; a mention
    of an event that was not imported (no two countries, no type, another day's file) is
    counted, not an error.
    """
    held = _mentioned_events(session, batch)
    events, _deleted = stored_events(session, held.values())
    records: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, gdelt_id, citation in batch:
        event_id = held.get(gdelt_id)
        if event_id is None:
            report.skip(name, Skipped(line, Reason.not_found, gdelt_id))
            continue
        if event_id not in records:
            records[event_id] = (line, writable(events[event_id]))
            records[event_id][1]["citations"] = [
                c | {"source": {"url": p["source"]["url"]}}
                for c, p in zip(
                    records[event_id][1]["citations"], events[event_id]["citations"], strict=True
                )
            ]
        if add_citations(records[event_id][1], [citation], join=False):
            _full(report, name, line, event_id)
    return [(line, _by_id(record)) for line, record in records.values()]


def _by_id(record: dict[str, Any]) -> dict[str, Any]:
    """Citations of stored sources by id again (they carried their URL to be compared)."""
    citations = [
        {k: v for k, v in c.items() if k != "source"} if "source_id" in c else c
        for c in record["citations"]
    ]
    return record | {"citations": citations}


def _mentioned_events(session: Session, batch: list[Any]) -> dict[str, str]:
    """GLOBALEVENTID -> the live event made of its row.

    By the event's external id, the first row's; a row merged into another's event is found
    through the articles its mentions name (the one it was coded from among them): the
    event citing one of them with the row's GLOBALEVENTID in the locator. Both ways go by
    indexed columns (external ids, source URLs), never a scan of every citation.
    """
    wanted = {gdelt_id for _line, gdelt_id, _citation in batch}
    found = _stored(session, "gdelt", wanted)
    urls = sorted(
        {normalise_url(c["source"]["url"]) for _line, gdelt_id, c in batch if gdelt_id not in found}
    )
    for start in range(0, len(urls), 1000):
        rows = session.execute(
            select(col(Citation.locator), col(Citation.event_id))
            .join(Source, col(Source.id) == col(Citation.source_id))
            .join(Event, col(Event.id) == col(Citation.event_id))
            .where(col(Source.url).in_(urls[start : start + 1000]), col(Event.deleted_at).is_(None))
        )
        for locator, event_id in rows:
            for part in (locator or "").split("; "):
                gdelt_id = part.removeprefix("GLOBALEVENTID ")
                if part != gdelt_id and gdelt_id in wanted:
                    found.setdefault(gdelt_id, event_id)
    return found


def _delete(
    session: Session,
    name: str,
    ids: Iterable[tuple[int, str]],
    report: DatasetReport,
    key_name: str | None,
) -> None:
    """Soft-delete the ACLED events of a deletions list; ids not imported are counted."""
    pending = iter(ids)
    while batch := list(islice(pending, BATCH_SIZE)):
        report.read(len(batch))
        values = [value for _line, value in batch]
        held = _stored(session, "acled", values)
        known = _stored(session, "acled", values, live=False)
        for line, value in batch:
            if value in held:
                delete_event(session, held.pop(value), if_match=None, key_name=key_name)
                report.deleted += 1
            else:
                reason = Reason.deleted if value in known else Reason.not_found
                report.skip(name, Skipped(line, reason, value))
