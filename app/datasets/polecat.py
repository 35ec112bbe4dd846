"""POLECAT weekly files (Harvard Dataverse, doi:10.7910/DVN/AJGVIT): tab-separated, a header.

Columns are read by name, so that the header's variants read alike: `Intensity` or (newer
files) `Event Intensity`, trailing empty cells, and a header naming a `Headline` column the
rows lack. The type is POLECAT's own PLOVER type; countries are alpha-3 already, with its
non-state codes (IGO, UNO, NGO, EUR for the European Union) refused as blocs. The tone is
POLECAT's Intensity, which runs from -10 (most hostile) to +10, as Dyad's tone does.
"""

from collections.abc import Iterable, Iterator

from app.datasets.codes import PLOVER_NAMES, Reason, Skip, country_code
from app.datasets.rows import (
    IMPORTED,
    MACHINE_CODED,
    Parsed,
    Row,
    actor,
    check_dyad,
    citation,
    day,
    group_id,
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
    "id": source_id("Harvard Dataverse", "https://doi.org/10.7910/DVN/AJGVIT"),
    "url": "https://doi.org/10.7910/DVN/AJGVIT",
    "title": "POLECAT Weekly Data",
    "publisher": "Harvard Dataverse",
    "kind": "other",
}


def read(text: Iterable[str]) -> Iterator[Parsed]:
    return parsed(named(tsv(text)), row)


def _first(cell: str) -> str:
    return cell.split(";")[0].strip()


def row(line: int, cell: dict[str, str]) -> Row:
    """One POLECAT row as an event body and its actors; Skip if it makes none."""
    event_id = cell.get("Event ID", "")
    if not event_id:
        raise Skip(Reason.unparsable, "no Event ID")
    name = cell.get("Event Type", "").upper()
    if name not in PLOVER_NAMES:
        raise Skip(Reason.unknown_type, f"Event Type {name!r}")
    first = country_code(_first(cell.get("Actor Country", "")))
    second = country_code(_first(cell.get("Recipient Country", "")))
    countries = check_dyad(first, second)
    actors, roles = [], []
    for who, country, role in (("Actor", first, "initiator"), ("Recipient", second, "target")):
        actor_name = _first(cell.get(f"{who} Name", ""))
        if actor_name:
            sector = cell.get(f"Primary {who} Sector", "")
            body = actor(actor_name, country, kind_of(sector))
            actors.append(body)
            roles.append({"id": body["id"], "role": role})
    intensity = cell.get("Event Intensity", cell.get("Intensity", ""))
    reported = ", ".join(
        part for part in (cell.get("Source", ""), cell.get("Publication Date", "")[:10]) if part
    )
    context = cell.get("Contexts", "").replace(";", ", ")
    mode = cell.get("Event Mode", "")
    summary = f"Machine-coded by POLECAT: {name}" + (f" ({mode})" if mode else "")
    summary += (f", contexts: {context}." if context else ".") + (
        f" Reported by {reported}." if reported else ""
    )
    place = cell.get("Placename") or cell.get("City") or cell.get("Province") or ""
    try:
        place_country = country_code(cell.get("Country", ""))
    except Skip:
        place_country = None
    version = cell.get("Version", "")
    body = {
        "title": title(
            " → ".join(a["name"] for a in actors) + f": {PLOVER_NAMES[name].value}"
            if actors
            else f"{PLOVER_NAMES[name].value} ({', '.join(countries)})"
        ),
        "summary": summary,
        "date": day(cell.get("Event Date", "")),
        "type": PLOVER_NAMES[name].value,
        "tone": tone(intensity),
        "countries": countries,
        "tags": [IMPORTED, MACHINE_CODED, "polecat"],
        "location": location(
            place, place_country, cell.get("Latitude", ""), cell.get("Longitude", "")
        ),
        "actors": roles,
        "citations": [
            citation(RELEASE, f"Event ID {event_id}" + (f", version {version}" if version else ""))
        ],
        "external_ids": {"polecat": event_id},
    }
    return Row(line, body | {"id": group_id("polecat", body)}, actors)
