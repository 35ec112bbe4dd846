"""EventFilter: the query parameters that select events, and their one translation to SQL.

Every endpoint that filters events (the list, the timeline, the exports and the relations)
takes this model, so a filter means the same thing everywhere.
"""

from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import ColumnElement, bindparam, exists, func
from sqlmodel import col, select

from app.core.countries import CountryCode, to_alpha3
from app.core.dates import EdtfDate, parse
from app.core.text_match import SearchText
from app.events.models import (
    Citation,
    Event,
    EventActor,
    EventCountry,
    EventDyad,
    EventPublic,
    EventTag,
    Status,
    Tag,
)
from app.events.search import SearchQuery, matches
from app.events.search import parse as parse_search
from app.events.types import EventType
from app.sources.models import Source


def _dyad(value: str) -> str:
    """`az-ir` -> `AZE-IRN`: both codes normalised, in alphabetical order."""
    first, sep, second = value.partition("-")
    if not sep:
        raise ValueError("a dyad is two country codes joined by a hyphen, such as AZE-IRN")
    pair = sorted({to_alpha3(first), to_alpha3(second)})
    if len(pair) != 2:
        raise ValueError("a dyad needs two different countries")
    return "-".join(pair)


Dyad = Annotated[str, Field(max_length=16, examples=["AZE-IRN"]), AfterValidator(_dyad)]


def countries_of(dyad: str) -> tuple[str, str]:
    """A valid Dyad's two countries, in the order that tables keyed by pair hold them."""
    a, _, b = dyad.partition("-")
    return a, b


Value = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


# The events, or a dyad's index of them: both hold the columns that the filters' dates, type,
# tone and status test, and that timelines and relations aggregate.
Rows = type[Event] | type[EventDyad]


class Filters(BaseModel):
    """The filters of every endpoint over events, but `country`, whose form each names
    (EventFilter: any of several; the relations: one). Each parameter is parsed once, into
    the typed values below, and turned into SQL here alone."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    q: SearchText = Field(
        default=None,
        description="Full text over the title, the summary and the citations' quotes, as in a "
        'web search: every word must be there; `"an exact phrase"`; `-word` or `-"a phrase"` '
        "excludes; `or` between terms gives alternatives. Case, diacritics and Azerbaijani "
        "ə/a, \u0131/i don't matter (`Əliyev` finds `Aliyev`); words are not stemmed. A q with no "
        "word in it (only punctuation) matches nothing; an empty q is no filter.",
        examples=['"Non-Aligned Movement"', "conference -Sanai", "Sahar OR SNSC", "Əliyev"],
    )
    dyad: Dyad | None = Field(
        default=None,
        description="Events involving both countries, in either order: AZE-IRN.",
        examples=["AZE-IRN"],
    )
    actor: list[Value] = Field(
        default=[],
        description="Events with this actor (id); repeat for any of several.",
        examples=[["ilham-aliyev"]],
    )
    type: list[EventType] = Field(
        default=[],
        description="PLOVER event type; repeat for any of several.",
        examples=[["accuse", "protest"]],
    )
    tag: list[Tag] = Field(
        default=[], description="Events with this tag; repeatable.", examples=[["summit"]]
    )
    source: list[Value] = Field(
        default=[],
        description="Events citing this source (id); repeatable.",
        examples=[["neo-2013-06-21-pivin-iran-azerbaijan"]],
    )
    publisher: list[Value] = Field(
        default=[],
        description="Events citing a source of this publisher (any case); repeatable.",
        examples=[["New Eastern Outlook"]],
    )
    status: list[Status] = Field(
        default=[],
        description="unsourced, reported (only supporting sources) or disputed; repeatable.",
        examples=[["disputed"]],
    )
    from_: EdtfDate | None = Field(
        default=None,
        alias="from",
        description="Events that end on or after the start of this EDTF date (overlap).",
        examples=["2012", "2012-08", "2013-03-30"],
    )
    to: EdtfDate | None = Field(
        default=None,
        description="Events that begin on or before the end of this EDTF date.",
        examples=["2013", "2013-06"],
    )
    tone_min: float | None = Field(
        default=None, ge=-10, le=10, description="Lowest tone.", examples=[-10]
    )
    tone_max: float | None = Field(
        default=None, ge=-10, le=10, description="Highest tone.", examples=[-3]
    )
    updated_since: AwareDatetime | None = Field(
        default=None,
        description="Events changed at or after this RFC 3339 time, e.g. 2026-01-31T00:00:00Z.",
        examples=["2026-01-31T00:00:00Z"],
    )

    @field_validator("to")
    @classmethod
    def _to_not_before_from(cls, to: str | None, info: ValidationInfo) -> str | None:
        # An empty range is a mistake (the two swapped, most likely): a 422 rather than an
        # answer that invents empty periods or says nothing matched.
        start = info.data.get("from_")
        if to is not None and start is not None and parse(start).lower > parse(to).upper:
            raise ValueError(
                f"`to` ({to}) ends before `from` ({start}) begins: give `from` the earlier date"
            )
        return to

    def countries(self) -> list[str]:
        """The countries every matching event involves one of (none: no such filter)."""
        return []

    @cached_property
    def first_day(self) -> date | None:
        """The first day of `from`: a matching event ends on or after it."""
        return parse(self.from_).lower if self.from_ else None

    @cached_property
    def last_day(self) -> date | None:
        """The last day of `to`: a matching event begins on or before it."""
        return parse(self.to).upper if self.to else None

    @cached_property
    def search(self) -> SearchQuery | None:
        """`q`, parsed."""
        return parse_search(self.q) if self.q is not None else None

    def filters_given(self) -> set[str]:
        """The names of the filters this query sets (EventFilter's fields, not paging)."""
        return {name for name in EventFilter.model_fields if getattr(self, name) not in (None, [])}

    def parameters(self) -> dict[str, Any]:
        """The values of the filters given, by the names their SQL parameters take.

        conditions() reads every value from here, so that a page's statement can be built
        once per shape (which names are present) and run with each request's values.
        """
        values: dict[str, Any] = {
            "type": self.type,
            "status": self.status,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "tone_min": self.tone_min,
            "tone_max": self.tone_max,
            "countries": self.countries(),
            "actor": self.actor,
            "tag": self.tag,
            "source": self.source,
            "publisher": [name.lower() for name in self.publisher],
            "updated_since": self.updated_since,
        }
        if self.dyad is not None:
            values["country_a"], values["country_b"] = self.dyad_countries()
        return {name: value for name, value in values.items() if value not in (None, [])}

    def conditions(
        self, *, walk_search: bool = False, bound: bool = False
    ) -> list[ColumnElement[bool]]:
        """The SQL conditions on `event` for these filters (soft-deleted events never match).

        A dyad reads its index, event_dyad (live events only), joined to the events: the
        database then walks that pair's rows alone, rather than testing every event.
        `walk_search`: `q` has many matches (search.frequent): see search.matches.
        `bound`: each value is a named parameter (parameters() gives them), not written in.
        """
        given = _Given(self.parameters(), bound)
        if self.dyad is None:
            where = [col(Event.deleted_at).is_(None), *_copied(Event, given)]
        else:
            where = [*_pair(given), *_copied(EventDyad, given)]
            where.append(col(EventDyad.event_id) == col(Event.id))
        return where + self._uncopied(given, walk_search)

    def aggregated(self) -> tuple[Rows, list[ColumnElement[bool]]]:
        """The table to count matching events over (timelines, relations), and its conditions.

        With a dyad and no filter but those its index answers (dates, type, tone, status),
        the index alone: event_dyad has one row per matching event and every column that
        aggregates read, so the events are never read. Otherwise the events and conditions().
        """
        given = _Given(self.parameters(), bound=False)
        if self.dyad is not None and not self._uncopied(given):
            return EventDyad, [*_pair(given), *_copied(EventDyad, given)]
        return Event, self.conditions()

    def dyad_countries(self) -> tuple[str, str]:
        """The dyad's two countries, in the order that tables keyed by pair hold them."""
        assert self.dyad is not None
        return countries_of(self.dyad)

    def _uncopied(self, given: "_Given", walk_search: bool = False) -> list[ColumnElement[bool]]:
        """The conditions that only the event and its related tables answer."""
        where: list[ColumnElement[bool]] = []
        if self.search is not None:
            where.append(matches(col(Event.id), self.search, walk=walk_search))
        if "countries" in given:
            where.append(_involves(given["countries"]))
        if "actor" in given:
            where.append(_has(EventActor, col(EventActor.actor_id).in_(given["actor"])))
        if "tag" in given:
            where.append(_has(EventTag, col(EventTag.tag).in_(given["tag"])))
        if "source" in given:
            where.append(_has(Citation, col(Citation.source_id).in_(given["source"])))
        if "publisher" in given:
            where.append(
                exists(
                    select(col(Citation.id))
                    .join(Source, col(Source.id) == col(Citation.source_id))
                    .where(
                        col(Citation.event_id) == col(Event.id),
                        func.lower(col(Source.publisher)).in_(given["publisher"]),
                    )
                    .correlate(Event)
                )
            )
        if "updated_since" in given:
            where.append(col(Event.updated_at) >= given["updated_since"])
        return where


class _Given:
    """The filters given (Filters.parameters()), each as the SQL of its value: the value
    itself, or with `bound` a parameter of its name, the value to be given when run."""

    def __init__(self, values: dict[str, Any], bound: bool) -> None:
        self.values = values
        self.bound = bound

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __getitem__(self, name: str) -> Any:
        value = self.values[name]
        if not self.bound:
            return value
        return bindparam(name, expanding=isinstance(value, list))


def _pair(given: _Given) -> list[ColumnElement[bool]]:
    return [
        col(EventDyad.country_a) == given["country_a"],
        col(EventDyad.country_b) == given["country_b"],
    ]


def _copied(rows: Rows, given: _Given) -> list[ColumnElement[bool]]:
    """The conditions on the columns that event_dyad copies from the event."""
    where: list[ColumnElement[bool]] = []
    if "type" in given:
        where.append(col(rows.type).in_(given["type"]))
    if "status" in given:
        where.append(col(rows.status).in_(given["status"]))
    if "first_day" in given:
        where.append(col(rows.date_upper) >= given["first_day"])
    if "last_day" in given:
        where.append(col(rows.date_lower) <= given["last_day"])
    if "tone_min" in given:
        where.append(col(rows.tone) >= given["tone_min"])
    if "tone_max" in given:
        where.append(col(rows.tone) <= given["tone_max"])
    return where


class EventFilter(Filters):
    """Filters of event lists; all combine with AND, a repeated parameter means OR."""

    country: list[CountryCode] = Field(
        default=[],
        description="Events involving this country (ISO alpha-2 or alpha-3, any case); "
        "repeat for any of several.",
        examples=[["AZE"], ["az", "IRN"]],
    )

    def countries(self) -> list[str]:
        return self.country


def _involves(countries: Any) -> ColumnElement[bool]:
    return _has(EventCountry, col(EventCountry.country).in_(countries))


def _has(
    table: type[EventCountry | EventActor | EventTag | Citation], condition: ColumnElement[bool]
) -> ColumnElement[bool]:
    """The event has a row in `table` meeting `condition`."""
    # Correlate with the event alone: a facet query may join `table` in the outer query too.
    inner = select(col(table.event_id)).where(col(table.event_id) == col(Event.id), condition)
    return exists(inner.correlate(Event))


class Sort(StrEnum):
    date = "date"
    date_desc = "-date"
    updated_desc = "-updated"
    relevance = "relevance"


class Format(StrEnum):
    json = "json"
    csv = "csv"
    ndjson = "ndjson"
    ics = "ics"
    timelinejs = "timelinejs"


class Facet(StrEnum):
    type = "type"
    country = "country"
    tag = "tag"
    actor = "actor"
    publisher = "publisher"
    year = "year"
    status = "status"


def _names(allowed: type[StrEnum] | frozenset[str], what: str) -> AfterValidator:
    """A validator of comma-separated names, each one of `allowed`."""
    choices = (
        frozenset(allowed)
        if isinstance(allowed, frozenset)
        else frozenset(member.value for member in allowed)
    )

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in choices]
        if not names:
            raise ValueError(f"name at least one {what}: " + ", ".join(sorted(choices)))
        if unknown:
            raise ValueError(
                f"unknown {what} {', '.join(map(repr, unknown))}: choose among "
                + ", ".join(sorted(choices))
            )
        return ",".join(dict.fromkeys(names))

    return AfterValidator(check)


EVENT_FIELDS = frozenset(EventPublic.model_fields)


class EventQuery(EventFilter):
    """The parameters of `GET /v1/events`: the filters, the order, the page and the format."""

    sort: Sort = Field(
        default=Sort.date,
        description="`date`: oldest first (date_lower, finer precision first, then id); "
        "`-date`: the exact reverse; `-updated`: most recently changed first; `relevance`: "
        "best matches of `q` first, then by id (only with a `q`).",
        examples=["-date"],
    )
    limit: int = Field(
        default=50, ge=1, le=500, description="Events per page (at most 500).", examples=[50]
    )
    cursor: str | None = Field(
        default=None,
        max_length=512,
        description="The next_cursor of the previous page.",
        examples=[
            "WyJkYXRlIiwiMjAxMy0wMS0wMSIsInllYXIiLCIyMDEzLWFsaXlldi1jYWxscy1hdHRhY2stb24taXJhbi1jYXRhc3Ryb3BoZSJd"
        ],
    )
    include_total: bool = Field(
        default=False,
        description="Add `total`, the number of all matches (costs a count).",
        examples=[True],
    )
    fields: Annotated[str | None, _names(EVENT_FIELDS, "field")] = Field(
        default=None,
        description="Comma-separated event fields to return, for lean pages: id,title,date.",
        examples=["id,title,date,countries"],
    )
    facets: Annotated[str | None, _names(Facet, "facet")] = Field(
        default=None,
        description="Comma-separated among type, country, tag, actor, publisher, year, status: "
        "adds `facets`, counts over all matches (not just the page).",
        examples=["type,year"],
    )
    format: Format = Field(
        default=Format.json,
        description="json pages, or every match streamed in one response as csv, ndjson, "
        "ics (iCalendar) or timelinejs (TimelineJS 3 JSON). `Accept: text/csv`, "
        "`application/x-ndjson` or `text/calendar` does the same.",
        examples=["csv"],
    )

    bom: bool = Field(
        default=False,
        description="CSV only: start with a UTF-8 byte order mark, which Excel needs to read "
        "non-ASCII text right. Leave it out for scripts (`csv`, pandas), which would otherwise "
        "see it in the first column's name.",
        examples=[True],
    )

    @field_validator("sort")
    @classmethod
    def _relevance_needs_q(cls, sort: Sort, info: ValidationInfo) -> Sort:
        # A 422 rather than a quiet fall back to `date`: a client asking for the best matches
        # first without a search would otherwise get a date order it could take for relevance.
        # (q comes before sort; if q itself was refused, that error is enough.)
        if sort is Sort.relevance and "q" in info.data and info.data["q"] is None:
            raise ValueError("sort=relevance needs a search: give `q` too")
        return sort

    def field_set(self) -> set[str] | None:
        return set(self.fields.split(",")) if self.fields else None

    def facet_list(self) -> list[Facet]:
        return [Facet(name) for name in self.facets.split(",")] if self.facets else []
