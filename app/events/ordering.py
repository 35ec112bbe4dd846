"""The orders of events, and how a position in one travels in a cursor.

The documented order is by date_lower, finer precision first, then id; `-date` is its exact
reverse, `-updated` the most recently changed first, `relevance` the best matches of `q`
first. A dyad's order by date walks its index (event_dyad), whose key continues the same
values. A cursor holds the sort key of the last event served, each value checked on the way
back in.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Date,
    Subquery,
    and_,
    bindparam,
    func,
    inspect,
    literal_column,
    or_,
    tuple_,
)
from sqlalchemy import Select as CoreSelect
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.core.dates import Precision
from app.core.errors import BadRequest, InvalidInput
from app.core.slugs import SLUG
from app.events.filters import EventQuery, Sort
from app.events.models import YEAR_SPAN_DAYS, Event, EventDyad
from app.events.search import search_hits


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
    # A dyad's walk by date: the first day its matches can begin on (see _in_dyad).
    start: date | None = None

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

    def position(self, values: list[Any]) -> list[Any]:
        """A cursor's values, checked: BadRequest for garbage."""
        try:
            return [key.load(value) for key, value in zip(self.keys, values, strict=True)]
        except (ValueError, TypeError):
            raise BadRequest("Invalid cursor: pass the next_cursor of a previous page.") from None

    def after(self) -> ColumnElement[bool]:
        """Rows strictly after the position in the parameters after_0, after_1, … (whose
        values after_parameters() gives), in this order."""
        columns = [key.column for key in self.keys]
        position = [bindparam(f"after_{i}", type_=c.type) for i, c in enumerate(columns)]
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

    def after_parameters(self, values: list[Any]) -> dict[str, Any]:
        """The parameters of after() for a cursor's values, checked: BadRequest for garbage."""
        return {f"after_{i}": value for i, value in enumerate(self.position(values))}

    def starting(self) -> ColumnElement[bool]:
        """A dyad's rows from `start` on, in the parameter `start`."""
        return col(EventDyad.date_lower) >= bindparam("start", type_=Date)

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


def ordering_for(session: Session, query: EventQuery) -> Ordering:
    """The order `query` asks for, walked from where its matches can begin."""
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
    return replace(ordering, start=earliest)


@cache  # built once, the dyad bound on each use: building it cost more than running it
def _longest_span() -> CoreSelect[int]:
    """The longest span in days of the dyad `a`-`b`'s events that span more than a year
    (null when none does)."""
    return core_select(func.max(col(EventDyad.span_days))).where(
        col(EventDyad.country_a) == bindparam("a"),
        col(EventDyad.country_b) == bindparam("b"),
        # ix_event_dyad_long_span holds those. The year written in the SQL, not bound: a
        # plan PostgreSQL keeps for a prepared statement must prove the index's condition
        # without the parameters' values, and otherwise read every event of the dyad.
        col(EventDyad.span_days) > literal_column(str(YEAR_SPAN_DAYS)),
    )
