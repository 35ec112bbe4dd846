"""EDTF dates -> the bounds and precision that every filter and sort uses, via `edtf`."""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from edtf import Date as EdtfDay
from edtf import struct_time_to_date
from pydantic import AfterValidator, Field


class Precision(StrEnum):
    # Declared finest first. The names also sort finest first ("day" < "month" < "year"),
    # which lets the database order by the stored text; a test pins this.
    day = "day"
    month = "month"
    year = "year"


class InvalidDate(ValueError):
    pass


# The subset of EDTF that Dyad stores: a year, month or day, optionally qualified as
# uncertain (?), approximate (~) or both (%). The edtf package checks the calendar.
_ACCEPTED = re.compile(r"(\d{4})(-\d{2})?(-\d{2})?([?~%])?", re.ASCII)


@dataclass(frozen=True)
class DateBounds:
    lower: date
    upper: date
    precision: Precision


@lru_cache(maxsize=65536)  # dates repeat a lot in imports and queries
def parse(text: str) -> DateBounds:
    """Parse an EDTF date such as `2012`, `2012-08`, `2012-08-30`, `2013?` or `2012-08~`."""
    match = _ACCEPTED.fullmatch(text)
    if match is None:
        raise InvalidDate(
            f"{text!r} is not a supported EDTF date: use YYYY, YYYY-MM or YYYY-MM-DD, "
            "optionally followed by ? (uncertain), ~ (approximate) or % (both)"
        )
    year, month, day, _qualifier = match.groups()
    # The regex has already split the text, so edtf's Date is built from the parts rather
    # than by its grammar (milliseconds a string, most of an import's time). Strict bounds
    # ignore ? ~ %, and an impossible day or month (2013-02-30, 2013-13) raises ValueError.
    try:
        parsed = EdtfDay(year=year, month=month and month[1:], day=day and day[1:])
        lower = struct_time_to_date(parsed.lower_strict())
        upper = struct_time_to_date(parsed.upper_strict())
    except ValueError:
        raise InvalidDate(f"{text!r} is not a valid calendar date") from None
    precision = Precision.day if day else Precision.month if month else Precision.year
    return DateBounds(lower=lower, upper=upper, precision=precision)


def span(start: str, end: str | None) -> DateBounds:
    """The bounds of an event from its `date` to its optional `end_date`."""
    first = parse(start)
    if end is None:
        return first
    last = parse(end)
    if last.upper < first.lower:
        raise InvalidDate(f"end_date {end!r} is before date {start!r}")
    return DateBounds(lower=first.lower, upper=last.upper, precision=first.precision)


def _check(text: str) -> str:
    parse(text)
    return text


# A request field holding an EDTF date; invalid dates are a 422 naming the field.
EdtfDate = Annotated[
    str,
    AfterValidator(_check),
    Field(max_length=16, examples=["2012-08", "2013-03-30", "2013?"]),
]


def display(text: str) -> str:
    """An EDTF date as people write it: `2012-08` is `August 2012`, `2013?` `2013 (uncertain)`."""
    match = _ACCEPTED.fullmatch(text)
    if match is None:
        return text
    year, month, day, qualifier = match.groups()
    shown = year.lstrip("0") or "0"
    if month:
        shown = f"{calendar.month_name[int(month[1:])]} {shown}"
    if day:
        shown = f"{int(day[1:])} {shown}"
    if qualifier in ("~", "%"):
        shown = f"about {shown}"
    if qualifier in ("?", "%"):
        shown = f"{shown} (uncertain)"
    return shown
