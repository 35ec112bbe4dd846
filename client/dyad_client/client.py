"""Dyad: the synchronous client."""

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, Unpack

import httpx

from dyad_client import _api, errors
from dyad_client._api import Call, CommonFilters, EventFilters, Value
from dyad_client.models import (
    Actor,
    Change,
    Country,
    Event,
    EventType,
    ImportResult,
    Page,
    Partner,
    Relation,
    Source,
    SourceWithEvents,
    Tag,
    Timeline,
)
from dyad_client.records import Recordable, dataframe

if TYPE_CHECKING:
    import pandas

T = TypeVar("T")
R = TypeVar("R", bound=Recordable)


class Paged(Generic[R]):
    """A lazy list: iterating it fetches one page after another, following the cursors."""

    def __init__(self, fetch: Callable[[str | None], Page[R]]) -> None:
        self._fetch = fetch

    def pages(self) -> Iterator[Page[R]]:
        cursor: str | None = None
        while True:
            page = self._fetch(cursor)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def __iter__(self) -> Iterator[R]:
        for page in self.pages():
            yield from page.items

    def to_list(self) -> list[R]:
        return list(self)

    def to_records(self) -> list[dict[str, Any]]:
        """Every item as a flat dict (see `Event.to_record`)."""
        return [item.to_record() for item in self]

    def to_dataframe(self) -> "pandas.DataFrame":
        """Every item as a row of a pandas DataFrame (needs the `pandas` extra)."""
        return dataframe(self.to_records())


class Dyad:
    """A client of one Dyad server: typed reads, paged lists, exports and writes.

    429 and 503 answers are retried up to `max_retries` times, waiting as the server's
    Retry-After asks (at most `max_wait` seconds) or else `backoff`, doubled each time.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = _api.DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = httpx.Client(
            base_url=_api.base_url(base_url),
            headers=_api.headers(api_key),
            timeout=timeout,
            transport=transport,
        )
        self._retry = _api.Retry(max_retries, backoff, max_wait)
        self._sleep = sleep

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- reading ----------------------------------------------------------------------

    def events(
        self, *, sort: str | None = None, page_size: int = 100, **filters: Unpack[EventFilters]
    ) -> Paged[Event]:
        """Every matching event, fetched lazily page by page.

        `dyad.events(dyad="AZE-IRN", from_=2012, to=2013)`; `sort` is date, -date or -updated.
        """

        def fetch(cursor: str | None) -> Page[Event]:
            call = _api.events_page(filters, sort=sort, limit=page_size, cursor=cursor)
            return self._call(call)

        return Paged(fetch)

    def count(self, **filters: Unpack[EventFilters]) -> int:
        """How many events match."""
        return self._call(_api.count(filters))

    def event(self, event_id: str, *, as_of: str | datetime | None = None) -> Event:
        """One event; with `as_of` (an aware datetime or RFC 3339 text), as it stood then."""
        return self._call(_api.event(event_id, as_of))

    def revisions(self, event_id: str) -> list[Change]:
        """Every version of an event, newest first."""
        return self._call(_api.revisions(event_id))

    def citation(self, event_id: str, *, style: str = "text") -> str:
        """A ready-to-paste citation of the event and its sources (`text` or `markdown`)."""
        return self._call(_api.citation(event_id, style))

    def timeline(self, *, bucket: str = "year", **filters: Unpack[EventFilters]) -> Timeline:
        """The matching events counted per year, month or day."""
        return self._call(_api.timeline(filters, bucket))

    def relation(self, a: str, b: str | None = None, **filters: Unpack[EventFilters]) -> Relation:
        """Two countries' events summarised: `relation("AZE", "IRN")` or `relation("AZE-IRN")`."""
        return self._call(_api.relation(a, b, filters))

    def relations(self, country: str, **filters: Unpack[CommonFilters]) -> list[Partner]:
        """The countries sharing events with `country`, most events first."""
        return self._call(_api.relations(country, filters))

    def actors(
        self,
        *,
        q: str | None = None,
        country: str | Sequence[str] | None = None,
        kind: str | Sequence[str] | None = None,
        page_size: int = 100,
    ) -> Paged[Actor]:
        """Actors by name, fetched lazily page by page."""
        filters: dict[str, Value] = {"q": q, "country": country, "kind": kind}
        return Paged(lambda cursor: self._call(_api.actors_page(filters, page_size, cursor)))

    def actor(self, actor_id: str) -> Actor:
        return self._call(_api.actor(actor_id))

    def sources(
        self,
        *,
        q: str | None = None,
        publisher: str | Sequence[str] | None = None,
        kind: str | Sequence[str] | None = None,
        page_size: int = 100,
    ) -> Paged[Source]:
        """Sources by publisher and title, fetched lazily page by page."""
        filters: dict[str, Value] = {"q": q, "publisher": publisher, "kind": kind}
        return Paged(lambda cursor: self._call(_api.sources_page(filters, page_size, cursor)))

    def source(self, source_id: str) -> SourceWithEvents:
        """One source and every event citing it."""
        return self._call(_api.source(source_id))

    def countries(self) -> list[Country]:
        return self._call(_api.countries())

    def event_types(self) -> list[EventType]:
        return self._call(_api.event_types())

    def tags(self) -> list[Tag]:
        return self._call(_api.tags())

    def changes_page(self, since: str | None = None, *, limit: int = 100) -> Page[Change]:
        """One page of the changes feed; keep its `next_cursor` to ask for what follows."""
        return self._call(_api.changes_page(since, limit))

    def changes(self, since: str | None = None, *, page_size: int = 100) -> Iterator[Change]:
        """Every change after `since` in commit order, until the feed is caught up."""
        while True:
            page = self.changes_page(since, limit=page_size)
            yield from page.items
            if len(page.items) < page_size:
                return
            since = page.next_cursor

    def export(
        self,
        format: str,
        file: _api.Output,
        *,
        sort: str | None = None,
        fields: str | Sequence[str] | None = None,
        progress: Callable[[int], None] | None = None,
        **filters: Unpack[EventFilters],
    ) -> int:
        """Stream every matching event as csv, ndjson, ics or timelinejs to a path or binary
        file, in constant memory; returns the bytes written. `progress` gets the running count."""
        call = _api.export(format, filters, sort=sort, fields=fields)
        written = 0
        with self._stream(call) as response, _api.output(file) as out:
            try:
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    written += len(chunk)
                    if progress is not None:
                        progress(written)
            except httpx.TransportError as error:
                raise errors.NetworkError(f"the export was cut short: {error}") from error
        return written

    # --- writing (an API key with the `write` scope) -------------------------------------

    def create_event(self, event: Mapping[str, Any]) -> Event:
        """Create an event; `Conflict` (409) if its id exists."""
        return self._call(_api.create_event(event))

    def update_event(
        self, event: Event | str, changes: Mapping[str, Any], *, version: int | None = None
    ) -> Event:
        """Merge `changes` into an event (JSON Merge Patch: None clears a field).

        If-Match carries the version you read: that of `event` when it is an Event, else
        `version`, else the version read now. `Conflict` (with `current_version`) if someone
        else wrote since.
        """
        event_id, version = _api.target(event, version)
        if version is None:
            version = self.event(event_id).version
        return self._call(_api.update_event(event_id, changes, version))

    def delete_event(self, event: Event | str, *, version: int | None = None) -> None:
        """Hide an event from reads (its revisions stay); If-Match as for `update_event`."""
        event_id, version = _api.target(event, version)
        if version is None:
            version = self.event(event_id).version
        self._call(_api.delete_event(event_id, version))

    def restore_event(self, event_id: str, *, version: int | None = None) -> Event:
        """Undo a delete."""
        return self._call(_api.restore_event(event_id, version))

    def import_file(
        self,
        path: str | Path,
        *,
        dry_run: bool = False,
        mode: str = "upsert",
        format: str | None = None,
        strict: bool = False,
    ) -> ImportResult:
        """Import a JSON, NDJSON (.ndjson, .jsonl) or CSV file, all or nothing.

        `InvalidInput` lists every bad line in `errors` when any record is refused. With
        `format` (gdelt, gdelt-mentions, polecat, icews or acled) the file, or a .zip or .gz
        of it, is a public dataset's: rows that make no event are counted in `skipped` by
        reason, or with `strict` refuse the file.
        """
        return self._call(_api.import_file(path, dry_run, mode, format, strict))

    # --- sending ------------------------------------------------------------------------

    def _call(self, call: Call[T]) -> T:
        response = self._send(call, stream=False)
        return call.parse(response)

    @contextmanager
    def _stream(self, call: Call[Any]) -> Iterator[httpx.Response]:
        response = self._send(call, stream=True)
        try:
            yield response
        finally:
            response.close()

    def _send(self, call: Call[Any], *, stream: bool) -> httpx.Response:
        request = call.request(self._http)
        attempt = 0
        while True:
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as error:
                raise errors.NetworkError(f"{request.method} {request.url}: {error}") from error
            delay = self._retry.delay(response, attempt)
            if delay is None:
                break
            response.close()
            self._sleep(delay)
            attempt += 1
        if response.is_error:
            response.read()
            response.close()
            raise errors.error_for(response)
        return response
