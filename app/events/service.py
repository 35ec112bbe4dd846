"""Queries and writes for events. Knows nothing of HTTP: raises the domain errors."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute, selectinload
from sqlmodel import Session, col, select

from app.actors.models import Actor
from app.core.dates import Precision, span
from app.core.errors import BadRequest, Conflict, InvalidInput, NotFound
from app.core.pagination import decode_cursor, encode_cursor
from app.core.slugs import make_slug
from app.events.filters import EventFilter, EventQuery, Facet, Sort
from app.events.models import (
    SLUG,
    ActorInEvent,
    Citation,
    CitationPublic,
    Event,
    EventActor,
    EventCountry,
    EventCreate,
    EventExternalId,
    EventLink,
    EventPublic,
    EventTag,
    Link,
    Location,
    Relation,
    Revision,
    Role,
    Stance,
    Status,
)
from app.events.types import PLOVER
from app.sources.models import Source, SourcePublic
from app.sources.service import ensure_source


@dataclass(frozen=True)
class Ordering:
    """A total order of events, and how its sort key travels inside a cursor."""

    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool

    def cursor_values(self, event: Event) -> list[Any]:
        values = [getattr(event, column.key) for column in self.columns]
        return [value.isoformat() if hasattr(value, "isoformat") else value for value in values]

    def after(self, values: list[Any]) -> ColumnElement[bool]:
        """Rows strictly after the cursor's position, in this order."""
        try:
            parsed = [_parse_key(c, value) for c, value in zip(self.columns, values, strict=True)]
        except (ValueError, TypeError):
            raise BadRequest("Invalid cursor: pass the next_cursor of a previous page.") from None
        key = tuple_(*self.columns)
        position = tuple_(*(literal(v, c.type) for c, v in zip(self.columns, parsed, strict=True)))
        return key < position if self.descending else key > position

    def order_by(self) -> list[ColumnElement[Any]]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]


def _parse_key(column: InstrumentedAttribute[Any], value: Any) -> Any:
    """A cursor value checked against its column, so garbage never reaches the database."""
    if column.key == "id" and SLUG.fullmatch(str(value)):
        return value
    if column.key == "date_lower":
        return date.fromisoformat(value)
    if column.key == "date_precision":
        return Precision(value).value
    if column.key == "updated_at":
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive time in cursor")
        return moment
    raise ValueError(f"bad cursor value for {column.key}")


# The documented total order: date_lower, finer precision first, then id.
BY_DATE: tuple[InstrumentedAttribute[Any], ...] = (
    Event.date_lower,  # type: ignore[assignment]
    Event.date_precision,
    Event.id,
)
BY_UPDATE: tuple[InstrumentedAttribute[Any], ...] = (
    Event.updated_at,  # type: ignore[assignment]
    Event.id,
)
ORDERINGS: dict[Sort, Ordering] = {
    Sort.date: Ordering(BY_DATE, descending=False),
    Sort.date_desc: Ordering(BY_DATE, descending=True),
    Sort.updated_desc: Ordering(BY_UPDATE, descending=True),
}

# One query per related collection for a whole page, never one per event.
LOAD_RELATED = (
    selectinload(Event.countries),  # type: ignore[arg-type]
    selectinload(Event.tags),  # type: ignore[arg-type]
    selectinload(Event.actors),  # type: ignore[arg-type]
    selectinload(Event.citations),  # type: ignore[arg-type]
    selectinload(Event.links),  # type: ignore[arg-type]
    selectinload(Event.external_ids),  # type: ignore[arg-type]
)


def list_events(session: Session, query: EventQuery) -> tuple[list[EventPublic], str | None]:
    """One page of matching events in the chosen order, and the cursor of the next page."""
    ordering = ORDERINGS[query.sort]
    after = None
    if query.cursor:
        after = decode_cursor(query.cursor, query.sort, len(ordering.columns))
    events = _page(session, query.conditions(), ordering, after, query.limit + 1)
    page = events[: query.limit]
    next_cursor = None
    if len(events) > query.limit:
        next_cursor = encode_cursor(query.sort, ordering.cursor_values(page[-1]))
    return publish(session, page), next_cursor


def iter_events(
    session: Session, query: EventQuery, *, batch_size: int = 500
) -> Iterator[EventPublic]:
    """Every matching event in order, fetched in keyset batches: constant memory."""
    ordering = ORDERINGS[query.sort]
    where = query.conditions()
    after: list[Any] | None = None
    while True:
        events = _page(session, where, ordering, after, batch_size)
        yield from publish(session, events)
        if len(events) < batch_size:
            return
        after = ordering.cursor_values(events[-1])
        session.expunge_all()  # let the batch just served be garbage-collected


def _page(
    session: Session,
    where: list[ColumnElement[bool]],
    ordering: Ordering,
    after: list[Any] | None,
    limit: int,
) -> list[Event]:
    statement = select(Event).where(*where)
    if after is not None:
        statement = statement.where(ordering.after(after))
    statement = statement.order_by(*ordering.order_by()).limit(limit).options(*LOAD_RELATED)
    return list(session.exec(statement).all())


def count_events(session: Session, query: EventFilter) -> int:
    statement = select(func.count()).select_from(Event).where(*query.conditions())
    return session.exec(statement).one()


# How many values a facet lists at most, the most frequent first.
FACET_SIZE = 100

_FACET_VALUE: dict[Facet, Any] = {
    Facet.type: col(Event.type),
    Facet.status: col(Event.status),
    Facet.year: func.extract("year", col(Event.date_lower)),
    Facet.country: col(EventCountry.country),
    Facet.tag: col(EventTag.tag),
    Facet.actor: col(EventActor.actor_id),
    Facet.publisher: col(Source.publisher),
}
_FACET_JOINS: dict[Facet, list[tuple[Any, ColumnElement[bool]]]] = {
    Facet.country: [(EventCountry, col(EventCountry.event_id) == col(Event.id))],
    Facet.tag: [(EventTag, col(EventTag.event_id) == col(Event.id))],
    Facet.actor: [(EventActor, col(EventActor.event_id) == col(Event.id))],
    Facet.publisher: [
        (Citation, col(Citation.event_id) == col(Event.id)),
        (Source, col(Source.id) == col(Citation.source_id)),
    ],
}


def facet_counts(
    session: Session, query: EventFilter, facets: list[Facet]
) -> dict[str, dict[str, int]]:
    """For each facet, the number of matching events per value: one grouped query each."""
    where = query.conditions()
    counted = func.count(func.distinct(col(Event.id)))
    result: dict[str, dict[str, int]] = {}
    for facet in facets:
        value = _FACET_VALUE[facet]
        statement = select(value, counted).select_from(Event)
        for table, on in _FACET_JOINS.get(facet, []):
            statement = statement.join(table, on)
        statement = (
            statement.where(*where, value.is_not(None))
            .group_by(value)
            .order_by(counted.desc(), value)
            .limit(FACET_SIZE)
        )
        result[facet.value] = {_facet_key(key): n for key, n in session.exec(statement).all()}
    return result


def _facet_key(value: Any) -> str:
    # PostgreSQL's EXTRACT gives a numeric (2012.0 as Decimal('2012')); years read as 2012.
    return str(int(value)) if isinstance(value, float | Decimal) else str(value)


def get_event(session: Session, event_id: str) -> EventPublic:
    """The event with this id, or NotFound (deleted events are not found)."""
    if not SLUG.fullmatch(event_id):
        raise NotFound(f"No event with id {event_id!r}.")  # no such id can have been stored
    event = session.exec(
        select(Event)
        .where(Event.id == event_id, col(Event.deleted_at).is_(None))
        .options(*LOAD_RELATED)
    ).first()
    if event is None:
        raise NotFound(f"No event with id {event_id!r}.")
    return publish(session, [event])[0]


def publish(session: Session, events: Sequence[Event]) -> list[EventPublic]:
    """The public form of loaded events, with the links that point at them."""
    linked_from = _linked_from(session, [event.id for event in events])
    return [_public(event, linked_from[event.id]) for event in events]


def _linked_from(session: Session, ids: list[str]) -> dict[str, list[Link]]:
    found: dict[str, list[Link]] = defaultdict(list)
    if not ids:
        return found
    rows = session.exec(
        select(EventLink)
        .join(Event, col(Event.id) == col(EventLink.event_id))
        .where(col(EventLink.target_id).in_(ids), col(Event.deleted_at).is_(None))
        .order_by(col(EventLink.relation), col(EventLink.event_id))
    ).all()
    for link in rows:
        found[link.target_id].append(Link(event_id=link.event_id, relation=Relation(link.relation)))
    return found


_COLUMNS = tuple(Event.__table__.columns.keys())  # type: ignore[attr-defined]


def _public(event: Event, linked_from: list[Link]) -> EventPublic:
    location = None
    if event.location_name or event.location_country or event.location_lat is not None:
        location = Location(
            name=event.location_name,
            country=event.location_country,
            lat=event.location_lat,
            lon=event.location_lon,
        )
    return EventPublic.model_validate(
        {
            **{column: getattr(event, column) for column in _COLUMNS},
            "countries": [row.country for row in event.countries],
            "tags": [row.tag for row in event.tags],
            "location": location,
            "actors": [
                ActorInEvent(
                    id=row.actor.id,
                    name=row.actor.name,
                    kind=row.actor.kind,
                    country=row.actor.country,
                    role=Role(row.role),
                )
                for row in event.actors
            ],
            "citations": [
                CitationPublic(
                    source=SourcePublic.model_validate(row.source),
                    stance=Stance(row.stance),
                    quote=row.quote,
                    locator=row.locator,
                )
                for row in event.citations
            ],
            "links": [
                Link(event_id=row.target_id, relation=Relation(row.relation)) for row in event.links
            ],
            "linked_from": linked_from,
            "external_ids": {row.scheme: row.value for row in event.external_ids},
        }
    )


def derive_status(stances: Sequence[str]) -> Status:
    if not stances:
        return Status.unsourced
    return Status.disputed if Stance.disputes in stances else Status.reported


def create_event(session: Session, data: EventCreate, *, key_name: str | None = None) -> Event:
    """Store a new event with its citations, actors and links, and its first revision."""
    bounds = span(data.date, data.end_date)
    event_id = data.id or make_slug(data.date.rstrip("?~%"), data.title)
    if session.get(Event, event_id) is not None:
        raise Conflict(f"An event with id {event_id!r} exists already.")
    _check_references(session, data)
    location = data.location or Location()
    event = Event(
        id=event_id,
        title=data.title,
        summary=data.summary,
        date=data.date,
        end_date=data.end_date,
        date_lower=bounds.lower,
        date_upper=bounds.upper,
        date_precision=bounds.precision,
        type=data.type,
        tone=data.tone,
        location_name=location.name,
        location_country=location.country,
        location_lat=location.lat,
        location_lon=location.lon,
        status=derive_status([citation.stance for citation in data.citations]),
    )
    # Sorted as the relationships load them, so a fresh event reads like a stored one.
    event.countries = [
        EventCountry(event_id=event_id, country=c) for c in sorted(set(data.countries))
    ]
    event.tags = [EventTag(event_id=event_id, tag=tag) for tag in sorted(set(data.tags))]
    event.actors = [
        EventActor(event_id=event_id, actor_id=actor.id, role=actor.role, position=position)
        for position, actor in enumerate(data.actors)
    ]
    event.citations = [
        Citation(
            event_id=event_id,
            source_id=_source_id(session, citation.source_id, citation.source),
            stance=citation.stance,
            quote=citation.quote,
            locator=citation.locator,
        )
        for citation in data.citations
    ]
    event.links = [
        EventLink(event_id=event_id, target_id=link.event_id, relation=link.relation)
        for link in data.links
    ]
    event.external_ids = [
        EventExternalId(event_id=event_id, scheme=scheme, value=value)
        for scheme, value in data.external_ids.items()
    ]
    session.add(event)
    session.flush()
    _record(session, event, "create", key_name)
    return event


def _check_references(session: Session, data: EventCreate) -> None:
    """Refuse, with every bad reference named, actors, sources and events that don't exist."""
    problems = []
    actor_ids = {actor.id for actor in data.actors}
    if actor_ids:
        known = set(session.exec(select(Actor.id).where(col(Actor.id).in_(actor_ids))).all())
        problems += [f"unknown actor {actor_id!r}" for actor_id in sorted(actor_ids - known)]
    source_ids = {c.source_id for c in data.citations if c.source_id is not None}
    if source_ids:
        known = set(session.exec(select(Source.id).where(col(Source.id).in_(source_ids))).all())
        problems += [f"unknown source {source_id!r}" for source_id in sorted(source_ids - known)]
    targets = {link.event_id for link in data.links}
    if targets:
        known = set(
            session.exec(
                select(Event.id).where(col(Event.id).in_(targets), col(Event.deleted_at).is_(None))
            ).all()
        )
        problems += [f"link to unknown event {target!r}" for target in sorted(targets - known)]
    for scheme, value in data.external_ids.items():
        holder = session.exec(
            select(EventExternalId.event_id).where(
                EventExternalId.scheme == scheme, EventExternalId.value == value
            )
        ).first()
        if holder is not None:
            raise Conflict(f"External id {scheme}={value!r} belongs to event {holder!r}.")
    if problems:
        raise InvalidInput("; ".join(problems) + ".")


def _source_id(session: Session, source_id: str | None, source: Any) -> str:
    if source_id is not None:
        return source_id
    stored, _created = ensure_source(session, source)
    return stored.id


def _record(session: Session, event: Event, action: str, key_name: str | None) -> None:
    public = publish(session, [event])[0]
    data = public.model_dump(mode="json", exclude={"linked_from"})
    session.add(
        Revision(
            event_id=event.id, version=event.version, action=action, data=data, key_name=key_name
        )
    )
    session.flush()


def event_types(session: Session) -> list[dict[str, Any]]:
    """The PLOVER vocabulary with each type's count of (not deleted) events."""
    counts = dict(
        session.exec(
            select(Event.type, func.count())
            .where(col(Event.deleted_at).is_(None))
            .group_by(Event.type)
        ).all()
    )
    return [
        {
            "type": event_type.value,
            "description": info.description,
            "mode": info.mode,
            "orientation": info.orientation,
            "count": counts.get(event_type, 0),
        }
        for event_type, info in PLOVER.items()
    ]
