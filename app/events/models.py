"""Events between countries, what they link to, and their revisions."""

from copy import copy
from datetime import date as Date
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, StringConstraints, create_model, model_validator
from pydantic import Field as PydanticField  # sqlmodel's Field takes no examples
from pydantic.fields import FieldInfo
from sqlalchemy import Column, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, Relationship, SQLModel

from app.actors.models import Actor, ActorKind
from app.core.countries import CountryCode
from app.core.dates import EdtfDate, Precision
from app.core.db import UTCDateTime, utcnow
from app.core.slugs import Slug, SlugColumn
from app.events.derived.dyads import LAST_DATE
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
    title: str = Field(
        min_length=1,
        max_length=500,
        description="One line saying what happened.",
        schema_extra={
            "examples": ["Aliyev declines to attend the Non-Aligned Movement summit in Tehran"]
        },
    )
    summary: str | None = Field(
        default=None,
        max_length=20000,
        sa_type=Text,
        description="A paragraph of context, or null.",
        schema_extra={"examples": ["Azerbaijan's president declined to go."]},
    )
    date: str = Field(
        max_length=16,
        description="When it happened, as EDTF: `2012`, `2012-08`, `2012-08-30`, `2013?`.",
        schema_extra={"examples": ["2012-08"]},
    )
    end_date: str | None = Field(
        default=None,
        max_length=16,
        description="For an event that lasts: when it ended (EDTF), or null.",
        schema_extra={"examples": ["2013-04-02"]},
    )
    type: EventType = Field(
        sa_type=String(16),
        index=True,
        description="The PLOVER event type (`GET /v1/event-types` lists them).",
        schema_extra={"examples": ["reject"]},
    )
    tone: float | None = Field(
        default=None,
        ge=-10,
        le=10,
        description="From -10 (hostile) to +10 (friendly), or null when not rated.",
        schema_extra={"examples": [-5.0]},
    )


class Event(EventBase, table=True):
    __table_args__ = (
        # The documented order of events: date_lower, finer precision first, then id.
        Index("ix_event_order", "date_lower", "date_precision", "id"),
        # PostgreSQL keeps a document in its row, as written, up to a page (see migration
        # 5b8e2d7c4a19): a read neither looks it up elsewhere nor decompresses it.
        {"postgresql_with": {"toast_tuple_target": 8160}},
    )

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
    # The event's public form as JSON text (app.events.public), written in the transaction of
    # every change to what it shows: reads send it as it is. Text, not JSONB: the bytes are
    # what is served, in EventPublic's order of keys, which JSONB would not keep.
    document: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The cells of the event's CSV line from `date` to `version`, written with its document
    # (app.events.csv_cells): the CSV export reads it instead of building every cell.
    csv_tail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

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
        # A pair's last date (max date_upper) for relations, without reading its rows. Partial
        # on a condition always true: only a query that says it (LAST_DATE) can use the index,
        # so the `from` of pages and timelines keeps its plan on the key.
        Index(
            "ix_event_dyad_last_date",
            "country_a",
            "country_b",
            "date_upper",
            sqlite_where=text(LAST_DATE),
            postgresql_where=text(LAST_DATE),
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
    __table_args__ = (
        # A country's pairs where it comes second, for its partners (GET /v1/relations).
        Index("ix_dyad_month_country_b", "country_b", "country_a"),
        {"sqlite_with_rowid": False},
    )

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


class CountryMonth(SQLModel, table=True):
    """A country's live events counted by month and type, and every live event's under the
    country '': what a timeline of one country, or of every event, reads (as DyadMonth for a
    pair). Triggers keep it right in the writer's own transaction, whoever writes
    (app.events.derived.country_months).
    """

    __tablename__ = "country_month"
    __table_args__ = ({"sqlite_with_rowid": False},)

    country: str = Field(primary_key=True, max_length=3)
    month: Date = Field(primary_key=True)
    type: str = Field(primary_key=True, sa_type=String(16))
    events: int
    tone_sum: float
    tone_count: int
    year_precision: int


class DyadActor(SQLModel, table=True):
    """A dyad's live events per actor: the actors a pair's summary names first. Triggers keep
    it right in the writer's own transaction, whoever writes (app.events.derived.dyad_actors).
    """

    __tablename__ = "dyad_actor"
    __table_args__ = ({"sqlite_with_rowid": False},)

    country_a: str = Field(primary_key=True, max_length=3)
    country_b: str = Field(primary_key=True, max_length=3)
    actor_id: str = Field(primary_key=True, max_length=200)
    events: int


class VocabularyCount(SQLModel, table=True):
    """The live events per country, tag and type: what the vocabulary endpoints list.

    One row per (kind, value) in use. Triggers keep it right in the writer's own transaction,
    whoever writes (app.events.derived.counts); a count at zero has no row.
    """

    __tablename__ = "vocabulary_count"

    kind: str = Field(primary_key=True, max_length=8)  # country, tag or type
    value: str = Field(primary_key=True, max_length=64)
    events: int


class UsageCount(SQLModel, table=True):
    """The live events per actor and the citations of live events per source: what lists of
    actors and sources show beside each (the views actor_usage and source_usage).

    One row per (kind, value) in use. Triggers keep it right in the writer's own transaction,
    whoever writes (app.events.derived.usage); a count at zero has no row.
    """

    __tablename__ = "usage_count"

    kind: str = Field(primary_key=True, max_length=8)  # actor or source
    value: str = Field(primary_key=True, max_length=200)  # its id
    events: int


# --- request and response schemas ----------------------------------------------------


# The parts of a record are plain pydantic models: SQLModel's construction of a model costs
# as much as its validation, and an import builds several per event.


class Location(BaseModel):
    name: str | None = PydanticField(
        default=None,
        max_length=200,
        description="The place's name.",
        examples=["Tehran"],
    )
    country: CountryCode | None = PydanticField(
        default=None,
        description="The place's country (ISO alpha-3 in answers).",
        examples=["IRN"],
    )
    lat: float | None = PydanticField(
        default=None,
        ge=-90,
        le=90,
        description="Latitude in degrees (WGS 84).",
        examples=[35.69],
    )
    lon: float | None = PydanticField(
        default=None,
        ge=-180,
        le=180,
        description="Longitude in degrees (WGS 84).",
        examples=[51.39],
    )


class ActorRole(BaseModel):
    id: str = PydanticField(
        max_length=200,
        description="An actor's id (`GET /v1/actors`).",
        examples=["ilham-aliyev"],
    )
    role: Role = PydanticField(
        default=Role.participant,
        description="`initiator`, `target` or `participant` (the default).",
        examples=["initiator"],
    )


class CitationCreate(BaseModel):
    """Names its source by `source_id`, or gives it whole (matched on its normalised URL)."""

    source_id: str | None = PydanticField(
        default=None,
        max_length=200,
        description="An existing source's id (`GET /v1/sources`); or give `source` instead.",
        examples=["neo-2013-06-21-pivin-iran-azerbaijan"],
    )
    source: SourceCreate | None = PydanticField(
        default=None,
        description="A whole source instead of `source_id`: the one with the same normalised "
        "`url` is used, or it is created.",
    )
    stance: Stance = PydanticField(
        default=Stance.supports,
        description="`supports` (the default) or `disputes`: a disputing citation makes the event "
        "`disputed`.",
        examples=["supports"],
    )
    quote: str | None = PydanticField(
        default=None,
        max_length=5000,
        description="The passage of the source that backs the event.",
        examples=["Aliyev declined to go."],
    )
    locator: str | None = PydanticField(
        default=None,
        max_length=200,
        description="Where in the source the quote is.",
        examples=["para. 1"],
    )

    @model_validator(mode="after")
    def _one_source(self) -> "CitationCreate":
        if (self.source_id is None) == (self.source is None):
            raise ValueError("give exactly one of source_id or source")
        return self


class Link(BaseModel):
    event_id: str = PydanticField(
        max_length=200,
        description="The other event's id.",
        examples=["2013-03-30-baku-conference-southern-azerbaijan"],
    )
    relation: Relation = PydanticField(
        description="How this event relates to the other: `responds_to`, `denies`, `follows`, "
        "`part_of` or `same_as`.",
        examples=["responds_to"],
    )


# The most citations an event may have (and a dataset's merged event is given).
MAX_CITATIONS = 200


class EventCreate(EventBase):
    model_config = {"extra": "forbid"}

    id: Slug | None = Field(
        default=None,
        description="A slug (lower-case letters, digits, hyphens); made from the date and the "
        "title when left out. It never changes.",
        schema_extra={"examples": ["2012-08-aliyev-declines-nam-summit"]},
    )
    date: EdtfDate = Field(
        description="When it happened, as EDTF: `2012`, `2012-08`, `2012-08-30`, `2013?`.",
        schema_extra={"examples": ["2012-08"]},
    )
    end_date: EdtfDate | None = Field(
        default=None,
        description="For an event that lasts: when it ended (EDTF).",
        schema_extra={"examples": ["2013-04-02"]},
    )
    countries: list[CountryCode] = Field(
        min_length=1,
        max_length=50,
        description="The countries involved: ISO alpha-3 or alpha-2, any case.",
        schema_extra={"examples": [["AZE", "IRN"]]},
    )
    tags: list[Tag] = Field(
        default=[],
        max_length=50,
        description="Free words, stored in lower case.",
        schema_extra={"examples": [["summit"]]},
    )
    location: Location | None = Field(default=None, description="Where it happened, if known.")
    actors: list[ActorRole] = Field(
        default=[],
        max_length=200,
        description="Actors taking part, by id, with their role.",
        schema_extra={"examples": [[{"id": "ilham-aliyev"}]]},
    )
    citations: list[CitationCreate] = Field(
        default=[],
        max_length=MAX_CITATIONS,
        description="The sources that report or dispute it; none makes it `unsourced`.",
        schema_extra={
            "examples": [
                [{"source_id": "neo-2013-06-21-pivin-iran-azerbaijan", "locator": "para. 1"}]
            ]
        },
    )
    links: list[Link] = Field(
        default=[],
        max_length=200,
        description="Typed links to other events.",
        schema_extra={
            "examples": [
                [
                    {
                        "event_id": "2013-03-30-baku-conference-southern-azerbaijan",
                        "relation": "follows",
                    }
                ]
            ]
        },
    )
    external_ids: dict[str, str] = Field(
        default={},
        description="Ids in other data sets, one per data set; used to match on import.",
        schema_extra={"examples": [{"acled": "AZE123"}]},
    )


class ActorInEvent(SQLModel):
    id: str = Field(description="The actor's id.", schema_extra={"examples": ["ilham-aliyev"]})
    name: str = Field(description="The actor's name.", schema_extra={"examples": ["Ilham Aliyev"]})
    kind: ActorKind = Field(
        description="What sort of actor.", schema_extra={"examples": ["person"]}
    )
    country: str | None = Field(
        description="The actor's country (ISO alpha-3), or null.",
        schema_extra={"examples": ["AZE"]},
    )
    role: Role = Field(
        description="The actor's part in this event.", schema_extra={"examples": ["initiator"]}
    )


class CitationPublic(SQLModel):
    source: SourcePublic = Field(description="The cited source.")
    stance: Stance = Field(
        description="Whether the source supports or disputes the event.",
        schema_extra={"examples": ["supports"]},
    )
    quote: str | None = Field(
        description="The passage of the source that backs the event.",
        schema_extra={"examples": ["Aliyev declined to go."]},
    )
    locator: str | None = Field(
        description="Where in the source the quote is.", schema_extra={"examples": ["para. 1"]}
    )


class EventPublic(EventBase):
    id: str = Field(
        description="The event's slug: unique, never changes.",
        schema_extra={"examples": ["2012-08-aliyev-declines-nam-summit"]},
    )
    date_lower: Date = Field(
        description="The first day `date`..`end_date` can cover; filters and order use it.",
        schema_extra={"examples": ["2012-08-01"]},
    )
    date_upper: Date = Field(
        description="The last day `date`..`end_date` can cover.",
        schema_extra={"examples": ["2012-08-31"]},
    )
    date_precision: Precision = Field(
        description="`year`, `month` or `day`, from `date`.", schema_extra={"examples": ["month"]}
    )
    countries: list[str] = Field(
        description="The countries involved, ISO alpha-3.",
        schema_extra={"examples": [["AZE", "IRN"]]},
    )
    tags: list[str] = Field(
        description="Free words, lower case, in alphabetical order.",
        schema_extra={"examples": [["summit"]]},
    )
    location: Location | None = Field(description="Where it happened, or null.")
    actors: list[ActorInEvent] = Field(description="The actors taking part, with their role.")
    citations: list[CitationPublic] = Field(description="The sources, each with its stance.")
    status: Status = Field(
        description="From the citations: `unsourced` (none), `reported` (all support), `disputed` "
        "(one or more dispute).",
        schema_extra={"examples": ["reported"]},
    )
    links: list[Link] = Field(description="Its links to other events.")
    linked_from: list[Link] = Field(
        description="Other events' links to this one, each naming the other event."
    )
    external_ids: dict[str, str] = Field(
        description="Ids in other data sets, by data set.",
        schema_extra={"examples": [{"acled": "AZE123"}]},
    )
    version: int = Field(
        description="1 when created, one more at each write; the ETag, and `If-Match`'s value.",
        schema_extra={"examples": [1]},
    )
    created_at: datetime = Field(
        description="When it was created (UTC).",
        schema_extra={"examples": ["2026-12-07T13:00:00Z"]},
    )
    updated_at: datetime = Field(
        description="When it was last written (UTC).",
        schema_extra={"examples": ["2026-12-07T13:00:00Z"]},
    )


# An item of a page asked for with `fields`: the fields of EventPublic, only those named.
def _optional(info: FieldInfo) -> FieldInfo:
    """The same field, described and exemplified alike, but absent unless asked for."""
    optional = copy(info)
    optional.default = None
    return optional


_OPTIONAL: dict[str, Any] = {
    name: (Optional[info.annotation], _optional(info))  # noqa: UP045 (a runtime value)
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
        description="Pass as `cursor` for the next page; null at the end.",
        schema_extra={"examples": ["WyJldmVudHMiXQ"]},
    )
    total: int | None = Field(
        default=None,
        description="All matches; only with include_total=true.",
        schema_extra={"examples": [9]},
    )
    facets: dict[str, dict[str, int]] | None = Field(
        default=None,
        description="Counts per value over all matches; only with `facets`.",
        schema_extra={"examples": [{"status": {"reported": 8, "disputed": 1}}]},
    )


# --- the answers of GET /v1/event-types and of format=timelinejs --------------------------


class EventTypeInfo(BaseModel):
    type: str = PydanticField(
        description="The PLOVER type, as `type` takes it.",
        examples=["reject"],
    )
    description: str = PydanticField(
        description="What the type covers.", examples=["Reject a proposal or a demand."]
    )
    mode: str = PydanticField(description="`verbal` or `material`.", examples=["verbal"])
    orientation: str = PydanticField(
        description="`cooperative` or `conflictual`.", examples=["conflictual"]
    )
    count: int = PydanticField(description="Events (not deleted) of this type.", examples=[3])


class TimelineDate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = PydanticField(description="The year.", examples=[2012])
    month: int | None = PydanticField(
        default=None, description="Absent when the date is a year.", examples=[8]
    )
    day: int | None = PydanticField(
        default=None, description="Absent when the date is a month.", examples=[30]
    )


class TimelineText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headline: str = PydanticField(
        description="The title, HTML-escaped.", examples=["Aliyev declines the summit"]
    )
    text: str = PydanticField(
        description="HTML: the summary, the disputed mark and the sources.",
        examples=["<p>Azerbaijan's president declined to go.</p>"],
    )


class TimelineSlide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_date: TimelineDate = PydanticField(description="The event's date.")
    end_date: TimelineDate | None = PydanticField(
        default=None, description="Only with an end_date."
    )
    display_date: str = PydanticField(
        description="The date as people write it.", examples=["2013 (uncertain)"]
    )
    text: TimelineText = PydanticField(description="The slide's headline and text.")
    group: str = PydanticField(description="The event type.", examples=["reject"])
    unique_id: str = PydanticField(
        description="The event id.", examples=["2012-08-aliyev-declines-nam-summit"]
    )


class TimelineTitle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: TimelineText = PydanticField(description="The title slide's text.")


class TimelineDocument(BaseModel):
    """`format=timelinejs`: a TimelineJS 3 JSON document, one slide per event.

    The schema of what `write_timelinejs` streams, for the API's documentation and tests.
    """

    model_config = ConfigDict(extra="forbid")

    title: TimelineTitle = PydanticField(description="The title slide.")
    events: list[TimelineSlide] = PydanticField(description="One slide per event, in date order.")
