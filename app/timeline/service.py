"""Events matching the filters, counted per year, month or day with GROUP BY queries."""

from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import SQLColumnExpression, case, extract, func, literal
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from app.core.dates import Precision, parse
from app.core.errors import InvalidInput
from app.events.filters import EventFilter
from app.events.models import DyadMonth

# More periods than this is a mistake (bucket=day over decades), not a timeline to draw.
MAX_PERIODS = 20_000


class Bucket(StrEnum):
    year = "year"
    month = "month"
    day = "day"


# The precisions coarser than each bucket: such events fall in a period only by their first day.
_COARSER: dict[Bucket, list[str]] = {
    Bucket.year: [],
    Bucket.month: [Precision.year],
    Bucket.day: [Precision.month, Precision.year],
}


class TimelineQuery(EventFilter):
    """The parameters of `GET /v1/timeline`: the event filters and the size of a period."""

    bucket: Bucket = Field(
        default=Bucket.year, description="The length of a period.", examples=["month"]
    )


class TimelineBucket(BaseModel):
    period: str = Field(
        description="The period: `2012` (year), `2012-08` (month) or `2012-08-30` (day).",
        examples=["2012-08"],
    )
    start: date = Field(description="The period's first day.", examples=["2012-08-01"])
    end: date = Field(description="The period's last day.", examples=["2012-08-31"])
    count: int = Field(description="Matching events whose date_lower is in the period.")
    tone_mean: float | None = Field(
        description="The mean tone of those events that have one; null when none has.",
        examples=[-5.0],
    )
    types: dict[str, int] = Field(
        description="The events counted by PLOVER type, most frequent first.",
        examples=[{"reject": 1}],
    )
    imprecise: int = Field(
        description="How many of the events are dated less precisely than the bucket (to a "
        "year in a month bucket; to a month or a year in a day bucket): they count here only "
        "because their date range starts here."
    )


class Timeline(BaseModel):
    bucket: Bucket
    buckets: list[TimelineBucket] = Field(
        description="Every period from `from` (or the first with an event) to `to` (or the "
        "last with an event), oldest first; periods without events are included with count 0, "
        "so a chart of the range asked for needs no gap filling. Empty when nothing matches "
        "and the range is open."
    )


def timeline(session: Session, query: TimelineQuery) -> Timeline:
    """The matching events counted per period, with every empty period in between."""
    bucket = query.bucket
    found: dict[date, list[Any]] = {}  # period -> [count, tone sum, tone count, imprecise]
    types: dict[date, dict[str, int]] = defaultdict(dict)
    rows: Sequence[tuple[Any, ...]] = session.exec(_counts(query)).all()
    for row in rows:
        *key, event_type, count, tone_sum, tone_count, imprecise = row
        start = _start(bucket, key)
        totals = found.setdefault(start, [0, 0.0, 0, 0])
        totals[0] += count
        totals[1] += tone_sum or 0.0
        totals[2] += tone_count
        totals[3] += imprecise
        by_type = types[start]
        by_type[str(event_type)] = by_type.get(str(event_type), 0) + count
    ends = list(found)
    # The range asked for is drawn whole, even where it has no events.
    if query.from_:
        ends.append(_first_day(bucket, parse(query.from_).lower))
    if query.to:
        ends.append(_first_day(bucket, parse(query.to).upper))
    if not found and not (query.from_ and query.to):
        return Timeline(bucket=bucket, buckets=[])
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
    for start in _periods(bucket, first, last):
        count, tone_sum, tone_count, imprecise = found.get(start, (0, 0.0, 0, 0))
        most_first = sorted(types.get(start, {}).items(), key=lambda item: (-item[1], item[0]))
        buckets.append(
            TimelineBucket(
                period=_label(bucket, start),
                start=start,
                end=_end(bucket, start),
                count=count,
                tone_mean=tone_sum / tone_count if tone_count else None,
                types=dict(most_first),
                imprecise=imprecise,
            )
        )
    return Timeline(bucket=bucket, buckets=buckets)


# What dyad_month can answer besides the dyad: the type, and a `to` that ends with a month.
_MONTHLY_FILTERS = {"dyad", "type", "to"}


def _counts(query: TimelineQuery) -> Select[*tuple[Any, ...]]:
    """Per period and type: the events, their tones' sum and count, and the imprecise ones.

    A dyad's months and years are its rows of dyad_month, read in the order of its key (one
    per month and type) and added up by the caller, when no other filter needs the events;
    otherwise the events (or the dyad's index, event_dyad) are counted, grouped here.
    """
    bucket = query.bucket
    # sqlmodel's select() is typed for at most four columns; its Select class takes any.
    if _monthly(query):
        where = query.pair(DyadMonth)
        if query.type:
            where.append(col(DyadMonth.type).in_(query.type))
        if query.to:
            where.append(col(DyadMonth.month) <= _first_day(Bucket.month, parse(query.to).upper))
        imprecise = col(DyadMonth.year_precision) if bucket is Bucket.month else literal(0)
        stored = (DyadMonth.events, DyadMonth.tone_sum, DyadMonth.tone_count)
        key = _period_key(bucket, col(DyadMonth.month))
        return Select(*key, col(DyadMonth.type), *map(col, stored), imprecise).where(*where)
    rows, where = query.aggregated()  # a dyad's index alone, when it answers the filters
    key = _period_key(bucket, col(rows.date_lower))
    coarser = col(rows.date_precision).in_(_COARSER[bucket])
    counts: list[SQLColumnExpression[Any]] = [
        func.count(),
        func.sum(col(rows.tone)),
        func.count(col(rows.tone)),
        func.count(case((coarser, 1))),
    ]
    event_type = col(rows.type)
    return Select(*key, event_type, *counts).where(*where).group_by(*key, event_type)


def _monthly(query: TimelineQuery) -> bool:
    """dyad_month answers: a dyad by month or year, no filter it lacks, `to` a month's end."""
    if query.dyad is None or query.bucket is Bucket.day:
        return False
    for name in EventFilter.model_fields:
        if name not in _MONTHLY_FILTERS and getattr(query, name) not in (None, []):
            return False
    return query.to is None or _end(Bucket.month, parse(query.to).upper) == parse(query.to).upper


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
        return date(start.year, start.month, monthrange(start.year, start.month)[1])
    return start


def _label(bucket: Bucket, start: date) -> str:
    if bucket is Bucket.year:
        return f"{start.year:04d}"
    if bucket is Bucket.month:
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


def _period_count(bucket: Bucket, first: date, last: date) -> int:
    if bucket is Bucket.year:
        return last.year - first.year + 1
    if bucket is Bucket.month:
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days + 1


def _periods(bucket: Bucket, first: date, last: date) -> Iterator[date]:
    """The first day of every period from `first` to `last`, both included."""
    start = first
    while True:
        yield start
        if start >= last:
            return
        # Stepping only while before `last` never passes date.max (9999-12-31).
        if bucket is Bucket.year:
            start = date(start.year + 1, 1, 1)
        elif bucket is Bucket.month:
            start = _end(bucket, start) + timedelta(days=1)
        else:
            start += timedelta(days=1)
