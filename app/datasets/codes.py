"""The code lists every reader shares: CAMEO events to PLOVER types, and countries.

CAMEO -> PLOVER comes from the PLOVER project's own table (data/CAMEO2PLOVER-2021.txt, see
data/README.md). A code the table lacks falls back to its 3-digit parent, then to its root
by the root-code table of the PLOVER manual. Country codes become ISO 3166-1 alpha-3 through
pycountry (app.core.countries), with the few CAMEO codes that are not ISO mapped below, and
regions and blocs refused with a reason.
"""

import re
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path

import pycountry

from app.core.countries import UnknownCountry, to_alpha3
from app.events.types import EventType

DATA = Path(__file__).parent / "data"


class Reason(StrEnum):
    """Why a row of a dataset made no event: the keys of an import report's `skipped`."""

    no_dyad = "no two countries"
    region = "region or bloc code"
    unknown_country = "unknown country"
    no_type = "CAMEO root without PLOVER type"
    unknown_type = "unknown event code"
    acled_no_type = "ACLED type without PLOVER type"
    unparsable = "unparsable line"
    no_url = "mention without a web address"
    not_found = "event not imported"
    deleted = "event deleted in Dyad"
    older = "older than the stored event"
    full = "event cites the most sources it may"


class Skip(Exception):
    """This row makes no event, for `reason`; `detail` says what was found."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason, self.detail = reason, detail


# --- CAMEO -> PLOVER ----------------------------------------------------------------------

# The table's names in upper case -> Dyad's types. Older copies of the table call root 10
# DEMAND, the type PLOVER now calls REQUEST.
PLOVER_NAMES = {t.value.upper(): t for t in EventType} | {"DEMAND": EventType.request}

# The root-code table of the PLOVER manual; 08 splits by its third digit (081-083 concede,
# 084-087 retreat). Roots 01 (make public statement) and 02 (appeal) have no PLOVER type.
ROOTS: dict[str, EventType | None] = {
    "01": None,
    "02": None,
    "03": EventType.agree,
    "04": EventType.consult,
    "05": EventType.support,
    "06": EventType.cooperate,
    "07": EventType.aid,
    "08": EventType.concede,
    "09": EventType.accuse,  # mode investigate
    "10": EventType.request,
    "11": EventType.accuse,
    "12": EventType.reject,
    "13": EventType.threaten,
    "14": EventType.protest,
    "15": EventType.mobilize,
    "16": EventType.sanction,
    "17": EventType.coerce,
    "18": EventType.assault,
    "19": EventType.assault,
    "20": EventType.assault,
}
_RETREAT_08 = ("084", "085", "086", "087")

_LINE = re.compile(r"^(\d{3,4}):\s*([A-Z]+)\s*,[^#]*(?:#\s*(.*))?$")


@cache
def cameo_table() -> dict[str, tuple[EventType, str]]:
    """CAMEO code (3 or 4 digits, as text) -> (PLOVER type, CAMEO label), from the file."""
    table: dict[str, tuple[EventType, str]] = {}
    with (DATA / "CAMEO2PLOVER-2021.txt").open(encoding="utf-8") as lines:
        for line in lines:
            match = _LINE.match(line.strip())
            if match is None:  # comments, blank lines and the 2-digit root headings
                continue
            code, name, note = match.groups()
            # The label, without the editor's dated remarks that follow it after two spaces.
            label = re.split(r"\s{2,}", (note or "").strip())[0]
            table.setdefault(
                code, (PLOVER_NAMES[name], label.capitalize() if label.isupper() else label)
            )
    return table


def plover_type(code: str) -> tuple[EventType, str]:
    """The PLOVER type of a CAMEO code and the CAMEO label; Skip when it has none.

    Codes keep their leading zeros ("042"): a code read as a number ("42") is refused.
    """
    code = code.strip()
    if not (code.isdigit() and 2 <= len(code) <= 4) or code[:2] not in ROOTS:
        raise Skip(Reason.unknown_type, f"CAMEO code {code!r}")
    table = cameo_table()
    for prefix in (code, code[:3]):
        if prefix in table:
            return table[prefix]
    root = ROOTS[code[:2]]
    if root is None:
        raise Skip(Reason.no_type, f"CAMEO code {code!r}")
    if code[:2] == "08" and code[:3] in _RETREAT_08:
        root = EventType.retreat
    return root, table.get(code[:2] + "0", (root, root.value))[1]


# --- countries --------------------------------------------------------------------------

# CAMEO country codes that are not ISO 3166-1 alpha-3 but name a country.
CAMEO_COUNTRIES = {
    "KSV": "XKX",  # Kosovo
    "TMP": "TLS",  # East Timor (ISO withdrew TMP in 2002)
    "ROM": "ROU",  # Romania, CAMEO's older spelling
    "WSB": "PSE",  # West Bank
    "GZS": "PSE",  # Gaza Strip
}

# CAMEO regions and POLECAT's non-state codes: actors that are not a country.
REGIONS = frozenset(
    {
        "AFR", "ASA", "BLK", "CRB", "CAU", "CFR", "CAS", "CEU", "EIN", "EAF", "EEU", "EUR",
        "LAM", "MEA", "MDT", "NAF", "NMR", "PGS", "SCN", "SAM", "SAS", "SEA", "SAF", "WAF",
        "WST", "IGO", "NGO", "UNO", "IMG", "INT", "MNC", "NGM", "UIS",
    }
)  # fmt: skip


@lru_cache(maxsize=4096)
def country_code(code: str) -> str | None:
    """A CAMEO or POLECAT 3-letter country code as ISO alpha-3; None when blank.

    Skip for a region or bloc (EUR is Europe in CAMEO, the European Union in POLECAT: not a
    country either way) and for a code that names no country.
    """
    text = code.strip().upper()
    if not text:
        return None
    if text in CAMEO_COUNTRIES:
        return CAMEO_COUNTRIES[text]
    if text in REGIONS:
        raise Skip(Reason.region, text)
    try:
        return to_alpha3(text) if len(text) == 3 else _unknown(text)
    except UnknownCountry:
        return _unknown(text)


def _unknown(text: str) -> str:
    raise Skip(Reason.unknown_country, text)


# ICEWS names that pycountry does not know (its names follow ISO: "Iran, Islamic Republic
# of"; ICEWS writes "Iran" but also "Occupied Palestinian Territory").
ICEWS_NAMES = {
    "occupied palestinian territory": "PSE",
    "kosovo": "XKX",
    "russia": "RUS",
    "congo, democratic republic of": "COD",
    "democratic republic of congo": "COD",
    "congo": "COG",
    "macedonia": "MKD",
    "burma": "MMR",
    "ivory coast": "CIV",
    "cote d'ivoire": "CIV",
    "serbia and montenegro": "SCG",
    "swaziland": "SWZ",
    "east timor": "TLS",
    "cape verde": "CPV",
    "turkey": "TUR",
}


@lru_cache(maxsize=4096)
def country_of_name(name: str) -> str | None:
    """An ICEWS (or ACLED) country name as ISO alpha-3; None when blank, Skip if unknown."""
    text = name.strip()
    if not text:
        return None
    known = ICEWS_NAMES.get(text.lower())
    if known is not None:
        return known
    try:
        return str(pycountry.countries.lookup(text).alpha_3)
    except LookupError:
        raise Skip(Reason.unknown_country, text) from None


@lru_cache(maxsize=1024)
def country_of_number(number: str, name: str = "") -> str | None:
    """An ISO 3166-1 numeric code (ACLED's `iso`) as alpha-3; ACLED gives Kosovo 0."""
    text = number.strip()
    if not text.isdigit():
        return country_of_name(name) if name else None
    if int(text) == 0:
        return "XKX" if name.strip().lower() == "kosovo" else _unknown(f"iso {text}")
    country = pycountry.countries.get(numeric=f"{int(text):03d}")
    if country is None:
        return _unknown(f"iso {text}")
    return str(country.alpha_3)
