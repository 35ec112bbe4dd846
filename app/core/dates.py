"""EDTF dates -> the bounds and precision that every filter and sort uses, via `edtf`."""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from edtf import EDTFParseException, parse_edtf, struct_time_to_date
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
_ACCEPTED = re.compile(r"(\d{4})(-\d{2})?(-\d{2})?([?~%])?")


@dataclass(frozen=True)
class DateBounds:
    lower: date
    upper: date
    precision: Precision


@lru_cache(maxsize=65536)  # edtf's parser takes milliseconds; dates repeat a lot
def parse(text: str) -> DateBounds:
    """Parse an EDTF date such as `2012`, `2012-08`, `2012-08-30`, `2013?` or `2012-08~`."""
    match = _ACCEPTED.fullmatch(text)
    if match is None:
        raise InvalidDate(
            f"{text!r} is not a supported EDTF date: use YYYY, YYYY-MM or YYYY-MM-DD, "
            "optionally followed by ? (uncertain), ~ (approximate) or % (both)"
        )
    try:
        parsed = parse_edtf(text)
        lower = struct_time_to_date(parsed.lower_strict())
        upper = struct_time_to_date(parsed.upper_strict())
    except (EDTFParseException, ValueError):
        raise InvalidDate(f"{text!r} is not a valid calendar date") from None
    precision = Precision.day if match[3] else Precision.month if match[2] else Precision.year
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
