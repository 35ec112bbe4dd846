"""Queries and writes for events. Knows nothing of HTTP: raises the domain errors."""

import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, cast

import orjson
from sqlalchemy import (
    ColumnElement,
    Executable,
    ScalarSelect,
    Subquery,
    and_,
    bindparam,
    func,
    inspect,
    literal,
    or_,
    tuple_,
)
from sqlalchemy import Select as CoreSelect
from sqlalchemy import select as core_select  # rows as tuples, for the public form
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.actors.models import Actor
from app.core.dates import Precision
from app.core.db import json_array, json_array_agg, table_of
from app.core.errors import BadRequest, InvalidInput, NotFound
from app.core.fulltext import frequent, search_hits
from app.core.pagination import decode_cursor, encode_cursor
from app.core.slugs import SLUG
from app.events.filters import EventFilter, EventQuery, Facet, Sort
from app.events.models import (
    YEAR_SPAN_DAYS,
    Citation,
    Event,
    EventActor,
    EventCountry,
    EventDyad,
    EventExternalId,
    EventLink,
    EventPublic,
    EventTag,
)
from app.events.types import PLOVER
from app.sources.models import Source


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
    # Where in the order the matches can begin, when the filters alone leave it open.
    start: ColumnElement[bool] | None = None

    def select(self, columns: Sequence[ColumnElement[Any]]) -> Select[*tuple[Any, ...]]:
        """Rows of these columns (of the event table) with the values of their sort key after
        them (as sort_0…): plain rows, not ORM objects, which load_public reads as well for a
        fraction of the time.
        """
        keys = (key.column.label(f"sort_{i}") for i, key in enumerate(self.keys))
        # Several columns: sqlmodel makes a (tuple) Select, whatever its overloads tell mypy.
        statement = cast(Select[*tuple[Any, ...]], select(*columns, *keys))
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
_DYAD = inspect(EventDyad).columns


def _by_date(descending: bool, lower: Any, precision: Any, event_id: Any) -> Ordering:
    """The documented total order: date_lower, finer precision first, then id."""
    return Ordering(
        (
            SortKey(lower, descending, _load_date),
            SortKey(precision, descending, _load_precision),
            SortKey(event_id, descending, _load_id),
        )
    )


_BY_DATE = (_EVENT["date_lower"], _EVENT["date_precision"], _EVENT["id"])
# The same values in a dyad's index, whose key they continue: the database walks that
# pair's rows in order (the filter joins them) instead of sorting its matches.
_BY_DATE_IN_DYAD = (_DYAD["date_lower"], _DYAD["date_precision"], _DYAD["event_id"])

ORDERINGS: dict[Sort, Ordering] = {
    Sort.date: _by_date(False, *_BY_DATE),
    Sort.date_desc: _by_date(True, *_BY_DATE),
    Sort.updated_desc: Ordering(
        (
            SortKey(_EVENT["updated_at"], True, _load_moment),
            SortKey(_EVENT["id"], True, _load_id),
        )
    ),
}
DYAD_ORDERINGS: dict[Sort, Ordering] = {
    Sort.date: _by_date(False, *_BY_DATE_IN_DYAD),
    Sort.date_desc: _by_date(True, *_BY_DATE_IN_DYAD),
}


def _ordering(session: Session, query: EventQuery) -> Ordering:
    if query.dyad is not None and query.sort in DYAD_ORDERINGS:
        return _in_dyad(session, DYAD_ORDERINGS[query.sort], query)
    if query.sort is not Sort.relevance:
        return ORDERINGS[query.sort]
    if query.search is None:
        raise InvalidInput("sort=relevance needs a search: give `q` too.")
    # Most relevant first, then by id; the rank of the last event served travels in the cursor.
    hits = search_hits(session.get_bind().dialect.name, query.search)
    rank = SortKey(hits.c.rank, True, _load_rank, _dump_rank)
    return Ordering((rank, SortKey(_EVENT["id"], False, _load_id)), hits=hits)


def _in_dyad(session: Session, ordering: Ordering, query: EventQuery) -> Ordering:
    """A dyad's order by date, walked from the first place where a match of `from` can be."""
    first = query.first_day
    if first is None:
        return ordering
    # A match ends on or after `from`; but the walk follows date_lower, the key, not date_upper:
    # it may start the pair's longest span before `from`, not at the pair's first event.
    a, b = query.dyad_countries()
    long = session.connection().execute(_longest_span(), {"a": a, "b": b}).scalar()
    longest = max(YEAR_SPAN_DAYS, long or 0)
    earliest = first - timedelta(days=min(longest, (first - date.min).days))
    return replace(ordering, start=col(EventDyad.date_lower) >= earliest)


@cache  # built once, the dyad bound on each use: building it cost more than running it
def _longest_span() -> CoreSelect[int]:
    """The longest span in days of the dyad `a`-`b`'s events that span more than a year
    (null when none does)."""
    return core_select(func.max(col(EventDyad.span_days))).where(
        col(EventDyad.country_a) == bindparam("a"),
        col(EventDyad.country_b) == bindparam("b"),
        col(EventDyad.span_days) > YEAR_SPAN_DAYS,  # ix_event_dyad_long_span holds those
    )


def _conditions(
    session: Session, query: EventQuery, ordering: Ordering, page: int
) -> list[ColumnElement[bool]]:
    """The query's conditions, for pages of `page` events in this order.

    A search with many matches and no other filter, in an order of the event table's indexes
    (not by relevance), walks that index and keeps the matches (fulltext.frequent). Another
    filter could make the matches rare again, and the walk long.
    """
    walk = (
        query.search is not None
        and query.filters_given() == {"q"}
        and ordering.hits is None
        and frequent(session.connection(), query.search, page)
    )
    return query.conditions(walk_search=walk)


def list_events(session: Session, query: EventQuery) -> tuple[list["EventDict"], str | None]:
    """One page of matching events in the chosen order (only the query's `fields`, when it
    names some), and the cursor of the next page."""
    ordering = _ordering(session, query)
    after = None
    if query.cursor:
        after = decode_cursor(query.cursor, query.sort, len(ordering.keys))
    where = _conditions(session, query, ordering, query.limit)
    rows = _page(session, where, ordering, after, query.limit + 1)
    page = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit:
        next_cursor = encode_cursor(query.sort, ordering.cursor_values(page[-1][1]))
    events = load_public(session, [event for event, _key in page], query.field_set())
    return events, next_cursor


def iter_events(
    session: Session,
    query: EventQuery,
    *,
    related: Collection[str] | None = None,
    batch_size: int = 500,
) -> Iterator["EventDict"]:
    """Every matching event in order, fetched in keyset batches: constant memory.

    `related` names the related tables to read (see load_public) when a writer needs only some.
    """
    for rows in _batches(session, query, _event_columns, batch_size):
        yield from load_public(session, rows, related=related)


def iter_flat(
    session: Session, query: EventQuery, columns: Sequence[str], *, batch_size: int = 2000
) -> Iterator[tuple[Any, ...]]:
    """Every matching event in order as a tuple of `columns`: the event table's, or the
    related lists of FLAT_LISTS as JSON text (null when empty).

    One statement a batch, for exports that write a few fields of every event (CSV): no
    public form is built, and the lists can be leaner than RELATED's (FLAT_LISTS' sources).
    """
    selected = [FLAT_LISTS[name] if name in FLAT_LISTS else _event.c[name] for name in columns]
    width = len(selected)
    for rows in _batches(session, query, selected, batch_size):
        yield from (row[:width] for row in rows)  # without the sort key


def _batches(
    session: Session,
    query: EventQuery,
    columns: Sequence[ColumnElement[Any]],
    batch_size: int,
) -> Iterator[list[Any]]:
    """The matching events' rows of these columns in order, a keyset batch at a time."""
    ordering = _ordering(session, query)
    where = _conditions(session, query, ordering, batch_size)
    after: list[Any] | None = None
    while True:
        rows = _page(session, where, ordering, after, batch_size, columns)
        yield [row for row, _key in rows]
        if len(rows) < batch_size:
            return
        after = ordering.cursor_values(rows[-1][1])


def _page(
    session: Session,
    where: list[ColumnElement[bool]],
    ordering: Ordering,
    after: list[Any] | None,
    limit: int,
    columns: Sequence[ColumnElement[Any]] | None = None,
) -> list[tuple[Any, list[Any]]]:
    """Rows (of the event table, or of these columns) in order, each with its sort key's values.

    The rows keep the sort key after their columns: the event table's are read by name.
    """
    columns = _event_columns if columns is None else columns
    statement = ordering.select(columns)
    if after is not None:
        # Before the filters: of two bounds on one side of an index, SQLite seeks to the first
        # written, and `from`, `to` or `start` would have it walk every page before the cursor.
        statement = statement.where(ordering.after(after))
    statement = statement.where(*where)
    if ordering.start is not None:
        statement = statement.where(ordering.start)
    statement = statement.order_by(*ordering.order_by()).limit(limit)
    width = len(columns)
    # A Core result, as load_public reads: plain rows, without the ORM's handling of them.
    rows = session.connection().execute(statement).all()
    return [(row, list(row[width:])) for row in rows]


def count_events(session: Session, query: EventFilter) -> int:
    rows, where = query.aggregated()  # a dyad's index alone, when it answers the filters
    return session.exec(select(func.count()).select_from(rows).where(*where)).one()


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


# --- the public form of events ------------------------------------------------------------
#
# Reads build EventPublic's JSON shape as plain dicts straight from rows: one query for the
# events, then one per related table for all of them, and orjson writes the result. ORM
# objects and pydantic validation of what the database holds already cost many times the SQL;
# EventPublic stays the documented schema, and a test holds the two equal.

EventDict = dict[str, Any]
"""An event in EventPublic's shape, with its dates and times as date and datetime objects
(`formats.dumps` writes them as pydantic does)."""


_event = table_of(Event)
_event_columns: list[ColumnElement[Any]] = list(_event.columns)
_country = table_of(EventCountry)
_tag = table_of(EventTag)
_event_actor = table_of(EventActor)
_actor = table_of(Actor)
_citation = table_of(Citation)
_source = table_of(Source)
_link = table_of(EventLink)
_external_id = table_of(EventExternalId)


def _json_list(statement: CoreSelect[Any]) -> ScalarSelect[Any]:
    """The rows of a statement about the outer query's event as a JSON array, in the
    statement's order: of its one column's values, or of arrays when it has several."""
    rows = statement.correlate(_event).subquery()
    item = rows.c[0] if len(rows.c) == 1 else json_array(*rows.c)
    return core_select(json_array_agg(item)).scalar_subquery()


_linking = _event.alias("linking")

# The fields of the public form made of other tables' rows, as columns of a statement about
# events: each a JSON array (null when empty) of the event's rows in the items' order, each
# row the values `_public` makes an item of. The database looks up every event's rows, and one
# statement reads the lists of a whole page.
RELATED: dict[str, ScalarSelect[Any]] = {
    "countries": _json_list(
        core_select(_country.c.country)
        .where(_country.c.event_id == _event.c.id)
        .order_by(_country.c.country)
    ),
    "tags": _json_list(
        core_select(_tag.c.tag).where(_tag.c.event_id == _event.c.id).order_by(_tag.c.tag)
    ),
    "actors": _json_list(
        core_select(
            _actor.c.id, _actor.c.name, _actor.c.kind, _actor.c.country, _event_actor.c.role
        )
        .join(_actor, _actor.c.id == _event_actor.c.actor_id)
        .where(_event_actor.c.event_id == _event.c.id)
        .order_by(_event_actor.c.position)
    ),
    "citations": _json_list(
        core_select(
            _source.c.title,
            _source.c.publisher,
            _source.c.author,
            _source.c.published,
            _source.c.kind,
            _source.c.language,
            _source.c.id,
            _source.c.url,
            _source.c.archive_url,
            _source.c.version,
            _citation.c.stance,
            _citation.c.quote,
            _citation.c.locator,
        )
        .join(_source, _source.c.id == _citation.c.source_id)
        .where(_citation.c.event_id == _event.c.id)
        .order_by(_citation.c.id)
    ),
    "links": _json_list(
        core_select(_link.c.target_id, _link.c.relation)
        .where(_link.c.event_id == _event.c.id)
        .order_by(_link.c.relation, _link.c.target_id)
    ),
    # The links of other events to this one: a deleted event's links are hidden with it.
    "linked_from": _json_list(
        core_select(_link.c.event_id, _link.c.relation)
        .join(_linking, _linking.c.id == _link.c.event_id)
        .where(_link.c.target_id == _event.c.id, _linking.c.deleted_at.is_(None))
        .order_by(_link.c.relation, _link.c.event_id)
    ),
    "external_ids": _json_list(
        core_select(_external_id.c.scheme, _external_id.c.value)
        .where(_external_id.c.event_id == _event.c.id)
        .order_by(_external_id.c.scheme)
    ),
}

# The lists iter_flat gives: RELATED's, and the [url, publisher] of each source, for the CSV.
FLAT_LISTS: dict[str, ScalarSelect[Any]] = RELATED | {
    "sources": _json_list(
        core_select(_source.c.url, _source.c.publisher)
        .join(_source, _source.c.id == _citation.c.source_id)
        .where(_citation.c.event_id == _event.c.id)
        .order_by(_citation.c.id)
    ),
}

# One event and all its lists, in one statement.
_LIVE_EVENT = core_select(_event, *RELATED.values()).where(
    _event.c.id == bindparam("id"), _event.c.deleted_at.is_(None)
)


@cache
def _lists_of(names: tuple[str, ...], one: bool) -> Executable:
    """The statement of these lists for the events of the `ids` parameter, after their id.

    One event gets `= :ids`, since an IN list makes SQLAlchemy render the statement anew at
    every execution (a tenth of the time of a small request).
    """
    ids = (
        _event.c.id == bindparam("ids")
        if one
        else _event.c.id.in_(bindparam("ids", expanding=True))
    )
    return core_select(_event.c.id, *(RELATED[name] for name in names)).where(ids)


def get_event(session: Session, event_id: str) -> EventDict:
    """The event with this id, or NotFound (deleted events are not found)."""
    if not SLUG.fullmatch(event_id):
        raise NotFound(f"No event with id {event_id!r}.")  # no such id can have been stored
    row = session.connection().execute(_LIVE_EVENT, {"id": event_id}).first()
    if row is None:
        raise NotFound(f"No event with id {event_id!r}.")
    return _public(row, dict(zip(RELATED, row[len(_event_columns) :], strict=True)))


def publish(session: Session, events: Sequence[Event]) -> list[EventPublic]:
    """The public form of events just written, validated: what writes answer and store."""
    session.flush()  # the queries below are Core statements, which do not autoflush
    return [EventPublic.model_validate(event) for event in load_public(session, events)]


def load_public(
    session: Session,
    rows: Sequence[Any],
    fields: set[str] | None = None,
    *,
    related: Collection[str] | None = None,
) -> list[EventDict]:
    """The public form of these events (rows of the event table, or Event objects).

    One statement reads the related lists (countries, tags, actors, citations, links,
    linked_from, external_ids) of all of them, only those of the fields wanted when `fields`
    names some; the dicts then hold those fields alone (a field whose list was not read is
    built empty, then dropped). `related`, when given, names the lists to read instead, and
    keeps every field: those of the lists not read are empty.
    """
    wanted = fields if related is None else related
    names = tuple(name for name in RELATED if wanted is None or name in wanted)
    lists: dict[str, Sequence[Any]] = {}
    if rows and names:
        ids = [row.id for row in rows]
        one = len(ids) == 1
        result = session.connection().execute(
            _lists_of(names, one), {"ids": ids[0] if one else ids}
        )
        lists = {row[0]: row[1:] for row in result}
    events = [_public(row, dict(zip(names, lists.get(row.id, ()), strict=False))) for row in rows]
    return events if related is not None else [only(event, fields) for event in events]


def only(event: EventDict, fields: set[str] | None) -> EventDict:
    """The event with just these fields (all when None), in the usual order."""
    return event if fields is None else {k: v for k, v in event.items() if k in fields}


def _items(text: str | None) -> list[Any]:
    return orjson.loads(text) if text else []


def _public(row: Any, lists: dict[str, str | None]) -> EventDict:
    """An event row and its related lists (JSON text, by RELATED's names) in EventPublic's
    shape. A list not given is empty."""
    location = None
    if row.location_name or row.location_country or row.location_lat is not None:
        location = {
            "name": row.location_name,
            "country": row.location_country,
            "lat": row.location_lat,
            "lon": row.location_lon,
        }
    # The keys in the order of EventPublic's fields, as its JSON has them; the lists' items
    # unpacked in the order of RELATED's columns.
    return {
        "title": row.title,
        "summary": row.summary,
        "date": row.date,
        "end_date": row.end_date,
        "type": row.type,
        "tone": row.tone,
        "id": row.id,
        "date_lower": row.date_lower,
        "date_upper": row.date_upper,
        "date_precision": row.date_precision,
        "countries": _items(lists.get("countries")),
        "tags": _items(lists.get("tags")),
        "location": location,
        "actors": [
            {"id": actor_id, "name": name, "kind": kind, "country": country, "role": role}
            for actor_id, name, kind, country, role in _items(lists.get("actors"))
        ],
        "citations": [
            {
                "source": {
                    "title": title,
                    "publisher": publisher,
                    "author": author,
                    "published": published,
                    "kind": kind,
                    "language": language,
                    "id": source_id,
                    "url": url,
                    "archive_url": archive_url,
                    "version": version,
                },
                "stance": stance,
                "quote": quote,
                "locator": locator,
            }
            for (
                title,
                publisher,
                author,
                published,
                kind,
                language,
                source_id,
                url,
                archive_url,
                version,
                stance,
                quote,
                locator,
            ) in _items(lists.get("citations"))
        ],
        "status": row.status,
        "links": [
            {"event_id": target_id, "relation": relation}
            for target_id, relation in _items(lists.get("links"))
        ],
        "linked_from": [
            {"event_id": event_id, "relation": relation}
            for event_id, relation in _items(lists.get("linked_from"))
        ],
        "external_ids": dict(_items(lists.get("external_ids"))),
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


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
