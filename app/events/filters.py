"""EventFilter: the query parameters that select events, and their one translation to SQL.

Every endpoint that filters events (the list, and later the timeline, the exports and the
relations) takes this model, so a filter means the same thing everywhere.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, exists
from sqlmodel import col, select

from app.core.countries import CountryCode, to_alpha3
from app.core.dates import EdtfDate, parse
from app.events.models import Event, EventCountry
from app.events.types import EventType


def _dyad(value: str) -> str:
    """`az-ir` -> `AZE-IRN`: both codes normalised, in alphabetical order."""
    first, sep, second = value.partition("-")
    if not sep:
        raise ValueError("a dyad is two country codes joined by a hyphen, such as AZE-IRN")
    pair = sorted({to_alpha3(first), to_alpha3(second)})
    if len(pair) != 2:
        raise ValueError("a dyad needs two different countries")
    return "-".join(pair)


Dyad = Annotated[
    str,
    Field(max_length=16, examples=["AZE-IRN"]),
    AfterValidator(_dyad),
]


class EventFilter(BaseModel):
    """Filters of event lists; all combine with AND, a repeated parameter means OR."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    country: list[CountryCode] = Field(
        default=[],
        description="Events involving this country (ISO alpha-2 or alpha-3, any case); "
        "repeat for any of several.",
    )
    dyad: Dyad | None = Field(
        default=None, description="Events involving both countries, in either order: AZE-IRN."
    )
    type: list[EventType] = Field(
        default=[], description="PLOVER event type; repeat for any of several."
    )
    from_: EdtfDate | None = Field(
        default=None,
        alias="from",
        description="Events that end on or after the start of this EDTF date (overlap).",
    )
    to: EdtfDate | None = Field(
        default=None, description="Events that begin on or before the end of this EDTF date."
    )

    def conditions(self) -> list[ColumnElement[bool]]:
        """The SQL conditions for these filters (soft-deleted events never match)."""
        where: list[ColumnElement[bool]] = [col(Event.deleted_at).is_(None)]
        if self.country:
            where.append(_involves(*self.country))
        if self.dyad:
            a, b = self.dyad.split("-")
            where.append(and_(_involves(a), _involves(b)))
        if self.type:
            where.append(col(Event.type).in_(self.type))
        if self.from_:
            where.append(col(Event.date_upper) >= parse(self.from_).lower)
        if self.to:
            where.append(col(Event.date_lower) <= parse(self.to).upper)
        return where


def _involves(*countries: str) -> ColumnElement[bool]:
    return exists(
        select(col(EventCountry.event_id)).where(
            col(EventCountry.event_id) == col(Event.id),
            col(EventCountry.country).in_(countries),
        )
    )


class Sort(StrEnum):
    date = "date"
    date_desc = "-date"


class EventQuery(EventFilter):
    """The parameters of `GET /v1/events`: the filters, the order and the page."""

    sort: Sort = Field(
        default=Sort.date,
        description="`date`: oldest first (date_lower, finer precision first, then id); "
        "`-date`: the exact reverse.",
    )
    limit: int = Field(default=50, ge=1, le=500, description="Events per page (at most 500).")
    cursor: str | None = Field(
        default=None, max_length=512, description="The next_cursor of the previous page."
    )
