"""Events between countries, what they link to, and their revisions."""

from datetime import date as Date
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Optional

from pydantic import StringConstraints, create_model, model_validator
from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, Relationship, SQLModel

from app.actors.models import Actor, ActorKind
from app.core.countries import CountryCode
from app.core.dates import EdtfDate, Precision
from app.core.db import UTCDateTime, utcnow
from app.core.slugs import Slug, SlugColumn
from app.events.types import EventType
from app.sources.models import Source, SourceCreate, SourcePublic

Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=64, pattern=r"^[^\x00]*$"
    ),
]


class Role(StrEnum):
    initiator = "initiator"
    target = "target"
    participant = "participant"


class Stance(StrEnum):
    supports = "supports"
    disputes = "disputes"


class Relation(StrEnum):
    responds_to = "responds_to"
    denies = "denies"
    follows = "follows"
    part_of = "part_of"
    same_as = "same_as"


class Status(StrEnum):
    unsourced = "unsourced"
    reported = "reported"
    disputed = "disputed"


def _event_fk() -> Any:
    return Column(
        SlugColumn, ForeignKey("event.id", ondelete="CASCADE"), primary_key=True, nullable=False
    )


class EventCountry(SQLModel, table=True):
    __tablename__ = "event_country"
    __table_args__ = (Index("ix_event_country_country_event", "country", "event_id"),)

    event_id: str = Field(sa_column=_event_fk())
    country: str = Field(primary_key=True, max_length=3)


class EventTag(SQLModel, table=True):
    __tablename__ = "event_tag"
    __table_args__ = (Index("ix_event_tag_tag_event", "tag", "event_id"),)

    event_id: str = Field(sa_column=_event_fk())
    tag: str = Field(primary_key=True, max_length=64)


class EventActor(SQLModel, table=True):
    __tablename__ = "event_actor"

    event_id: str = Field(sa_column=_event_fk())
    actor_id: str = Field(foreign_key="actor.id", primary_key=True, index=True, max_length=200)
    role: str = Field(primary_key=True, max_length=16)
    position: int = 0

    actor: Actor = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class Citation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(
        sa_column=Column(
            SlugColumn, ForeignKey("event.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    source_id: str = Field(foreign_key="source.id", index=True, max_length=200)
    stance: str = Field(max_length=16)
    quote: str | None = Field(default=None, sa_type=Text)
    locator: str | None = Field(default=None, max_length=200)

    source: Source = Relationship(sa_relationship_kwargs={"lazy": "joined"})


class EventLink(SQLModel, table=True):
    __tablename__ = "event_link"

    event_id: str = Field(sa_column=_event_fk())
    target_id: str = Field(
        sa_column=Column(
            SlugColumn,
            ForeignKey("event.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
            index=True,
        )
    )
    relation: str = Field(primary_key=True, max_length=16)


class EventExternalId(SQLModel, table=True):
    __tablename__ = "event_external_id"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    event_id: str = Field(sa_column=_event_fk())
    scheme: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=200)


class EventBase(SQLModel):
    title: str = Field(min_length=1, max_length=500)
    summary: str | None = Field(default=None, max_length=20000, sa_type=Text)
    date: str = Field(max_length=16)
    end_date: str | None = Field(default=None, max_length=16)
    type: EventType = Field(sa_type=String(16), index=True)
    tone: float | None = Field(default=None, ge=-10, le=10)


class Event(EventBase, table=True):
    # The documented order of events: date_lower, finer precision first, then id.
    __table_args__ = (Index("ix_event_order", "date_lower", "date_precision", "id"),)

    id: str = Field(sa_column=Column(SlugColumn, primary_key=True))
    date_lower: Date  # indexed by ix_event_order
    date_upper: Date = Field(index=True)
    date_precision: str = Field(max_length=5)
    status: str = Field(default="unsourced", max_length=16, index=True)
    location_name: str | None = Field(default=None, max_length=200)
    location_country: str | None = Field(default=None, max_length=3)
    location_lat: float | None = None
    location_lon: float | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    countries: list[EventCountry] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "EventCountry.country"}
    )
    tags: list[EventTag] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "EventTag.tag"}
    )
    actors: list[EventActor] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "EventActor.position"}
    )
    citations: list[Citation] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Citation.id"}
    )
    links: list[EventLink] = Relationship(
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "foreign_keys": "EventLink.event_id",
            "order_by": "(EventLink.relation, EventLink.target_id)",
        }
    )
    external_ids: list[EventExternalId] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


# The longest span of an event without end_date (2012 is 2012-01-01 to 2012-12-31): events
# longer than that are few, and event_dyad indexes their spans alone.
YEAR_SPAN_DAYS = 365
_LONG = f"span_days > {YEAR_SPAN_DAYS}"


class EventDyad(SQLModel, table=True):
    """The index of live events by pair of countries: a dyad's events in the documented order.

    One row per pair of a live event's countries (country_a < country_b), carrying the event's
    columns that dyad pages, timelines and relations read. Its key is (pair, date_lower,
    date_precision, event_id): a dyad page is a range scan in order, and its cursor continues
    it. Triggers on `event` and `event_country` keep it right in the writer's own transaction,
    whoever writes (migrations/versions/*_event_dyad_index.py); deleted events have no rows.
    """

    __tablename__ = "event_dyad"
    __table_args__ = (
        Index(
            "ix_event_dyad_long_span",
            "country_a",
            "country_b",
            "span_days",
            sqlite_where=text(_LONG),
            postgresql_where=text(_LONG),
        ),
        # SQLite: the table is its key (no rowid), so a dyad's rows lie together, whole.
        {"sqlite_with_rowid": False},
    )

    country_a: str = Field(primary_key=True, max_length=3)
    country_b: str = Field(primary_key=True, max_length=3)
    date_lower: Date = Field(primary_key=True)
    date_precision: str = Field(primary_key=True, max_length=5)
    event_id: str = Field(
        sa_column=Column(
            SlugColumn,
            ForeignKey("event.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
            index=True,  # for the triggers, which find an event's rows
        )
    )
    date_upper: Date
    type: str = Field(sa_type=String(16))
    tone: float | None = None
    status: str = Field(max_length=16)
    # Days from date_lower to date_upper. The longest of a pair (a year, or the longest found
    # by ix_event_dyad_long_span) bounds how long before `from` a match may begin: date_upper
    # is not in the key, date_lower is.
    span_days: int


class DyadMonth(SQLModel, table=True):
    """A dyad's live events counted by month and type: what a dyad's timeline by month or
    year reads, rather than every event of the pair.

    One row per pair, month (of date_lower, as its first day) and type that has events.
    Triggers on event_dyad keep it right in the writer's own transaction, whoever writes
    (migrations/versions/*_dyad_month.py).
    """

    __tablename__ = "dyad_month"
    __table_args__ = ({"sqlite_with_rowid": False},)

    country_a: str = Field(primary_key=True, max_length=3)
    country_b: str = Field(primary_key=True, max_length=3)
    month: Date = Field(primary_key=True)
    type: str = Field(primary_key=True, sa_type=String(16))
    events: int
    # The sum and count of the tones given, for the mean; events without a tone add nothing.
    tone_sum: float
    tone_count: int
    # Events dated to a year only: in a month bucket they count as imprecise.
    year_precision: int


# --- request and response schemas ----------------------------------------------------


class Location(SQLModel):
    name: str | None = Field(default=None, max_length=200)
    country: CountryCode | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class ActorRole(SQLModel):
    id: str = Field(max_length=200)
    role: Role = Role.participant


class CitationCreate(SQLModel):
    """Names its source by `source_id`, or gives it whole (matched on its normalised URL)."""

    source_id: str | None = Field(default=None, max_length=200)
    source: SourceCreate | None = None
    stance: Stance = Stance.supports
    quote: str | None = Field(default=None, max_length=5000)
    locator: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_source(self) -> "CitationCreate":
        if (self.source_id is None) == (self.source is None):
            raise ValueError("give exactly one of source_id or source")
        return self


class Link(SQLModel):
    event_id: str = Field(max_length=200)
    relation: Relation


class EventCreate(EventBase):
    model_config = {"extra": "forbid"}

    id: Slug | None = None
    date: EdtfDate
    end_date: EdtfDate | None = None
    countries: list[CountryCode] = Field(min_length=1, max_length=50)
    tags: list[Tag] = Field(default=[], max_length=50)
    location: Location | None = None
    actors: list[ActorRole] = Field(default=[], max_length=200)
    citations: list[CitationCreate] = Field(default=[], max_length=200)
    links: list[Link] = Field(default=[], max_length=200)
    external_ids: dict[str, str] = {}


class ActorInEvent(SQLModel):
    id: str
    name: str
    kind: ActorKind
    country: str | None
    role: Role


class CitationPublic(SQLModel):
    source: SourcePublic
    stance: Stance
    quote: str | None
    locator: str | None


class EventPublic(EventBase):
    id: str
    date_lower: Date
    date_upper: Date
    date_precision: Precision
    countries: list[str]
    tags: list[str]
    location: Location | None
    actors: list[ActorInEvent]
    citations: list[CitationPublic]
    status: Status
    links: list[Link]
    linked_from: list[Link]
    external_ids: dict[str, str]
    version: int
    created_at: datetime
    updated_at: datetime


# An item of a page asked for with `fields`: the fields of EventPublic, only those named.
_OPTIONAL: dict[str, Any] = {
    name: (Optional[info.annotation], None)  # noqa: UP045 (annotation is a runtime value)
    for name, info in EventPublic.model_fields.items()
}
EventFields = create_model(
    "EventFields", __doc__="An event with only the fields named by `fields`.", **_OPTIONAL
)


class EventPage(SQLModel):
    items: list[EventPublic | EventFields] = Field(
        description="The page of events (only the requested `fields` when given)."
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
    total: int | None = Field(
        default=None, description="All matches; only with include_total=true."
    )
    facets: dict[str, dict[str, int]] | None = Field(
        default=None, description="Counts per value over all matches; only with `facets`."
    )
