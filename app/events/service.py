"""Querying events: pages, streams, counts and facets of the matches of a filter. Knows
nothing of HTTP; the order lives in ordering.py, the public form in public.py."""

from collections.abc import Iterator, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    func,
)
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.db import table_of
from app.core.pagination import decode_cursor, encode_cursor
from app.events import search
from app.events.filters import EventFilter, EventQuery, Facet, Sort
from app.events.models import (
    Citation,
    DyadMonth,
    Event,
    EventActor,
    EventCountry,
    EventTag,
    VocabularyCount,
)
from app.events.ordering import ORDERINGS, Ordering, ordering_for
from app.events.public import DOCUMENT, items
from app.events.search import frequent
from app.events.types import PLOVER
from app.sources.models import Source


def _walks_search(session: Session, query: EventQuery, ordering: Ordering, page: int) -> bool:
    """Whether a search finds a page of `page` events by walking an index (search.matches).

    A search with many matches and no other filter, in an order of the event table's indexes
    (not by relevance), walks that index and keeps the matches (search.frequent). Another
    filter could make the matches rare again, and the walk long.
    """
    return (
        query.search is not None
        and query.filters_given() == {"q"}
        and ordering.hits is None
        and frequent(session.connection(), query.search, page)
    )


def list_events(session: Session, query: EventQuery) -> tuple[list[Any], str | None]:
    """One page of matching events in the chosen order, as items for `public.dumps` (their
    stored documents; only the query's `fields`, when it names some), and the cursor of the
    next page."""
    if _search_by_date(session, query):
        return _search_page(session, query)
    ordering = ordering_for(session, query)
    after = None
    if query.cursor:
        after = decode_cursor(query.cursor, query.sort, len(ordering.keys))
    walk = _walks_search(session, query, ordering, query.limit)
    rows = _page(session, query, walk, ordering, after, query.limit + 1, [DOCUMENT])
    page = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit:
        next_cursor = encode_cursor(query.sort, ordering.cursor_values(page[-1][1:]))
    return items([row.document for row in page], query.field_set()), next_cursor


def _search_by_date(session: Session, query: EventQuery) -> bool:
    """Whether a page is a search alone in the order of dates, which reads the search index in
    that order (search.in_key_order)."""
    return (
        query.search is not None
        and query.sort in (Sort.date, Sort.date_desc)
        and query.filters_given() == {"q"}
        and search.orders_by_key(session.get_bind().dialect.name, query.search)
    )


def _search_page(session: Session, query: EventQuery) -> tuple[list[Any], str | None]:
    """A page of a search by date: the index's first matches from the cursor on, read a few
    days and precisions at a time, each ordered by id, until the page is full. No match past
    the page is read, but the rest of its last day and precision."""
    assert query.search is not None
    ordering = ORDERINGS[query.sort]
    descending = query.sort is Sort.date_desc
    connection = session.connection()
    low, high = search.ALL_KEYS
    position: tuple[str, ...] | None = None
    if query.cursor:
        lower, precision, event_id = ordering.position(
            decode_cursor(query.cursor, query.sort, len(ordering.keys))
        )
        position = (lower.isoformat(), precision, event_id)
        key = search.lowest_key(connection, *position[:2])
        low, high = (low, key + search.KEY_SPAN - 1) if descending else (key, high)
    wanted = query.limit + 1
    page: list[tuple[tuple[str, ...], str]] = []
    while len(page) < wanted:
        rows = search.in_key_order(
            connection, query.search, (low, high), descending=descending, limit=wanted
        )
        if not rows:
            break
        exhausted = len(rows) < wanted  # no match is left past these
        last = rows[-1].key
        first_of_last = last - last % search.KEY_SPAN  # the last day and precision's keys
        rest = (
            (first_of_last, last - 1)
            if descending
            else (last + 1, first_of_last + search.KEY_SPAN - 1)
        )
        if not exhausted:
            rows += search.in_key_order(connection, query.search, rest, descending=descending)
        found = sorted(
            (((row.date_lower, row.date_precision, row.id), row.document) for row in rows),
            reverse=descending,
        )
        if position is not None:
            found = [f for f in found if (f[0] < position if descending else f[0] > position)]
        page += found
        if exhausted:
            break
        low, high = (
            (low, first_of_last - 1) if descending else (first_of_last + search.KEY_SPAN, high)
        )
    next_cursor = None
    if len(page) > query.limit:
        next_cursor = encode_cursor(query.sort, ordering.cursor_values(page[query.limit - 1][0]))
    return items(
        [document for _key, document in page[: query.limit]], query.field_set()
    ), next_cursor


def iter_documents(session: Session, query: EventQuery, *, batch_size: int = 1000) -> Iterator[str]:
    """Every matching event's stored document (JSON text) in order, in keyset batches."""
    for rows in batches(session, query, [DOCUMENT], batch_size=batch_size):
        yield from map(itemgetter(0), rows)


def batches(
    session: Session,
    query: EventQuery,
    columns: Sequence[ColumnElement[Any]],
    *,
    batch_size: int = 1000,
) -> Iterator[Sequence[Row[Any]]]:
    """The matching events' rows of these columns in order, a keyset batch at a time (each
    row with its sort key after its columns)."""
    ordering = ordering_for(session, query)
    walk = _walks_search(session, query, ordering, batch_size)
    after: list[Any] | None = None
    while True:
        rows = _page(session, query, walk, ordering, after, batch_size, columns)
        yield rows
        if len(rows) < batch_size:
            return
        after = ordering.cursor_values(rows[-1][len(columns) :])


# A page's statement for each shape of query that has no search: built once, run with each
# request's values (building and keying a statement cost more than running it). The shapes
# are the combinations of filters, orders and columns that exist: a few hundred at most.
_PAGE_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


def _page(
    session: Session,
    query: EventQuery,
    walk_search: bool,
    ordering: Ordering,
    after: list[Any] | None,
    limit: int,
    columns: Sequence[ColumnElement[Any]],
) -> Sequence[Row[Any]]:
    """Rows of these columns in order, each with the values of its sort key after its
    columns. A cursor needs the key of one row, the last: the others' are left as they are."""
    parameters = query.parameters()
    if after is not None:
        parameters |= ordering.after_parameters(after)  # a 400 for a cursor's garbage first
    if ordering.start is not None:
        parameters["start"] = ordering.start
    parameters["limit"] = limit

    def build() -> Select[Any]:
        statement = ordering.select(columns)
        if after is not None:
            # Before the filters: of two bounds on one side of an index, SQLite seeks to the
            # first written, and `from`, `to` or `start` would have it walk every page before
            # the cursor.
            statement = statement.where(ordering.after())
        statement = statement.where(*query.conditions(walk_search=walk_search, bound=True))
        if ordering.start is not None:
            statement = statement.where(ordering.starting())
        return statement.order_by(*ordering.order_by()).limit(bindparam("limit"))

    if query.search is None and ordering.hits is None:
        # The order, the columns and the parameters' names (in the order they were added).
        shape = (query.sort, tuple(columns), *parameters)
        statement = _PAGE_STATEMENTS.get(shape)
        if statement is None:
            statement = _PAGE_STATEMENTS[shape] = build()
    else:  # the search's text is written into its SQL
        statement = build()
    # A Core result, as load_public reads: plain rows, without the ORM's handling of them.
    return session.connection().execute(statement, parameters).all()


def count_events(session: Session, query: EventFilter) -> int:
    """How many events match: read from stored counts when they answer the filters (none,
    one country, one dyad), else counted."""
    given = query.filters_given()
    if not given:  # every live event has one type
        return _stored(session, select(func.sum(VocabularyCount.events)).where(_kind("type")))
    if given == {"country"} and len(query.country) == 1:
        (country,) = query.country
        kind = _kind("country", col(VocabularyCount.value) == country)
        return _stored(session, select(func.sum(VocabularyCount.events)).where(kind))
    if given == {"dyad"}:
        a, b = query.dyad_countries()
        pair = (col(DyadMonth.country_a) == a, col(DyadMonth.country_b) == b)
        return _stored(session, select(func.sum(DyadMonth.events)).where(*pair))
    rows, where = query.aggregated()  # a dyad's index alone, when it answers the filters
    return session.exec(select(func.count()).select_from(rows).where(*where)).one()


def _kind(kind: str, *also: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(col(VocabularyCount.kind) == kind, *also)


def _stored(session: Session, total: SelectOfScalar[int]) -> int:
    """A sum of stored counts (SQL's sum of no rows is null: none)."""
    return int(session.exec(total).one() or 0)


_EVENT_TABLE = table_of(Event)

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


def event_types(session: Session) -> list[dict[str, Any]]:
    """The PLOVER vocabulary with each type's count of (not deleted) events."""
    counts = dict(
        session.exec(
            select(VocabularyCount.value, VocabularyCount.events).where(
                VocabularyCount.kind == "type"
            )
        ).all()
    )
    return [
        {
            "type": event_type.value,
            "description": info.description,
            "mode": info.mode,
            "orientation": info.orientation,
            "count": counts.get(event_type.value, 0),
        }
        for event_type, info in PLOVER.items()
    ]
