"""GDELT 2.0 event files (`*.export.CSV`): one event per row, tab-separated, no header.

The 61 columns are those of the GDELT Event Codebook V2.0, in its order (COLUMNS). A row
makes an event when both actors have a country (Actor1CountryCode and Actor2CountryCode,
CAMEO's 3-letter codes, two different ones) and its EventCode has a PLOVER type. The tone is
the GoldsteinScale, which is already on Dyad's -10..+10 scale and rates the kind of event
(AvgTone rates the articles' wording, -100..+100, and is kept in the summary). The event
cites its SOURCEURL, published by its domain.
"""

from collections.abc import Iterable, Iterator

from app.core.countries import country_name
from app.datasets.codes import Reason, Skip, country_code, plover_type
from app.datasets.rows import (
    IMPORTED,
    MACHINE_CODED,
    Parsed,
    Row,
    Skipped,
    actor,
    article,
    check_dyad,
    citation,
    day,
    group_id,
    kind_of,
    location,
    parsed,
    source_id,
    title,
    tone,
    tsv,
)

_ACTOR = [
    "Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
    "Religion2Code", "Type1Code", "Type2Code", "Type3Code",
]  # fmt: skip
_GEO = ["Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID"]
COLUMNS = (
    ["GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"]
    + [f"Actor1{name}" for name in _ACTOR]
    + [f"Actor2{name}" for name in _ACTOR]
    + ["IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass"]
    + ["GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone"]
    + [f"{who}Geo_{name}" for who in ("Actor1", "Actor2", "Action") for name in _GEO]
    + ["DATEADDED", "SOURCEURL"]
)
assert len(COLUMNS) == 61
_AT = {name: index for index, name in enumerate(COLUMNS)}

# Where GDELT itself is cited, when a row's SOURCEURL is not a web address.
GDELT = {
    "id": source_id("The GDELT Project", "https://www.gdeltproject.org/"),
    "url": "https://www.gdeltproject.org/",
    "title": "GDELT 2.0 Event Database",
    "publisher": "The GDELT Project",
    "kind": "other",
}


def read(text: Iterable[str]) -> Iterator[Parsed]:
    return parsed(tsv(text), row)


def row(line: int, cells: list[str]) -> Row:
    """One GDELT event row as an event body and its actors; Skip if it makes none."""
    if len(cells) != len(COLUMNS) or not cells[0].strip().isdigit():
        raise Skip(Reason.unparsable, f"{len(cells)} columns, not {len(COLUMNS)}")
    cell = {name: cells[index].strip() for name, index in _AT.items()}
    event_id = cell["GLOBALEVENTID"]
    event_type, label = plover_type(cell["EventCode"])
    first = country_code(cell["Actor1CountryCode"])
    second = country_code(cell["Actor2CountryCode"])
    countries = check_dyad(first, second)
    actors, roles = [], []
    for who, country, role in (("Actor1", first, "initiator"), ("Actor2", second, "target")):
        name = cell[f"{who}Name"].title() or country_name(str(country))
        codes = [cell[f"{who}Type{n}Code"] for n in (1, 2, 3)]
        own = cell[f"{who}Code"] == cell[f"{who}CountryCode"]  # the country itself
        body = actor(name, country, "government" if own else kind_of(*codes))
        actors.append(body)
        roles.append({"id": body["id"], "role": role})
    source = article(cell["SOURCEURL"], _published(cell["DATEADDED"]))
    named = ""
    if source is None:
        named = f" Source named by GDELT: {cell['SOURCEURL']}." if cell["SOURCEURL"] else ""
        source = GDELT
    body = {
        "title": title(f"{actors[0]['name']} → {actors[1]['name']}: {label}"),
        "summary": (
            f"Machine-coded by GDELT from {cell['NumArticles']} article(s) in "
            f"{cell['NumSources']} source(s): CAMEO {cell['EventCode']} ({label}), "
            f"QuadClass {cell['QuadClass']}, GoldsteinScale {cell['GoldsteinScale']}, "
            f"AvgTone {cell['AvgTone']}.{named}"
        ),
        "date": day(cell["SQLDATE"]),
        "type": event_type.value,
        "tone": tone(cell["GoldsteinScale"]),
        "countries": countries,
        "tags": [IMPORTED, MACHINE_CODED, "gdelt"],
        # ActionGeo_CountryCode is FIPS 10-4, not ISO: the place keeps its name only.
        "location": location(
            cell["ActionGeo_FullName"], None, cell["ActionGeo_Lat"], cell["ActionGeo_Long"]
        ),
        "actors": roles,
        "citations": [citation(source, f"GLOBALEVENTID {event_id}")],
        "external_ids": {"gdelt": event_id},
    }
    return Row(line, body | {"id": group_id("gdelt", body)}, actors)


def _published(moment: str) -> str | None:
    """The day of a GDELT timestamp (YYYYMMDDHHMMSS), or None."""
    try:
        return day(moment)
    except Skip:
        return None


# --- mentions files (`*.mentions.CSV`): one row per article that mentions an event ---------

MENTION_COLUMNS = [
    "GLOBALEVENTID", "EventTimeDate", "MentionTimeDate", "MentionType", "MentionSourceName",
    "MentionIdentifier", "SentenceID", "Actor1CharOffset", "Actor2CharOffset",
    "ActionCharOffset", "InRawText", "Confidence", "MentionDocLen", "MentionDocTone",
    "MentionDocTranslationInfo", "Extras",
]  # fmt: skip
_WEB = "1"  # MentionType 1: a web page, whose MentionIdentifier is its URL


def mentions(text: Iterable[str]) -> Iterator[tuple[int, str, dict[str, object]] | Skipped]:
    """(line, GLOBALEVENTID, citation) per mention row: the article as a further source."""
    for line, cells in tsv(text):
        if len(cells) != len(MENTION_COLUMNS) or not cells[0].strip().isdigit():
            yield Skipped(line, Reason.unparsable, f"{len(cells)} columns, not 16")
            continue
        cell = dict(zip(MENTION_COLUMNS, (c.strip() for c in cells), strict=True))
        source = article(cell["MentionIdentifier"], _published(cell["MentionTimeDate"]))
        if cell["MentionType"] != _WEB or source is None:
            yield Skipped(line, Reason.no_url, cell["MentionIdentifier"][:100])
            continue
        locator = f"mention, confidence {cell['Confidence']}%, tone {cell['MentionDocTone']}"
        yield line, cell["GLOBALEVENTID"], citation(source, locator)
