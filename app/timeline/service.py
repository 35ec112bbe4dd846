"""Events matching the filters, counted per year, month or day with a GROUP BY query."""

from calendar import isleap
from collections.abc import Iterator
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

# One period's figures while they are added up: [count, tone sum, tone count, imprecise, types].
Totals = list[Any]


def timeline(session: Session, query: TimelineQuery) -> TimelineDict:
    """The matching events counted per period, with every empty period in between.

    Built as plain dicts from one grouped query's few rows (one per period), as events are:
    Timeline documents the shape, and a test holds the two equal.
    """
    bucket = query.bucket
    found = _totals(bucket, _periods_found(session, query))
    # Labels sort as their periods do (a year of four digits, then `-MM`, then `-DD`).
    ends = [min(found), max(found)] if found else []
    # The range asked for is drawn whole, even where it has no events.
    if query.first_day:
        ends.append(_label(bucket, query.first_day))
    if query.last_day:
        ends.append(_label(bucket, query.last_day))
    if not found and not (query.from_ and query.to):
        return {"bucket": bucket, "buckets": []}
    first, last = _first_of(bucket, min(ends)), _first_of(bucket, max(ends))
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
        totals = found.get(label)
        if totals is None:
            count, tone_mean, types, imprecise = 0, None, {}, 0
        else:
            count, tone_sum, tone_count, imprecise, types = totals
            tone_mean = tone_sum / tone_count if tone_count else None
            types = _most_first(types)
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


def _totals(bucket: Bucket, rows: list[list[Any]]) -> dict[str, Totals]:
    """The figures of each period that has events, by its label, from the rows of _counts or
    _monthly_counts (whose months of a year are added up here)."""
    found: dict[str, Totals] = {}
    for key, count, tone_sum, tone_count, imprecise, types in rows:
        label = _key_label(bucket, key)
        totals = found.get(label)
        if totals is None:
            # float(): a tone sum is text on SQLite (exact_real). The counts are JSON integers.
            found[label] = [count, float(tone_sum), tone_count, imprecise, types]
            continue
        totals[0] += count
        totals[1] += float(tone_sum)
        totals[2] += tone_count
        totals[3] += imprecise
        for event_type, events in types.items():
            totals[4][event_type] = totals[4].get(event_type, 0) + events
    return found


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
            params["to"] = query.last_day.replace(day=1)
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
    key, count, tone_sum, tone_count, imprecise, types = periods.c
    tone = exact_real(func.coalesce(tone_sum, 0.0))
    row = json_array(key, count, tone, tone_count, imprecise, json_text_as_json(types))
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
            table.month,  # its first day: the caller takes the month or year from it
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
    key: Label[Any] = _period_key(bucket, col(rows.date_lower)).label("period")
    tone = col(rows.tone)
    coarser = col(rows.date_precision).in_(_COARSER[bucket])
    by_type = (
        Select(
            key,
            col(rows.type).label("type"),
            func.count().label("events"),
            func.sum(tone).label("tone_sum"),
            func.count(tone).label("tone_count"),
            func.count(case((coarser, 1))).label("imprecise"),
        )
        .where(*where)
        .group_by(key, col(rows.type))
        .subquery()
    )
    period = by_type.c.period
    counts = (by_type.c[name] for name in ("events", "tone_sum", "tone_count", "imprecise"))
    return Select(
        period, *map(func.sum, counts), json_object_agg(by_type.c.type, by_type.c.events)
    ).group_by(period)


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


def _period_key(bucket: Bucket, day: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    """The GROUP BY key of a period, from an event's date_lower: the day itself, the year, or
    the year and month as one number (201208), which _key_label reads."""
    # `extract` compiles to strftime on SQLite and EXTRACT on PostgreSQL: no dialect switch.
    if bucket is Bucket.day:
        return day
    year = extract("year", day)
    return year if bucket is Bucket.year else year * 100 + extract("month", day)


# How much of a day's ISO text names each period: `2012`, `2012-08`, `2012-08-30`.
_LABEL_LENGTH = {Bucket.year: 4, Bucket.month: 7, Bucket.day: 10}
_FIRST_DAY_SUFFIX = {Bucket.year: "-01-01", Bucket.month: "-01", Bucket.day: ""}


def _key_label(bucket: Bucket, key: str | float) -> str:
    """The label of the period a GROUP BY key names: a day as ISO text (an event's date_lower,
    or a stored month's first day), or else _period_key's number (PostgreSQL's are numeric)."""
    if isinstance(key, str):
        return key[: _LABEL_LENGTH[bucket]]
    number = int(key)
    if bucket is Bucket.month:
        return f"{number // 100:04d}-{number % 100:02d}"
    return f"{number:04d}"


def _label(bucket: Bucket, day: date) -> str:
    """The label of the period that holds `day`."""
    return day.isoformat()[: _LABEL_LENGTH[bucket]]


def _first_of(bucket: Bucket, label: str) -> date:
    """The first day of the period a label names."""
    return date.fromisoformat(label + _FIRST_DAY_SUFFIX[bucket])


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
