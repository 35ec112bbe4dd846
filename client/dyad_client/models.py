"""The API's resources as dataclasses, built from its JSON (fields it adds later are ignored)."""

from dataclasses import asdict, dataclass, field
from datetime import date as Date
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from dyad_client.records import dataframe

if TYPE_CHECKING:
    import pandas

T = TypeVar("T")
Json = dict[str, Any]


def _day(value: str | None) -> Date | None:
    return Date.fromisoformat(value) if value else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _joined(values: list[str]) -> str:
    return ";".join(values)


@dataclass(frozen=True)
class Source:
    """An article, statement or report that events cite."""

    id: str
    url: str
    title: str
    publisher: str | None = None
    author: str | None = None
    published: str | None = None
    kind: str = "other"
    language: str | None = None
    archive_url: str | None = None
    version: int = 1
    citation_count: int | None = None  # only in lists and in `source()`

    @classmethod
    def from_json(cls, data: Json) -> "Source":
        return cls(
            id=data["id"],
            url=data["url"],
            title=data["title"],
            publisher=data.get("publisher"),
            author=data.get("author"),
            published=data.get("published"),
            kind=data.get("kind", "other"),
            language=data.get("language"),
            archive_url=data.get("archive_url"),
            version=data.get("version", 1),
            citation_count=data.get("citation_count"),
        )

    def to_record(self) -> Json:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A source behind an event: `stance` is `supports` or `disputes`."""

    source: Source
    stance: str
    quote: str | None
    locator: str | None

    @classmethod
    def from_json(cls, data: Json) -> "Citation":
        return cls(
            source=Source.from_json(data["source"]),
            stance=data["stance"],
            quote=data.get("quote"),
            locator=data.get("locator"),
        )


@dataclass(frozen=True)
class EventActor:
    """An actor as it takes part in an event, with its `role`."""

    id: str
    name: str
    kind: str
    country: str | None
    role: str

    @classmethod
    def from_json(cls, data: Json) -> "EventActor":
        return cls(data["id"], data["name"], data["kind"], data.get("country"), data["role"])


@dataclass(frozen=True)
class Location:
    name: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None

    @classmethod
    def from_json(cls, data: Json) -> "Location":
        return cls(data.get("name"), data.get("country"), data.get("lat"), data.get("lon"))


@dataclass(frozen=True)
class Link:
    """A typed link to another event: responds_to, denies, follows, part_of, same_as."""

    event_id: str
    relation: str

    @classmethod
    def from_json(cls, data: Json) -> "Link":
        return cls(data["event_id"], data["relation"])


@dataclass(frozen=True)
class Event:
    """A dated event between countries, with its actors, citations and links."""

    id: str
    title: str
    summary: str | None
    date: str
    end_date: str | None
    date_lower: Date
    date_upper: Date
    date_precision: str
    countries: list[str]
    type: str
    tone: float | None
    tags: list[str]
    location: Location | None
    actors: list[EventActor]
    citations: list[Citation]
    status: str
    links: list[Link]
    linked_from: list[Link]
    external_ids: dict[str, str]
    version: int
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_json(cls, data: Json) -> "Event":
        location = data.get("location")
        return cls(
            id=data["id"],
            title=data["title"],
            summary=data.get("summary"),
            date=data["date"],
            end_date=data.get("end_date"),
            date_lower=Date.fromisoformat(data["date_lower"]),
            date_upper=Date.fromisoformat(data["date_upper"]),
            date_precision=data["date_precision"],
            countries=list(data["countries"]),
            type=data["type"],
            tone=data.get("tone"),
            tags=list(data.get("tags", [])),
            location=Location.from_json(location) if location else None,
            actors=[EventActor.from_json(item) for item in data.get("actors", [])],
            citations=[Citation.from_json(item) for item in data.get("citations", [])],
            status=data["status"],
            links=[Link.from_json(item) for item in data.get("links", [])],
            # Revisions store the event without the links other events make to it.
            linked_from=[Link.from_json(item) for item in data.get("linked_from", [])],
            external_ids=dict(data.get("external_ids", {})),
            version=data["version"],
            created_at=_time(data.get("created_at")),
            updated_at=_time(data.get("updated_at")),
        )

    @property
    def supporting(self) -> list[Citation]:
        """The citations whose source supports the event."""
        return [citation for citation in self.citations if citation.stance == "supports"]

    @property
    def disputing(self) -> list[Citation]:
        """The citations whose source disputes the event."""
        return [citation for citation in self.citations if citation.stance == "disputes"]

    def to_record(self) -> Json:
        """A flat row: lists joined with `;`, the first source's URL, counts of citations."""
        first = self.citations[0].source if self.citations else None
        return {
            "id": self.id,
            "date": self.date,
            "end_date": self.end_date,
            "date_lower": self.date_lower,
            "date_upper": self.date_upper,
            "date_precision": self.date_precision,
            "title": self.title,
            "summary": self.summary,
            "countries": _joined(self.countries),
            "type": self.type,
            "tone": self.tone,
            "tags": _joined(self.tags),
            "actors": _joined([actor.name for actor in self.actors]),
            "location": self.location.name if self.location else None,
            "status": self.status,
            "source_url": first.url if first else None,
            "source_publisher": first.publisher if first else None,
            "supporting": len(self.supporting),
            "disputing": len(self.disputing),
            "version": self.version,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class Actor:
    """A person, government, organisation, media outlet or group."""

    id: str
    name: str
    kind: str
    country: str | None = None
    aliases: list[str] = field(default_factory=list)
    wikidata: str | None = None
    description: str | None = None
    version: int = 1
    event_count: int | None = None

    @classmethod
    def from_json(cls, data: Json) -> "Actor":
        return cls(
            id=data["id"],
            name=data["name"],
            kind=data["kind"],
            country=data.get("country"),
            aliases=list(data.get("aliases", [])),
            wikidata=data.get("wikidata"),
            description=data.get("description"),
            version=data.get("version", 1),
            event_count=data.get("event_count"),
        )

    def to_record(self) -> Json:
        return asdict(self) | {"aliases": _joined(self.aliases)}


@dataclass(frozen=True)
class CitingEvent:
    """An event citing a source, with what the citation says."""

    id: str
    title: str
    date: str
    stance: str
    quote: str | None
    locator: str | None

    @classmethod
    def from_json(cls, data: Json) -> "CitingEvent":
        return cls(
            data["id"],
            data["title"],
            data["date"],
            data["stance"],
            data.get("quote"),
            data.get("locator"),
        )


@dataclass(frozen=True)
class SourceWithEvents(Source):
    """A source and every event that cites it, in the events' date order."""

    events: list[CitingEvent] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Json) -> "SourceWithEvents":
        base = asdict(Source.from_json(data))
        return cls(**base, events=[CitingEvent.from_json(item) for item in data["events"]])


@dataclass(frozen=True)
class TimelineBucket:
    """One period of a timeline: its events counted, their mean tone and types."""

    period: str
    start: Date
    end: Date
    count: int
    tone_mean: float | None
    types: dict[str, int]
    imprecise: int

    @classmethod
    def from_json(cls, data: Json) -> "TimelineBucket":
        return cls(
            period=data["period"],
            start=Date.fromisoformat(data["start"]),
            end=Date.fromisoformat(data["end"]),
            count=data["count"],
            tone_mean=data.get("tone_mean"),
            types=dict(data.get("types", {})),
            imprecise=data.get("imprecise", 0),
        )

    def to_record(self) -> Json:
        types = ";".join(f"{name}={count}" for name, count in self.types.items())
        return asdict(self) | {"types": types}


@dataclass(frozen=True)
class Timeline:
    """Events counted per `bucket` (year, month or day), every period from first to last."""

    bucket: str
    buckets: list[TimelineBucket]

    @classmethod
    def from_json(cls, data: Json) -> "Timeline":
        return cls(data["bucket"], [TimelineBucket.from_json(item) for item in data["buckets"]])

    def to_records(self) -> list[Json]:
        return [bucket.to_record() for bucket in self.buckets]

    def to_dataframe(self) -> "pandas.DataFrame":
        """The buckets as rows of a pandas DataFrame (needs the `pandas` extra)."""
        return dataframe(self.to_records())


@dataclass(frozen=True)
class TopActor:
    id: str
    name: str
    kind: str
    country: str | None
    count: int

    @classmethod
    def from_json(cls, data: Json) -> "TopActor":
        return cls(data["id"], data["name"], data["kind"], data.get("country"), data["count"])


@dataclass(frozen=True)
class Relation:
    """Two countries' events summarised: span, tone, counts by type and year, top actors."""

    countries: list[str]
    count: int
    first_date: Date | None
    last_date: Date | None
    tone_mean: float | None
    by_type: dict[str, int]
    by_year: dict[str, int]
    top_actors: list[TopActor]
    disputed: int

    @classmethod
    def from_json(cls, data: Json) -> "Relation":
        return cls(
            countries=list(data["countries"]),
            count=data["count"],
            first_date=_day(data.get("first_date")),
            last_date=_day(data.get("last_date")),
            tone_mean=data.get("tone_mean"),
            by_type=dict(data.get("by_type", {})),
            by_year=dict(data.get("by_year", {})),
            top_actors=[TopActor.from_json(item) for item in data.get("top_actors", [])],
            disputed=data.get("disputed", 0),
        )


@dataclass(frozen=True)
class Partner:
    """A country sharing events with the one asked about."""

    country: str
    count: int
    first_date: Date
    last_date: Date
    tone_mean: float | None

    @classmethod
    def from_json(cls, data: Json) -> "Partner":
        return cls(
            country=data["country"],
            count=data["count"],
            first_date=Date.fromisoformat(data["first_date"]),
            last_date=Date.fromisoformat(data["last_date"]),
            tone_mean=data.get("tone_mean"),
        )


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    count: int

    @classmethod
    def from_json(cls, data: Json) -> "Country":
        return cls(data["code"], data["name"], data["count"])


@dataclass(frozen=True)
class EventType:
    """A PLOVER event type: verbal or material, cooperative or conflictual."""

    type: str
    description: str
    mode: str
    orientation: str
    count: int

    @classmethod
    def from_json(cls, data: Json) -> "EventType":
        return cls(
            data["type"], data["description"], data["mode"], data["orientation"], data["count"]
        )


@dataclass(frozen=True)
class Tag:
    tag: str
    count: int

    @classmethod
    def from_json(cls, data: Json) -> "Tag":
        return cls(data["tag"], data["count"])


@dataclass(frozen=True)
class Change:
    """One write in the history: create, update, delete or restore, and the event as written."""

    change_id: int
    event_id: str
    version: int
    action: str
    key_name: str | None
    at: datetime
    event: Event

    @classmethod
    def from_json(cls, data: Json) -> "Change":
        return cls(
            change_id=data["change_id"],
            event_id=data["event_id"],
            version=data["version"],
            action=data["action"],
            key_name=data.get("key_name"),
            at=datetime.fromisoformat(data["at"]),
            event=Event.from_json(data["event"]),
        )


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, with dry_run, would do)."""

    created: int
    updated: int
    unchanged: int
    dry_run: bool
    # With `format` (a public dataset's file): rows read, events deleted (an ACLED
    # deletions list), rows skipped by reason and the first unparsable lines.
    rows: int | None = None
    deleted: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    unparsable: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Json) -> "ImportResult":
        return cls(
            data["created"],
            data["updated"],
            data["unchanged"],
            data.get("dry_run", False),
            data.get("rows"),
            data.get("deleted", 0),
            dict(data.get("skipped", {})),
            list(data.get("unparsable", [])),
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; `next_cursor` is None on the last."""

    items: list[T]
    next_cursor: str | None
    total: int | None = None
