"""Events matching the filters, counted per year, month or day with a GROUP BY query."""

from calendar import isleap
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

import orjson
from sqlalchemy import Label, SQLColumnExpression, bindparam, case, extract, func, literal
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from app.core.dates import Precision
from app.core.db import (
    exact_real,
    json_array,
    json_array_agg,
    json_object_agg,
    json_text_as_json,
    table_of,
)
from app.core.errors import InvalidInput
from app.events.derived.country_months import EVERY_EVENT
from app.events.models import CountryMonth, DyadMonth
from app.timeline.models import Bucket, TimelineQuery

# More periods than this is a mistake (bucket=day over decades), not a timeline to draw.
MAX_PERIODS = 20_000


# The precisions coarser than each bucket: such events fall in a period only by their first day.
_COARSER: dict[Bucket, list[str]] = {
    Bucket.year: [],
    Bucket.month: [Precision.year],
    Bucket.day: [Precision.month, Precision.year],
}


TimelineDict = dict[str, Any]
"""A timeline in Timeline's shape, with dates as date objects (orjson writes them)."""


def timeline(session: Session, query: TimelineQuery) -> TimelineDict:
    """The matching events counted per period, with every empty period in between.

    Built as plain dicts from one grouped query's few rows (one per period), as events are:
    Timeline documents the shape, and a test holds the two equal.
    """
    bucket = query.bucket
    found: dict[date, list[Any]] = {}  # period -> [count, tone sum, tone count, imprecise, types]
    for *key, count, tone_sum, tone_count, imprecise, types in _periods_found(session, query):
        start = _start(bucket, key)
        totals = found.get(start)
        if totals is None:
            # float(): a tone sum is text on SQLite (exact_real). The counts are JSON integers.
            found[start] = [count, float(tone_sum), tone_count, imprecise, types]
            continue
        # A year from dyad_month's months: add them up.
        totals[0] += count
        totals[1] += float(tone_sum)
        totals[2] += tone_count
        totals[3] += imprecise
        for event_type, events in types.items():
            totals[4][event_type] = totals[4].get(event_type, 0) + events
    for totals in found.values():
        totals[4] = _most_first(totals[4])
    ends = list(found)
    # The range asked for is drawn whole, even where it has no events.
    if query.first_day:
        ends.append(_first_day(bucket, query.first_day))
    if query.last_day:
        ends.append(_first_day(bucket, query.last_day))
    if not found and not (query.from_ and query.to):
        return {"bucket": bucket, "buckets": []}
    first, last = min(ends), max(ends)
    size = _period_count(bucket, first, last)
    if size > MAX_PERIODS:
        raise InvalidInput(
            f"bucket={bucket} would give {size} periods ({first} to {last}), more than the "
            f"{MAX_PERIODS:,} a timeline answers: choose a coarser bucket, or narrow the range "
            "with from and to.",
            errors=[{"loc": ["query", "bucket"], "msg": "too many periods: use a coarser bucket"}],
        )

    buckets = []
    for label, start, end in _periods(bucket, first, last):
        totals = found.get(start)
        if totals is None:
            count, tone_mean, types, imprecise = 0, None, {}, 0
        else:
            count, tone_sum, tone_count, imprecise, types = totals
            tone_mean = tone_sum / tone_count if tone_count else None
        buckets.append(
            {
                "period": label,
                "start": start,
                "end": end,
                "count": count,
                "tone_mean": tone_mean,
                "types": types,
                "imprecise": imprecise,
            }
        )
    return {"bucket": bucket, "buckets": buckets}


def _periods_found(session: Session, query: TimelineQuery) -> list[list[Any]]:
    """The rows of _counts (or _monthly_counts), fetched as one JSON array in one row.

    SQLite hands over each row of a result on its own, releasing the GIL and taking it back;
    under load, with other threads running Python, each took its turn behind them, and a
    timeline's hundreds of rows cost twice what the query did (Q3 in bench/RESULTS.md).
    """
    if _monthly(query):
        params: dict[str, Any]
        if query.dyad is not None:
            a, b = query.dyad_countries()
            params = {"a": a, "b": b}
        else:  # one country, or every event
            params = {"country": query.country[0] if query.country else EVERY_EVENT}
        if query.type:
            params["types"] = query.type
        if query.last_day:
            params["to"] = _first_day(Bucket.month, query.last_day)
        statement = _monthly_counts(
            query.bucket, query.dyad is not None, bool(query.type), bool(query.to)
        )
    else:
        statement, params = _packed(_counts(query)), {}
    packed: str | None = session.connection().execute(statement, params).scalar_one()
    rows: list[list[Any]] = orjson.loads(packed or "[]")  # PostgreSQL: NULL without rows
    return rows


def _packed(counts: Select[*tuple[Any, ...]]) -> Select[Any]:
    """The rows of `counts` as one JSON array, each row an array (see _periods_found)."""
    periods = counts.subquery()
    *key, count, tone_sum, tone_count, imprecise, types = periods.c
    tone = exact_real(func.coalesce(tone_sum, 0.0))
    row = json_array(*key, count, tone, tone_count, imprecise, json_text_as_json(types))
    return Select(json_array_agg(row))


def _most_first(types: dict[str, int]) -> dict[str, int]:
    """The counts by type, most frequent first, ties by name (the sort is stable)."""
    # The names alone, then by count: faster than sorting the (name, count) pairs twice.
    names = sorted(types)
    names.sort(key=types.__getitem__, reverse=True)
    return {name: types[name] for name in names}


# What the monthly counts can answer besides the dyad, the one country or no filter at all:
# the type, and a `to` that ends with a month.
_MONTHLY_FILTERS = {"type", "to"}


@cache  # one statement for each shape, with its values bound: built (and keyed) once
def _monthly_counts(bucket: Bucket, of_dyad: bool, by_type: bool, until: bool) -> Select[Any]:
    """Monthly counts added up month by month, packed: as _counts, for the types `types` and
    the months up to `to` (bound parameters), of the dyad `a`-`b` (dyad_month; `of_dyad`) or
    of the country `country` (country_month, where '' is every event).

    Read in the order of the table's key, so without sorting; the caller adds months up into
    years.
    """
    table = table_of(DyadMonth if of_dyad else CountryMonth).c
    if of_dyad:
        where = [table.country_a == bindparam("a"), table.country_b == bindparam("b")]
    else:
        where = [table.country == bindparam("country")]
    if by_type:
        where.append(table.type.in_(bindparam("types", expanding=True)))
    if until:
        where.append(table.month <= bindparam("to"))
    imprecise = table.year_precision if bucket is Bucket.month else literal(0)
    stored = (table.events, table.tone_sum, table.tone_count)
    # sqlmodel's select() is typed for at most four columns; its Select class takes any.
    counts: Select[*tuple[Any, ...]] = (
        Select(
            *_period_key(Bucket.month, table.month),
            *(func.sum(column) for column in stored),
            func.sum(imprecise),
            json_object_agg(table.type, table.events),
        )
        .where(*where)
        .group_by(table.month)
    )
    return _packed(counts)


def _counts(query: TimelineQuery) -> Select[*tuple[Any, ...]]:
    """Per period: the events, their tones' sum and count, the imprecise ones, and the events
    by type as a JSON object.

    The events (or the dyad's index, event_dyad) are counted by period and type, and those
    counts added up by period.
    """
    bucket = query.bucket
    rows, where = query.aggregated()  # a dyad's index alone, when it answers the filters
    period_key = _period_key(bucket, col(rows.date_lower))
    key: list[Label[Any]] = [part.label(f"key_{i}") for i, part in enumerate(period_key)]
    tone = col(rows.tone)
    coarser = col(rows.date_precision).in_(_COARSER[bucket])
    by_type = (
        Select(
            *key,
            col(rows.type).label("type"),
            func.count().label("events"),
            func.sum(tone).label("tone_sum"),
            func.count(tone).label("tone_count"),
            func.count(case((coarser, 1))).label("imprecise"),
        )
        .where(*where)
        .group_by(*key, col(rows.type))
        .subquery()
    )
    period = [by_type.c[part.name] for part in key]
    counts = (by_type.c[name] for name in ("events", "tone_sum", "tone_count", "imprecise"))
    return Select(
        *period, *map(func.sum, counts), json_object_agg(by_type.c.type, by_type.c.events)
    ).group_by(*period)


def _monthly(query: TimelineQuery) -> bool:
    """dyad_month or country_month answers: a dyad, one country or every event, by month or
    year, with no filter they lack, `to` a month's end."""
    if query.bucket is Bucket.day:
        return False
    given = query.filters_given()
    if "dyad" in given:
        given.discard("dyad")
    elif "country" in given and len(query.country) == 1:
        given.discard("country")
    if not given <= _MONTHLY_FILTERS:
        return False
    return query.last_day is None or _end(Bucket.month, query.last_day) == query.last_day


def _period_key(bucket: Bucket, day: SQLColumnExpression[Any]) -> list[SQLColumnExpression[Any]]:
    """The GROUP BY key of a period, from a date (an event's date_lower, or a month)."""
    # `extract` compiles to strftime on SQLite and EXTRACT on PostgreSQL: no dialect switch.
    if bucket is Bucket.day:
        return [day]
    year = extract("year", day)
    return [year] if bucket is Bucket.year else [year, extract("month", day)]


def _start(bucket: Bucket, key: Sequence[Any]) -> date:
    """The first day of the period a GROUP BY key names (PostgreSQL's extract is numeric)."""
    if bucket is Bucket.day:
        value = key[0]
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    month = int(key[1]) if bucket is Bucket.month else 1
    return date(int(key[0]), month, 1)


def _first_day(bucket: Bucket, day: date) -> date:
    """The first day of the period that holds `day`."""
    return _start(bucket, (day,) if bucket is Bucket.day else (day.year, day.month))


def _end(bucket: Bucket, start: date) -> date:
    if bucket is Bucket.year:
        return date(start.year, 12, 31)
    if bucket is Bucket.month:
        month = start.month
        last = 29 if month == 2 and isleap(start.year) else _MONTH_DAYS[month]
        return date(start.year, month, last)
    return start


# Days in each month of a common year (calendar.monthrange also works out weekdays: slower).
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _period_count(bucket: Bucket, first: date, last: date) -> int:
    if bucket is Bucket.year:
        return last.year - first.year + 1
    if bucket is Bucket.month:
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days + 1


def _periods(bucket: Bucket, first: date, last: date) -> Iterator[tuple[str, date, date]]:
    """The label, first and last day of every period from `first` to `last`, both included."""
    if bucket is Bucket.day:
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            yield day.isoformat(), day, day
    elif bucket is Bucket.month:
        yield from map(
            _month, range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
        )
    else:
        for year in range(first.year, last.year + 1):
            yield f"{year:04d}", date(year, 1, 1), date(year, 12, 31)


@lru_cache(maxsize=4096)  # timeline after timeline draws the same months: each is made once
def _month(index: int) -> tuple[str, date, date]:
    """The label, first and last day of a month, counted in months from January of year 0."""
    year, month = divmod(index, 12)
    start = date(year, month + 1, 1)
    return f"{year:04d}-{month + 1:02d}", start, _end(Bucket.month, start)
