"""What the sync and async clients share: each endpoint as a request and a parser, retries."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import Any, Generic, Protocol, TypedDict, TypeVar
from urllib.parse import quote

import httpx

from dyad_client import errors
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

T = TypeVar("T")
Scalar = str | int | float | bool | date | datetime
Value = Scalar | Sequence[Scalar] | None
Params = list[tuple[str, str]]


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


Output = str | PathLike[str] | Writable

VERSION = "0.1.0"
DEFAULT_TIMEOUT = 30.0
EXPORT_FORMATS = ("csv", "ndjson", "ics", "timelinejs")
IMPORT_TYPES = {
    ".json": "application/json",
    ".ndjson": "application/x-ndjson",
    ".jsonl": "application/x-ndjson",
    ".csv": "text/csv",
}


class CommonFilters(TypedDict, total=False):
    """The event filters but `country`: those of `relations(country, ...)`."""

    q: str
    dyad: str
    actor: str | Sequence[str]
    type: str | Sequence[str]
    tag: str | Sequence[str]
    source: str | Sequence[str]
    publisher: str | Sequence[str]
    status: str | Sequence[str]
    from_: str | int | date
    to: str | int | date
    tone_min: float
    tone_max: float
    updated_since: str | datetime


class EventFilters(CommonFilters, total=False):
    """The filters of `GET /v1/events`, shared by the timeline, relations and exports.

    `from_` is sent as `from`; a list means any of its values (OR), filters combine with AND.
    """

    country: str | Sequence[str]


@dataclass(frozen=True)
class Retry:
    """How 429 and 503 answers are retried."""

    max_retries: int = 3
    backoff: float = 0.5  # the first wait when the server names none; it doubles each time
    max_wait: float = 60.0  # a longer Retry-After is not waited for: the error is raised

    def delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to give up."""
        if response.status_code not in (429, 503) or attempt >= self.max_retries:
            return None
        asked = errors.retry_after(response)
        if asked is None:
            return min(self.backoff * 2.0**attempt, self.max_wait)
        return asked if asked <= self.max_wait else None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request to the API and how to read its answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Params = field(default_factory=list)
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        return http.build_request(
            self.method,
            self.path,
            params=tuple(self.params),
            json=self.json,
            content=self.content,
            headers=self.headers,
        )


def headers(api_key: str | None) -> dict[str, str]:
    sent = {"User-Agent": f"dyad-client/{VERSION} httpx/{httpx.__version__}"}
    if api_key:
        sent["Authorization"] = f"Bearer {api_key}"
    return sent


def target(event: Event | str, version: int | None) -> tuple[str, int | None]:
    """The id of an event given as an Event or an id, and the version to send in If-Match."""
    if isinstance(event, Event):
        return event.id, event.version if version is None else version
    return event, version


@contextmanager
def output(file: Output) -> Iterator[Writable]:
    """Where to write bytes: `file` itself, or the path opened (and closed after)."""
    if isinstance(file, str | PathLike):
        with open(file, "wb") as opened:
            yield opened
    else:
        yield file


def base_url(url: str) -> str:
    """The server's root: `http://host:8000/v1/` and `http://host:8000` are the same server."""
    return url.rstrip("/").removesuffix("/v1")


def params(values: Mapping[str, Any]) -> Params:
    """Query parameters: None left out, lists repeated, `from_` as `from`, booleans lower case."""
    pairs: Params = []
    for name, value in values.items():
        if value is None:
            continue
        items = value if isinstance(value, list | tuple | set | frozenset) else [value]
        pairs.extend((name.rstrip("_"), _text(item)) for item in items)
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _json(build: Callable[[Any], T]) -> Callable[[httpx.Response], T]:
    return lambda response: build(response.json())


def _list(build: Callable[[Any], T], key: str | None = None) -> Callable[[httpx.Response], list[T]]:
    def parse(response: httpx.Response) -> list[T]:
        body = response.json()
        return [build(item) for item in (body[key] if key else body)]

    return parse


def _page(build: Callable[[Any], T]) -> Callable[[httpx.Response], Page[T]]:
    def parse(response: httpx.Response) -> Page[T]:
        body = response.json()
        items = [build(item) for item in body["items"]]
        return Page(items, body.get("next_cursor"), body.get("total"))

    return parse


def etag(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


# --- the endpoints ------------------------------------------------------------------


def events_page(
    filters: EventFilters, *, sort: str | None, limit: int, cursor: str | None
) -> Call[Page[Event]]:
    query = params({**filters, "sort": sort, "limit": limit, "cursor": cursor})
    return Call("GET", "/v1/events", _page(Event.from_json), query)


def count(filters: EventFilters) -> Call[int]:
    query = params({**filters, "limit": 1, "include_total": True, "fields": "id"})
    return Call("GET", "/v1/events", lambda response: int(response.json()["total"]), query)


def export(
    format: str, filters: EventFilters, *, sort: str | None, fields: str | Sequence[str] | None
) -> Call[None]:
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    if fields is not None and not isinstance(fields, str):
        fields = ",".join(fields)
    query = params({**filters, "format": format, "sort": sort, "fields": fields})
    return Call("GET", "/v1/events", lambda response: None, query)


def event(event_id: str, as_of: str | datetime | None) -> Call[Event]:
    query = params({"as_of": as_of})
    return Call("GET", f"/v1/events/{_segment(event_id)}", _json(Event.from_json), query)


def revisions(event_id: str) -> Call[list[Change]]:
    return Call("GET", f"/v1/events/{_segment(event_id)}/revisions", _list(Change.from_json))


def citation(event_id: str, style: str) -> Call[str]:
    path = f"/v1/events/{_segment(event_id)}/citation"
    return Call("GET", path, lambda response: response.text, params({"style": style}))


def timeline(filters: EventFilters, bucket: str) -> Call[Timeline]:
    query = params({**filters, "bucket": bucket})
    return Call("GET", "/v1/timeline", _json(Timeline.from_json), query)


def relation(a: str, b: str | None, filters: EventFilters) -> Call[Relation]:
    pair = a if b is None else f"{a}-{b}"
    path = f"/v1/relations/{_segment(pair)}"
    return Call("GET", path, _json(Relation.from_json), params(dict(filters)))


def relations(country: str, filters: CommonFilters) -> Call[list[Partner]]:
    query = params({**filters, "country": country})
    return Call("GET", "/v1/relations", _list(Partner.from_json, "partners"), query)


def actors_page(filters: Mapping[str, Value], limit: int, cursor: str | None) -> Call[Page[Actor]]:
    query = params({**filters, "limit": limit, "cursor": cursor})
    return Call("GET", "/v1/actors", _page(Actor.from_json), query)


def actor(actor_id: str) -> Call[Actor]:
    return Call("GET", f"/v1/actors/{_segment(actor_id)}", _json(Actor.from_json))


def sources_page(
    filters: Mapping[str, Value], limit: int, cursor: str | None
) -> Call[Page[Source]]:
    query = params({**filters, "limit": limit, "cursor": cursor})
    return Call("GET", "/v1/sources", _page(Source.from_json), query)


def source(source_id: str) -> Call[SourceWithEvents]:
    path = f"/v1/sources/{_segment(source_id)}"
    return Call("GET", path, _json(SourceWithEvents.from_json))


def countries() -> Call[list[Country]]:
    return Call("GET", "/v1/countries", _list(Country.from_json))


def event_types() -> Call[list[EventType]]:
    return Call("GET", "/v1/event-types", _list(EventType.from_json))


def tags() -> Call[list[Tag]]:
    return Call("GET", "/v1/tags", _list(Tag.from_json))


def changes_page(since: str | None, limit: int) -> Call[Page[Change]]:
    query = params({"since": since, "limit": limit})
    return Call("GET", "/v1/changes", _page(Change.from_json), query)


def create_event(data: Mapping[str, Any]) -> Call[Event]:
    return Call("POST", "/v1/events", _json(Event.from_json), json=dict(data))


def update_event(event_id: str, changes: Mapping[str, Any], version: int) -> Call[Event]:
    headers = {"Content-Type": "application/merge-patch+json", **etag(version)}
    path = f"/v1/events/{_segment(event_id)}"
    return Call("PATCH", path, _json(Event.from_json), json=dict(changes), headers=headers)


def delete_event(event_id: str, version: int) -> Call[None]:
    path = f"/v1/events/{_segment(event_id)}"
    return Call("DELETE", path, lambda response: None, headers=etag(version))


def restore_event(event_id: str, version: int | None) -> Call[Event]:
    path = f"/v1/events/{_segment(event_id)}/restore"
    headers = etag(version) if version is not None else {}
    return Call("POST", path, _json(Event.from_json), headers=headers)


# How a public dataset's file is sent (with `format`): by its suffix, else as text.
DATASET_TYPES = {
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".csv": "text/csv",
}


def import_file(
    path: str | Path, dry_run: bool, mode: str, format: str | None = None, strict: bool = False
) -> Call[ImportResult]:
    file = Path(path)
    if format is None:
        media_type = IMPORT_TYPES.get(file.suffix.lower(), "application/json")
    else:
        media_type = DATASET_TYPES.get(file.suffix.lower(), "text/tab-separated-values")
    query = {"dry_run": dry_run, "mode": mode, "format": format, "strict": strict or None}
    # Read whole: an import is one request of bounded size, and a retry must resend it.
    return Call(
        "POST",
        "/v1/imports",
        _json(ImportResult.from_json),
        params(query),
        content=file.read_bytes(),
        headers={"Content-Type": media_type},
    )
