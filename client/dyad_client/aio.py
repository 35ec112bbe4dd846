"""AsyncDyad: the same client as Dyad, for asyncio code."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
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


class AsyncPaged(Generic[R]):
    """A lazy list: `async for` fetches one page after another, following the cursors."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[R]]]) -> None:
        self._fetch = fetch

    async def pages(self) -> AsyncIterator[Page[R]]:
        cursor: str | None = None
        while True:
            page = await self._fetch(cursor)
            yield page
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def __aiter__(self) -> AsyncIterator[R]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def to_list(self) -> list[R]:
        return [item async for item in self]

    async def to_records(self) -> list[dict[str, Any]]:
        """Every item as a flat dict (see `Event.to_record`)."""
        return [item.to_record() async for item in self]

    async def to_dataframe(self) -> "pandas.DataFrame":
        """Every item as a row of a pandas DataFrame (needs the `pandas` extra)."""
        return dataframe(await self.to_records())


class AsyncDyad:
    """The asyncio twin of `Dyad`: the same methods, to be awaited."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = _api.DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=_api.base_url(base_url),
            headers=_api.headers(api_key),
            timeout=timeout,
            transport=transport,
        )
        self._retry = _api.Retry(max_retries, backoff, max_wait)
        self._sleep = sleep

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- reading ----------------------------------------------------------------------

    def events(
        self, *, sort: str | None = None, page_size: int = 100, **filters: Unpack[EventFilters]
    ) -> AsyncPaged[Event]:
        """Every matching event, fetched lazily page by page (`async for`)."""

        async def fetch(cursor: str | None) -> Page[Event]:
            call = _api.events_page(filters, sort=sort, limit=page_size, cursor=cursor)
            return await self._call(call)

        return AsyncPaged(fetch)

    async def count(self, **filters: Unpack[EventFilters]) -> int:
        return await self._call(_api.count(filters))

    async def event(self, event_id: str, *, as_of: str | datetime | None = None) -> Event:
        return await self._call(_api.event(event_id, as_of))

    async def revisions(self, event_id: str) -> list[Change]:
        return await self._call(_api.revisions(event_id))

    async def citation(self, event_id: str, *, style: str = "text") -> str:
        return await self._call(_api.citation(event_id, style))

    async def timeline(self, *, bucket: str = "year", **filters: Unpack[EventFilters]) -> Timeline:
        return await self._call(_api.timeline(filters, bucket))

    async def relation(
        self, a: str, b: str | None = None, **filters: Unpack[EventFilters]
    ) -> Relation:
        return await self._call(_api.relation(a, b, filters))

    async def relations(self, country: str, **filters: Unpack[CommonFilters]) -> list[Partner]:
        return await self._call(_api.relations(country, filters))

    def actors(
        self,
        *,
        q: str | None = None,
        country: str | Sequence[str] | None = None,
        kind: str | Sequence[str] | None = None,
        page_size: int = 100,
    ) -> AsyncPaged[Actor]:
        filters: dict[str, Value] = {"q": q, "country": country, "kind": kind}
        return AsyncPaged(lambda cursor: self._call(_api.actors_page(filters, page_size, cursor)))

    async def actor(self, actor_id: str) -> Actor:
        return await self._call(_api.actor(actor_id))

    def sources(
        self,
        *,
        q: str | None = None,
        publisher: str | Sequence[str] | None = None,
        kind: str | Sequence[str] | None = None,
        page_size: int = 100,
    ) -> AsyncPaged[Source]:
        filters: dict[str, Value] = {"q": q, "publisher": publisher, "kind": kind}
        return AsyncPaged(lambda cursor: self._call(_api.sources_page(filters, page_size, cursor)))

    async def source(self, source_id: str) -> SourceWithEvents:
        return await self._call(_api.source(source_id))

    async def countries(self) -> list[Country]:
        return await self._call(_api.countries())

    async def event_types(self) -> list[EventType]:
        return await self._call(_api.event_types())

    async def tags(self) -> list[Tag]:
        return await self._call(_api.tags())

    async def changes_page(self, since: str | None = None, *, limit: int = 100) -> Page[Change]:
        return await self._call(_api.changes_page(since, limit))

    async def changes(
        self, since: str | None = None, *, page_size: int = 100
    ) -> AsyncIterator[Change]:
        """Every change after `since` in commit order, until the feed is caught up."""
        while True:
            page = await self.changes_page(since, limit=page_size)
            for change in page.items:
                yield change
            if len(page.items) < page_size:
                return
            since = page.next_cursor

    async def export(
        self,
        format: str,
        file: _api.Output,
        *,
        sort: str | None = None,
        fields: str | Sequence[str] | None = None,
        progress: Callable[[int], None] | None = None,
        **filters: Unpack[EventFilters],
    ) -> int:
        """Stream every matching event to a path or binary file; returns the bytes written."""
        call = _api.export(format, filters, sort=sort, fields=fields)
        written = 0
        async with self._stream(call) as response:
            with _api.output(file) as out:
                try:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
                        written += len(chunk)
                        if progress is not None:
                            progress(written)
                except httpx.TransportError as error:
                    raise errors.NetworkError(f"the export was cut short: {error}") from error
        return written

    # --- writing (an API key with the `write` scope) -------------------------------------

    async def create_event(self, event: Mapping[str, Any]) -> Event:
        return await self._call(_api.create_event(event))

    async def update_event(
        self, event: Event | str, changes: Mapping[str, Any], *, version: int | None = None
    ) -> Event:
        """Merge `changes` into an event with If-Match; `Conflict` if someone wrote since."""
        event_id, version = _api.target(event, version)
        if version is None:
            version = (await self.event(event_id)).version
        return await self._call(_api.update_event(event_id, changes, version))

    async def delete_event(self, event: Event | str, *, version: int | None = None) -> None:
        event_id, version = _api.target(event, version)
        if version is None:
            version = (await self.event(event_id)).version
        await self._call(_api.delete_event(event_id, version))

    async def restore_event(self, event_id: str, *, version: int | None = None) -> Event:
        return await self._call(_api.restore_event(event_id, version))

    async def import_file(
        self,
        path: str | Path,
        *,
        dry_run: bool = False,
        mode: str = "upsert",
        format: str | None = None,
        strict: bool = False,
    ) -> ImportResult:
        return await self._call(_api.import_file(path, dry_run, mode, format, strict))

    # --- sending ------------------------------------------------------------------------

    async def _call(self, call: Call[T]) -> T:
        response = await self._send(call, stream=False)
        return call.parse(response)

    @asynccontextmanager
    async def _stream(self, call: Call[Any]) -> AsyncIterator[httpx.Response]:
        response = await self._send(call, stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    async def _send(self, call: Call[Any], *, stream: bool) -> httpx.Response:
        request = call.request(self._http)
        attempt = 0
        while True:
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as error:
                raise errors.NetworkError(f"{request.method} {request.url}: {error}") from error
            delay = self._retry.delay(response, attempt)
            if delay is None:
                break
            await response.aclose()
            await self._sleep(delay)
            attempt += 1
        if response.is_error:
            await response.aread()
            await response.aclose()
            raise errors.error_for(response)
        return response
