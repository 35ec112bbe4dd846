"""Queries and writes for events. Knows nothing of HTTP: raises the domain errors."""

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Subquery, and_, func, inspect, literal, or_, tuple_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.core.dates import Precision
from app.core.errors import BadRequest, InvalidInput, NotFound
from app.core.fulltext import parse as parse_search
from app.core.fulltext import search_hits
from app.core.pagination import decode_cursor, encode_cursor
from app.core.slugs import SLUG
from app.events.filters import EventFilter, EventQuery, Facet, Sort
from app.events.models import (
    ActorInEvent,
    Citation,
    CitationPublic,
    Event,
    EventActor,
    EventCountry,
    EventLink,
    EventPublic,
    EventTag,
    Link,
    Location,
    Relation,
    Role,
    Stance,
)
from app.events.types import PLOVER
from app.sources.models import Source, SourcePublic


def _dump(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _load_id(value: Any) -> str:
    if isinstance(value, str) and SLUG.fullmatch(value):
        return value
    raise ValueError("bad id in cursor")


def _load_date(value: Any) -> date:
    return date.fromisoformat(value)


def _load_precision(value: Any) -> str:
    return Precision(value).value


def _load_moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive time in cursor")
    return moment


def _dump_rank(value: float) -> str:
    # A string: cursors hold strings and integers; repr() gives the float back exactly, so
    # the next page starts exactly after the last event served.
    return repr(float(value))


def _load_rank(value: Any) -> float:
    rank = float(value) if isinstance(value, str) else math.nan
    if not math.isfinite(rank):
        raise ValueError("bad rank in cursor")
    return rank


@dataclass(frozen=True)
class SortKey:
    """One column of an order: its SQL, its direction, and how its value travels in a cursor."""

    column: ColumnElement[Any]
    descending: bool
    load: Callable[[Any], Any]  # a cursor's value, checked: garbage raises ValueError or TypeError
    dump: Callable[[Any], Any] = _dump


@dataclass(frozen=True)
class Ordering:
    """A total order of events, and how its sort key travels inside a cursor."""

    keys: tuple[SortKey, ...]
    # For an order by search rank: the matches of `q` (event_id, rank), joined to the events.
    hits: Subquery | None = None

    def select(self) -> Select[*tuple[Any, ...]]:
        """The events with the values of their sort key after them."""
        # Several entities: sqlmodel makes a (tuple) Select, whatever its overloads tell mypy.
        statement = cast(Select[*tuple[Any, ...]], select(Event, *(k.column for k in self.keys)))
        if self.hits is not None:
            statement = statement.join(self.hits, self.hits.c.event_id == col(Event.id))
        return statement

    def cursor_values(self, values: Sequence[Any]) -> list[Any]:
        return [key.dump(value) for key, value in zip(self.keys, values, strict=True)]

    def after(self, values: list[Any]) -> ColumnElement[bool]:
        """Rows strictly after the cursor's position, in this order."""
        try:
            parsed = [key.load(value) for key, value in zip(self.keys, values, strict=True)]
        except (ValueError, TypeError):
            raise BadRequest("Invalid cursor: pass the next_cursor of a previous page.") from None
        columns = [key.column for key in self.keys]
        position = [literal(v, c.type) for c, v in zip(columns, parsed, strict=True)]
        directions = {key.descending for key in self.keys}
        if len(directions) == 1:  # one direction: a row comparison, which an index can serve
            key, at = tuple_(*columns), tuple_(*position)
            return key < at if directions.pop() else key > at
        # Mixed directions (rank down, id up): equal on the first i columns, past on the next.
        past = [
            c < p if key.descending else c > p
            for key, c, p in zip(self.keys, columns, position, strict=True)
        ]
        return or_(
            *(
                and_(*(c == p for c, p in zip(columns[:i], position[:i], strict=True)), past[i])
                for i in range(len(columns))
            )
        )

    def order_by(self) -> list[ColumnElement[Any]]:
        return [key.column.desc() if key.descending else key.column.asc() for key in self.keys]


_EVENT = inspect(Event).columns


def _by_date(descending: bool) -> Ordering:
    """The documented total order: date_lower, finer precision first, then id."""
    return Ordering(
        (
            SortKey(_EVENT["date_lower"], descending, _load_date),
            SortKey(_EVENT["date_precision"], descending, _load_precision),
            SortKey(_EVENT["id"], descending, _load_id),
        )
    )


ORDERINGS: dict[Sort, Ordering] = {
    Sort.date: _by_date(descending=False),
    Sort.date_desc: _by_date(descending=True),
    Sort.updated_desc: Ordering(
        (
            SortKey(_EVENT["updated_at"], True, _load_moment),
            SortKey(_EVENT["id"], True, _load_id),
        )
    ),
}


def _ordering(session: Session, query: EventQuery) -> Ordering:
    if query.sort is not Sort.relevance:
        return ORDERINGS[query.sort]
    if query.q is None:
        raise InvalidInput("sort=relevance needs a search: give `q` too.")
    # Most relevant first, then by id; the rank of the last event served travels in the cursor.
    hits = search_hits(session.get_bind().dialect.name, parse_search(query.q))
    rank = SortKey(hits.c.rank, True, _load_rank, _dump_rank)
    return Ordering((rank, SortKey(_EVENT["id"], False, _load_id)), hits=hits)


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
    ordering = _ordering(session, query)
    after = None
    if query.cursor:
        after = decode_cursor(query.cursor, query.sort, len(ordering.keys))
    rows = _page(session, query.conditions(), ordering, after, query.limit + 1)
    page = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit:
        next_cursor = encode_cursor(query.sort, ordering.cursor_values(page[-1][1]))
    return publish(session, [event for event, _key in page]), next_cursor


def iter_events(
    session: Session, query: EventQuery, *, batch_size: int = 500
) -> Iterator[EventPublic]:
    """Every matching event in order, fetched in keyset batches: constant memory."""
    ordering = _ordering(session, query)
    where = query.conditions()
    after: list[Any] | None = None
    while True:
        rows = _page(session, where, ordering, after, batch_size)
        yield from publish(session, [event for event, _key in rows])
        if len(rows) < batch_size:
            return
        after = ordering.cursor_values(rows[-1][1])
        session.expunge_all()  # let the batch just served be garbage-collected


def _page(
    session: Session,
    where: list[ColumnElement[bool]],
    ordering: Ordering,
    after: list[Any] | None,
    limit: int,
) -> list[tuple[Event, list[Any]]]:
    """Events in order, each with the values of its sort key."""
    statement = ordering.select().where(*where)
    if after is not None:
        statement = statement.where(ordering.after(after))
    statement = statement.order_by(*ordering.order_by()).limit(limit).options(*LOAD_RELATED)
    return [(row[0], list(row[1:])) for row in session.exec(statement).all()]


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
