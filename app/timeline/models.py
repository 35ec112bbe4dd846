"""The parameters and the answer of `GET /v1/timeline`."""

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from app.events.filters import EventFilter


class Bucket(StrEnum):
    year = "year"
    month = "month"
    day = "day"


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
    count: int = Field(
        description="Matching events whose date_lower is in the period.", examples=[1]
    )
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
        "because their date range starts here.",
        examples=[0],
    )


class Timeline(BaseModel):
    bucket: Bucket = Field(description="The length of each period, as asked.")
    buckets: list[TimelineBucket] = Field(
        description="Every period from `from` (or the first with an event; earlier when a "
        "matching event that overlaps `from` begins before it) to `to` (or the last with an "
        "event), oldest first; periods without events are included with count 0, "
        "so a chart of the range asked for needs no gap filling. Empty when nothing matches "
        "and the range is open."
    )
