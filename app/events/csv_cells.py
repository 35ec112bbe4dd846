"""An event as a CSV row: the cells of the CSV export, and the part of its line stored with it.

- CSV guards against formula injection (OWASP): a text cell (title, summary, tags, actor
  names, place, publishers) that begins with `=`, `+`, `-`, `@`, a tab or a carriage return
  gets a leading `'`, so a spreadsheet shows it as text instead of running it. Numbers,
  dates, ids, codes and URLs are written as they are, so a tone of `-5.0` stays a number.
- List cells join their values with `;`; the NDJSON export keeps the exact lists.
- Lines are what csv.writer writes (QUOTE_MINIMAL, CRLF ends).

Every write stores, beside an event's document, the cells of its CSV line from `date` to
`version` (`csv_tail`, in the same transaction: app.events.public.store_documents). The export
reads the id, title and summary columns, that tail, and the two times as the database writes
them (app.core.db.utc_isoformat), and joins them with three cells' worth of Python
(`csv_head`): building every cell from the document was most of its time. What the event
table holds already stays out of the tail: the title and summary are most of a line's bytes,
the times a sixth of the rest.
"""

from collections.abc import Iterable

import orjson

CSV_COLUMNS = (
    "id",
    "title",
    "summary",
    "date",
    "end_date",
    "date_lower",
    "date_upper",
    "date_precision",
    "countries",
    "type",
    "tone",
    "status",
    "tags",
    "actors",
    "actor_names",
    "location_name",
    "location_country",
    "location_lat",
    "location_lon",
    "source_urls",
    "source_publishers",
    "version",
    "created_at",
    "updated_at",
)
BOM = "\ufeff"
LIST_SEPARATOR = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guarded(text: str) -> bool:
    # Quotes already in front count too: `'=x` is written `''=x`, so that un_neutralise,
    # which drops one quote, gives back exactly what was stored.
    return text.lstrip("'").startswith(_FORMULA_STARTS)


def neutralise(text: str) -> str:
    """Text a spreadsheet would take for a formula, made plain text with a leading `'`."""
    return "'" + text if _guarded(text) else text


def un_neutralise(text: str) -> str:
    """The text that neutralise() was given: what a CSV import reads from a text cell."""
    return text[1:] if text.startswith("'") and _guarded(text[1:]) else text


# The first characters of a text cell that may call for the guard (neutralise decides): most
# cells begin with none of them, and are written as they are without a call.
_GUARD_FIRST = frozenset("".join(_FORMULA_STARTS) + "'")


def _text(value: str | None) -> str:
    if not value:
        return ""
    return neutralise(value) if value[0] in _GUARD_FIRST else value


def _joined(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(dict.fromkeys(values))  # once each, first seen first


def _number(value: float | None) -> str:
    return "" if value is None else str(value)  # as csv.writer writes numbers


def _utc(moment: str) -> str:
    """A time of the JSON (…Z) as the CSV has always written it (…+00:00)."""
    return moment.removesuffix("Z") + "+00:00"


def csv_row(document: str) -> list[str]:
    """One event, its stored document, as the cells of CSV_COLUMNS."""
    event = orjson.loads(document)
    location = event["location"] or {}
    actors = event["actors"]
    sources = [citation["source"] for citation in event["citations"]]
    return [
        event["id"],
        _text(event["title"]),
        _text(event["summary"]),
        event["date"],
        event["end_date"] or "",
        event["date_lower"],
        event["date_upper"],
        event["date_precision"],
        _joined(event["countries"]),
        event["type"],
        _number(event["tone"]),
        event["status"],
        _text(_joined(event["tags"])),
        _joined([actor["id"] for actor in actors]),
        _text(_joined([actor["name"] for actor in actors])),
        _text(location.get("name")),
        location.get("country") or "",
        _number(location.get("lat")),
        _number(location.get("lon")),
        _joined([source["url"] for source in sources]),
        _text(_joined([source["publisher"] for source in sources if source["publisher"]])),
        str(event["version"]),
        _utc(event["created_at"]),
        _utc(event["updated_at"]),
    ]


def csv_line(cells: list[str]) -> str:
    """A record of two or more cells as csv.writer writes it (QUOTE_MINIMAL, CRLF ends): a
    cell with a comma, a quote or a line break is quoted, its quotes doubled."""
    return _cells(cells) + "\r\n"


def _cells(cells: list[str]) -> str:
    """Cells joined as in csv_line, without the line end.

    csv.writer looks at every character of every cell in turn. Here one look at the whole
    line (as many commas as separators, no quote, no line break) tells that no cell needs
    quoting, as for most events; only other lines are quoted cell by cell.
    """
    line = ",".join(cells)
    if line.count(",") == len(cells) - 1 and not _needs_quotes(line):
        return line
    return ",".join(map(_quoted, cells))


def _needs_quotes(text: str) -> bool:
    # Three searches for one character each: faster than one regular expression.
    return '"' in text or "\n" in text or "\r" in text


def _quoted(cell: str) -> str:
    if "," in cell or _needs_quotes(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_tail(document: str) -> str:
    """The cells of the event's CSV line from `date` to `version`: what is stored with the
    event (`Event.csv_tail`). The line is csv_head's cells, these, then created_at and
    updated_at (which never need quoting)."""
    return _cells(csv_row(document)[3:-2])


def csv_head(event_id: str, title: str, summary: str | None) -> str:
    """The start of the event's CSV line, before its stored tail (`id,title,summary,`)."""
    return f"{_quoted(event_id)},{_quoted(_text(title))},{_quoted(_text(summary))},"
