"""A country's partners and one pair's summary, each computed with GROUP BY queries."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, case, extract, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.actors.models import Actor, ActorKind
from app.core.countries import CountryCode
from app.events.filters import EventFilter, Filters, Rows, countries_of
from app.events.models import Event, EventActor, EventCountry, EventDyad, Status

TOP_ACTORS = 10


class RelationsQuery(Filters):
    """The parameters of `GET /v1/relations`: one country, and the event filters."""

    # One country, not the list EventFilter takes: the partners of several is not one answer.
    country: CountryCode = Field(
        description="The country whose partners to list (ISO alpha-2 or alpha-3, any case)."
    )

    def countries(self) -> list[str]:
        return [self.country]


class Partner(BaseModel):
    country: str = Field(description="The partner's ISO 3166 alpha-3 code.", examples=["AZE"])
    count: int = Field(description="Matching events that involve both countries.", examples=[9])
    first_date: date = Field(
        description="The earliest date_lower of those events.", examples=["2012-01-01"]
    )
    last_date: date = Field(
        description="The latest date_upper of those events.", examples=["2013-06-21"]
    )
    tone_mean: float | None = Field(
        description="The mean tone of those events that have one; null when none has.",
        examples=[-3.2],
    )


class Partners(BaseModel):
    country: str = Field(description="The country asked about.", examples=["IRN"])
    partners: list[Partner] = Field(
        description="Every country that shares a matching event with it, most events first, "
        "then by code."
    )


class TopActor(BaseModel):
    id: str = Field(description="The actor's id.", examples=["ilham-aliyev"])
    name: str = Field(description="The actor's name.", examples=["Ilham Aliyev"])
    kind: ActorKind = Field(description="What sort of actor.", examples=["person"])
    country: str | None = Field(description="The actor's country, or null.", examples=["AZE"])
    count: int = Field(description="The pair's events this actor takes part in.", examples=[2])


class PairRelation(BaseModel):
    countries: list[str] = Field(
        description="The two countries, in alphabetical order.", examples=[["AZE", "IRN"]]
    )
    count: int = Field(description="Matching events that involve both countries.", examples=[9])
    first_date: date | None = Field(
        description="The earliest date_lower; null without events.", examples=["2012-01-01"]
    )
    last_date: date | None = Field(
        description="The latest date_upper; null without events.", examples=["2013-06-21"]
    )
    tone_mean: float | None = Field(
        description="The mean tone of the events that have one; null when none has.",
        examples=[-3.2],
    )
    by_type: dict[str, int] = Field(
        description="The events counted by PLOVER type, most frequent first.",
        examples=[{"reject": 3, "concede": 2}],
    )
    by_year: dict[str, int] = Field(
        description="The events counted by the year of their date_lower, oldest first; "
        "years without events are left out (GET /v1/timeline lists them).",
        examples=[{"2012": 1, "2013": 9}],
    )
    top_actors: list[TopActor] = Field(
        description=f"The {TOP_ACTORS} actors in most of the pair's events, then by id."
    )
    disputed: int = Field(
        description="How many of the events have status `disputed`.", examples=[1]
    )


def partners(session: Session, query: RelationsQuery) -> Partners:
    """Every country sharing a matching event with `query.country`, with counts and dates."""
    count = func.count().label("count")
    # An alias, so the filters' EXISTS on event_country can never correlate with this join.
    other = aliased(EventCountry)
    partner = col(other.country)
    # sqlmodel's select() is typed for at most four columns; its Select class takes any.
    rows: Sequence[tuple[Any, ...]] = session.exec(
        Select(
            partner,
            count,
            func.min(col(Event.date_lower)),
            func.max(col(Event.date_upper)),
            func.avg(col(Event.tone)),
        )
        .join(Event, col(Event.id) == col(other.event_id))
        .where(*query.conditions(), partner != query.country)
        .group_by(partner)
        .order_by(count.desc(), partner)
    ).all()
    return Partners(
        country=query.country,
        partners=[
            Partner(
                country=country,
                count=n,
                first_date=first,
                last_date=last,
                tone_mean=None if tone is None else float(tone),
            )
            for country, n, first, last, tone in rows
        ],
    )


def pair(session: Session, dyad: str, filters: EventFilter) -> PairRelation:
    """The summary of the matching events between the two countries of `dyad` (`AZE-IRN`)."""
    rows, where = _of_pair(dyad, filters)
    totals: tuple[Any, ...] = session.exec(
        Select(
            func.count(),
            func.min(col(rows.date_lower)),
            func.max(col(rows.date_upper)),
            func.avg(col(rows.tone)),
            func.count(case((col(rows.status) == Status.disputed, 1))),
        ).where(*where)
    ).one()
    count, first, last, tone, disputed = totals

    n_type = func.count().label("count")
    by_type = session.exec(
        select(col(rows.type), n_type)
        .where(*where)
        .group_by(col(rows.type))
        .order_by(n_type.desc(), col(rows.type))
    ).all()

    year = extract("year", col(rows.date_lower))
    by_year = session.exec(
        select(year, func.count()).where(*where).group_by(year).order_by(year)
    ).all()

    # An actor may hold several roles in one event: count its events, not its rows.
    n_events = func.count(func.distinct(col(EventActor.event_id))).label("count")
    event_id = col(EventDyad.event_id) if rows is EventDyad else col(Event.id)
    per_actor = (
        select(col(EventActor.actor_id), n_events)
        .join(rows, event_id == col(EventActor.event_id))
        .where(*where)
        .group_by(col(EventActor.actor_id))
        .subquery()
    )
    actors = session.exec(
        select(Actor, per_actor.c.count)
        .join(per_actor, per_actor.c.actor_id == col(Actor.id))
        .order_by(per_actor.c.count.desc(), col(Actor.id))
        .limit(TOP_ACTORS)
    ).all()

    return PairRelation(
        countries=list(countries_of(dyad)),
        count=count,
        first_date=first,
        last_date=last,
        tone_mean=None if tone is None else float(tone),
        by_type={str(event_type): n for event_type, n in by_type},
        # PostgreSQL's extract is numeric: int() makes 2012 of Decimal("2012").
        by_year={f"{int(y):04d}": n for y, n in by_year},
        top_actors=[
            TopActor(id=actor.id, name=actor.name, kind=actor.kind, country=actor.country, count=n)
            for actor, n in actors
        ],
        disputed=disputed,
    )


def _of_pair(dyad: str, filters: EventFilter) -> tuple[Rows, list[ColumnElement[bool]]]:
    """The rows of the pair's matching events, and their conditions: its index when it can."""
    events = filters.model_copy(update={"dyad": dyad})
    if filters.dyad in (None, dyad):
        return events.aggregated()
    # The filters name another pair: its two countries must be the events' too.
    also = [EventFilter(country=[code]).conditions() for code in filters.dyad_countries()]
    return Event, [*events.conditions(), *also[0], *also[1]]
