"""ICEWS coded event files (`.tab`, Harvard Dataverse doi:10.7910/DVN/28075): tab-separated,
a header, read without quoting (a `"` in a name is part of the name).

Countries are names ("Russian Federation"), read through pycountry and a small table of
the names it does not know (app.datasets.codes.ICEWS_NAMES). Types come from the CAMEO Code
through the PLOVER table; some files carry codes that are not CAMEO, skipped as unknown. The
tone is the Intensity, -10..+10 like Dyad's. Event IDs repeat across the historic files, so
an event is known by its id and date together.
"""

from collections.abc import Iterable, Iterator

from app.core.slugs import make_slug
from app.datasets.codes import Reason, Skip, country_of_name, plover_type
from app.datasets.rows import (
    IMPORTED,
    MACHINE_CODED,
    Parsed,
    Row,
    actor,
    check_dyad,
    citation,
    day,
    kind_of,
    location,
    named,
    parsed,
    source_id,
    title,
    tone,
    tsv,
)

RELEASE = {
    "id": source_id("Harvard Dataverse", "https://doi.org/10.7910/DVN/28075"),
    "url": "https://doi.org/10.7910/DVN/28075",
    "title": "ICEWS Coded Event Data",
    "publisher": "Harvard Dataverse",
    "kind": "other",
}


def read(text: Iterable[str]) -> Iterator[Parsed]:
    return parsed(named(tsv(text)), row)


def row(line: int, cell: dict[str, str]) -> Row:
    """One ICEWS row as an event body and its actors; Skip if it makes none."""
    event_id = cell.get("Event ID", "")
    if not event_id:
        raise Skip(Reason.unparsable, "no Event ID")
    date = day(cell.get("Event Date", ""))
    event_type, label = plover_type(cell.get("CAMEO Code", ""))
    first = country_of_name(cell.get("Source Country", ""))
    second = country_of_name(cell.get("Target Country", ""))
    countries = check_dyad(first, second)
    actors, roles = [], []
    for who, country, role in (("Source", first, "initiator"), ("Target", second, "target")):
        name = cell.get(f"{who} Name", "")
        if name:
            body = actor(name, country, kind_of(cell.get(f"{who} Sectors", "")))
            actors.append(body)
            roles.append({"id": body["id"], "role": role})
    text = cell.get("Event Text", "") or label
    publisher = cell.get("Publisher", "")
    place = ", ".join(p for p in (cell.get("City"), cell.get("Province")) if p)
    try:
        place_country = country_of_name(cell.get("Country", ""))
    except Skip:
        place_country = None
    story = ", ".join(
        f"{name} {cell[key]}"
        for name, key in (("story", "Story ID"), ("sentence", "Sentence Number"))
        if cell.get(key)
    )
    body = {
        "id": make_slug("icews", event_id, date, max_length=200),
        "title": title(
            (" → ".join(a["name"] for a in actors) or ", ".join(countries)) + f": {text}"
        ),
        "summary": f"Machine-coded by ICEWS: {text} (CAMEO {cell.get('CAMEO Code')})."
        + (f" Reported by {publisher}." if publisher else ""),
        "date": date,
        "type": event_type.value,
        "tone": tone(cell.get("Intensity", "")),
        "countries": countries,
        "tags": [IMPORTED, MACHINE_CODED, "icews"],
        "location": location(
            place, place_country, cell.get("Latitude", ""), cell.get("Longitude", "")
        ),
        "actors": roles,
        "citations": [citation(RELEASE, f"Event ID {event_id}" + (f", {story}" if story else ""))],
        "external_ids": {"icews": f"{event_id}:{date}"},
    }
    return Row(line, body, actors)
