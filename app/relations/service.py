"""A country's partners and one pair's summary, each computed with GROUP BY queries."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, extract, func, or_, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.actors.models import Actor
from app.core.db import table_of
from app.events.derived.dyads import LAST_DATE
from app.events.filters import EventFilter, Rows, countries_of
from app.events.models import (
    DyadActor,
    DyadMonth,
    Event,
    EventActor,
    EventCountry,
    EventDyad,
    Status,
)
from app.relations.models import (
    TOP_ACTORS,
    PairRelation,
    Partner,
    Partners,
    RelationsQuery,
    TopActor,
)


def partners(session: Session, query: RelationsQuery) -> Partners:
    """Every country sharing a matching event with `query.country`, with counts and dates."""
    if query.filters_given() == {"country"}:
        rows = _stored_partners(session, query.country)
    else:
        rows = _counted_partners(session, query)
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


def _stored_partners(session: Session, country: str) -> Sequence[tuple[Any, ...]]:
    """Every partner of `country` without other filters, from stored data: its pairs' counts
    in dyad_month, each pair's first and last dates from the ends of two indexes of
    event_dyad. A few rows per pair instead of every event."""
    month = table_of(DyadMonth).c
    pairs = (
        Select(
            month.country_a,
            month.country_b,
            func.sum(month.events).label("events"),
            func.sum(month.tone_sum).label("tone_sum"),
            func.sum(month.tone_count).label("tone_count"),
        )
        .where(or_(month.country_a == country, month.country_b == country))
        .group_by(month.country_a, month.country_b)
        .subquery()
    )
    dyad = table_of(EventDyad).c
    of_pair = (dyad.country_a == pairs.c.country_a, dyad.country_b == pairs.c.country_b)
    partner = case((pairs.c.country_a == country, pairs.c.country_b), else_=pairs.c.country_a)
    tone = pairs.c.tone_sum / func.nullif(pairs.c.tone_count, 0)
    return session.exec(
        Select(
            partner,
            pairs.c.events,
            Select(func.min(dyad.date_lower)).where(*of_pair).scalar_subquery(),
            Select(func.max(dyad.date_upper)).where(*of_pair, text(LAST_DATE)).scalar_subquery(),
            tone,
        ).order_by(pairs.c.events.desc(), partner)
    ).all()


def _counted_partners(session: Session, query: RelationsQuery) -> Sequence[tuple[Any, ...]]:
    """Every partner of the matching events, counted over them."""
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
    return rows


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

    if filters.filters_given():
        year = extract("year", col(rows.date_lower))
        per_year = select(year, func.count()).where(*where)
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
    else:  # the whole pair: its stored counts by month and by actor
        a, b = countries_of(dyad)
        month, actor = table_of(DyadMonth).c, table_of(DyadActor).c
        year = extract("year", month.month)
        per_year = select(year, func.sum(month.events)).where(
            month.country_a == a, month.country_b == b
        )
        per_actor = (
            select(actor.actor_id, actor.events.label("count"))
            .where(actor.country_a == a, actor.country_b == b)
            .subquery()
        )
    by_year = session.exec(per_year.group_by(year).order_by(year)).all()
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
