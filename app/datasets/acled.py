"""ACLED CSV exports (31 columns, a header) and ACLED's deletions lists.

ACLED records events inside one country (`iso`, ISO 3166 numeric). A row makes a Dyad event
when its actors name a second country: "Military Forces of Armenia (2018-)" in an event in
Azerbaijan is AZE–ARM. actor1 and actor2 imply no direction, so both are participants.
`time_precision` 1 is the day, 2 a day within about a week (EDTF `~`), 3 the month. ACLED
gives no tone. ACLED's coders are people, not programs: its events carry the `imported` and
`acled` tags, not `machine-coded`.

There is no published ACLED → PLOVER table: TYPES below is Dyad's own, by sub_event_type.

A file whose header has `event_id_cnty` but no `event_date` is a deletions list: the events
it names are deleted (soft: they stay in the history and the changes feed).
"""

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from app.datasets.codes import Reason, Skip, country_of_name, country_of_number
from app.datasets.rows import (
    IMPORTED,
    Parsed,
    Row,
    Skipped,
    actor,
    check_dyad,
    citation,
    location,
    parsed,
    source_id,
    title,
)
from app.events.types import EventType

RELEASE = {
    "id": source_id("ACLED", "https://acleddata.com/"),
    "url": "https://acleddata.com/",
    "title": "ACLED: Armed Conflict Location & Event Data",
    "publisher": "ACLED",
    "kind": "other",
}

# Dyad's own table: ACLED sub_event_type -> PLOVER type. "Other" has no type.
TYPES: dict[str, EventType | None] = {
    # Battles
    "Armed clash": EventType.assault,
    "Government regains territory": EventType.assault,
    "Non-state actor overtakes territory": EventType.assault,
    # Explosions/Remote violence
    "Chemical weapon": EventType.assault,
    "Air/drone strike": EventType.assault,
    "Suicide bomb": EventType.assault,
    "Shelling/artillery/missile attack": EventType.assault,
    "Remote explosive/landmine/IED": EventType.assault,
    "Grenade": EventType.assault,
    # Violence against civilians
    "Sexual violence": EventType.assault,
    "Attack": EventType.assault,
    "Abduction/forced disappearance": EventType.assault,
    # Protests and riots
    "Peaceful protest": EventType.protest,
    "Protest with intervention": EventType.protest,
    "Excessive force against protesters": EventType.assault,  # CAMEO 175, violent repression
    "Violent demonstration": EventType.protest,  # CAMEO 145, riot
    "Mob violence": EventType.assault,
    # Strategic developments
    "Agreement": EventType.agree,
    "Arrests": EventType.coerce,
    "Change to group/activity": EventType.mobilize,
    "Disrupted weapons use": EventType.coerce,
    "Headquarters or base established": EventType.mobilize,
    "Looting/property destruction": EventType.coerce,
    "Non-violent transfer of territory": EventType.retreat,
    "Other": None,
}

# "Military Forces of Armenia (2018-)", "Government of Iran (1989-)", "Police Forces of …".
_OF_COUNTRY = re.compile(r"\bof ([A-Z][^()]*?)\s*(?:\(\d{4}-\d{0,4}\))?$")
_STATE = ("Military Forces of", "Police Forces of", "Government of")


def is_deletions(header: list[str]) -> bool:
    names = {name.strip().lstrip("\ufeff") for name in header}
    return "event_id_cnty" in names and "event_date" not in names


def read(text: Iterable[str]) -> Iterator[Parsed]:
    return parsed(_cells(csv.DictReader(text)), row)


def _cells(reader: "csv.DictReader[str]") -> Iterator[tuple[int, dict[str, str] | Skipped]]:
    for cells in reader:
        if None in cells or any(v is None for v in cells.values()):
            yield (
                reader.line_num,
                Skipped(reader.line_num, Reason.unparsable, "the row does not fit the header"),
            )
        else:
            yield reader.line_num, {k.strip(): (v or "").strip() for k, v in cells.items()}


def deleted_ids(text: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line, event_id_cnty) of a deletions list."""
    reader = csv.DictReader(text)
    for cells in reader:
        value = (cells.get("event_id_cnty") or "").strip()
        if value:
            yield reader.line_num, value


def _date(text: str, precision: str) -> str:
    for pattern in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y"):
        try:
            moment = datetime.strptime(text.strip(), pattern).date()
            break
        except ValueError:
            continue
    else:
        raise Skip(Reason.unparsable, f"event_date {text!r}")
    if precision.strip() == "3":
        return f"{moment:%Y-%m}"
    return moment.isoformat() + ("~" if precision.strip() == "2" else "")


def _country_in(name: str) -> str | None:
    match = _OF_COUNTRY.search(name)
    if match is None:
        return None
    try:
        return country_of_name(match.group(1))
    except Skip:
        return None


def row(line: int, cell: dict[str, str]) -> Row:
    """One ACLED row as an event body and its actors; Skip if it makes none."""
    event_id = cell.get("event_id_cnty", "")
    if not event_id:
        raise Skip(Reason.unparsable, "no event_id_cnty")
    sub_type = cell.get("sub_event_type", "")
    if sub_type not in TYPES:
        raise Skip(Reason.unknown_type, f"sub_event_type {sub_type!r}")
    event_type = TYPES[sub_type]
    if event_type is None:
        raise Skip(Reason.acled_no_type, f"sub_event_type {sub_type!r}")
    here = country_of_number(cell.get("iso", ""), cell.get("country", ""))
    names = [cell.get("actor1", ""), cell.get("actor2", "")]
    countries = check_dyad(here, *(_country_in(name) for name in names))
    actors = []
    for name in dict.fromkeys(names):  # the same actor on both sides is one participant
        if name:
            kind = "government" if name.startswith(_STATE) else "group"
            actors.append(actor(name, _country_in(name), kind))
    fatalities = cell.get("fatalities", "")
    summary = " ".join(
        part
        for part in (
            cell.get("notes", ""),
            f"Fatalities: {fatalities}." if fatalities else "",
            f"Sources named by ACLED: {cell['source']}." if cell.get("source") else "",
        )
        if part
    )
    place = ", ".join(p for p in (cell.get("location"), cell.get("admin1")) if p)
    stamp = cell.get("timestamp", "")
    body = {
        "id": f"acled-{event_id.lower()}",
        "title": title(f"{sub_type}: {' / '.join(n for n in names if n)} ({place})"),
        "summary": summary[:20000] or None,
        "date": _date(cell.get("event_date", ""), cell.get("time_precision", "1")),
        "type": event_type.value,
        "tone": None,
        "countries": countries,
        "tags": [IMPORTED, "acled"],
        "location": location(place, here, cell.get("latitude", ""), cell.get("longitude", "")),
        "actors": [{"id": a["id"], "role": "participant"} for a in actors],
        "citations": [
            citation(
                RELEASE, f"event_id_cnty {event_id}" + (f", timestamp {stamp}" if stamp else "")
            )
        ],
        "external_ids": {"acled": event_id},
    }
    return Row(line, body, actors, int(stamp) if stamp.isdigit() else None)
