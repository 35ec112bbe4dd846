"""Flat rows for notebooks: lists of dicts, or a pandas DataFrame (the `pandas` extra)."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas


class Recordable(Protocol):
    def to_record(self) -> dict[str, Any]: ...


def to_records(items: Iterable[Recordable]) -> list[dict[str, Any]]:
    """One flat dict per item (for events: lists joined with `;`, the first source's URL)."""
    return [item.to_record() for item in items]


def to_dataframe(items: Iterable[Recordable]) -> "pandas.DataFrame":
    """The items' records as a pandas DataFrame."""
    return dataframe(to_records(items))


def dataframe(records: list[dict[str, Any]]) -> "pandas.DataFrame":
    """A DataFrame of records; dates become datetime64 columns."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "to_dataframe() needs pandas: pip install 'dyad-client[pandas]'"
        ) from None
    frame = pandas.DataFrame.from_records(records)
    for column in ("date_lower", "date_upper", "start", "end", "first_date", "last_date"):
        if column in frame.columns:
            frame[column] = pandas.to_datetime(frame[column])
    return frame
