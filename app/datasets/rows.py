"""What the readers share: the row they make, the files they read, and small builders.

A reader turns one row of its dataset into a `Row`: an event body as POST /v1/events and
the NDJSON import take it, and the actors it names as POST /v1/actors takes them (the
import creates those that are missing). A row that makes no event is a `Skipped`, with a
reason from app.datasets.codes.Reason.
"""

import csv
import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import unquote, urlsplit

from app.core.countries import country_name
from app.core.dates import InvalidDate, parse
from app.core.slugs import make_slug
from app.datasets.codes import Reason, Skip
from app.sources.models import normalise_url

# Every imported event carries these tags, so that a reader can tell it from a curated one
# (`?tag=imported`), and those a program coded from news text carry `machine-coded` too.
IMPORTED = "imported"
MACHINE_CODED = "machine-coded"

csv.field_size_limit(1 << 24)  # a GDELT or POLECAT cell may be long; never a whole file


@dataclass
class Row:
    line: int
    body: dict[str, Any]
    actors: list[dict[str, Any]] = field(default_factory=list)
    # When the source versions its rows (ACLED's timestamp): the row's version, also written
    # in its citation's locator as "timestamp N", so that an older row never replaces a newer.
    stamp: int | None = None


STAMP = re.compile(r"\btimestamp (\d+)")


@dataclass
class Skipped:
    line: int
    reason: Reason
    detail: str = ""


Parsed = Row | Skipped


def parsed(rows: Iterable[tuple[int, Any]], make: Callable[[int, Any], Row]) -> Iterator[Parsed]:
    """Each (line, cells) made into an event body by `make`, or the reason it makes none
    (cells already Skipped, or the Skip that `make` raised)."""
    for line, cells in rows:
        if isinstance(cells, Skipped):
            yield cells
            continue
        try:
            yield make(line, cells)
        except Skip as skip:
            yield Skipped(line, skip.reason, skip.detail)


def tsv(text: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of a tab-separated file read without quoting (GDELT, ICEWS, POLECAT)."""
    reader = csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE)
    for cells in reader:
        if cells and any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def named(
    rows: Iterator[tuple[int, list[str]]],
) -> Iterator[tuple[int, dict[str, str] | Skipped]]:
    """Rows as {column: cell} by the header row; a row that does not fit it is Skipped.

    Two known misformattings are read: trailing empty cells beyond the header, and a header
    naming a `Headline` column that its rows lack (some POLECAT files).
    """
    names: list[str] | None = None
    for line, cells in rows:
        if names is None:
            names = [name.strip().lstrip("\ufeff") for name in cells]
            names = [name for name in names if name != "Headline"]
            continue
        if len(cells) > len(names) and not any(c.strip() for c in cells[len(names) :]):
            cells = cells[: len(names)]
        if len(cells) != len(names):
            yield line, Skipped(line, Reason.unparsable, f"{len(cells)} cells, not {len(names)}")
            continue
        yield line, dict(zip(names, (cell.strip() for cell in cells), strict=True))


def day(text: str) -> str:
    """An EDTF day from YYYYMMDD or YYYY-MM-DD (with anything after it); Skip if not one."""
    digits = text.strip()[:10].replace("-", "")
    edtf = f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
    try:
        if len(digits) < 8 or not digits[:8].isdigit():
            raise InvalidDate(text)
        parse(edtf)
    except InvalidDate:
        raise Skip(Reason.unparsable, f"date {text!r}") from None
    return edtf


def number(text: str, low: float, high: float) -> float | None:
    """A number within [low, high], or None when blank or out of range."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def tone(text: str) -> float | None:
    """A tone on Dyad's scale from a source already on -10..+10, clamped, one decimal."""
    try:
        value = float(text)
    except ValueError:
        return None
    return round(max(-10.0, min(10.0, value)), 1)


def actor(name: str, country: str | None, kind: str) -> dict[str, Any]:
    """An actor body; its id is made from its country and name, so it is found again."""
    return {"id": _actor_id(name, country), "name": name[:300], "kind": kind, "country": country}


@lru_cache(maxsize=65536)  # names repeat row after row; slugs are slow to make
def _actor_id(name: str, country: str | None) -> str:
    own = country is not None and name.lower() == country_name(country).lower()
    return make_slug(name) if own or country is None else make_slug(country, name)


def kind_of(*texts: str) -> str:
    """An actor's kind from the sector words a dataset gives (GOV, Military, …)."""
    words = " ".join(texts).lower()
    if any(w in words for w in ("gov", "mil", "cop", "police", "jud", "leg", "spy", "state")):
        return "government"
    if "med" in words or "media" in words:
        return "media"
    return "organization"


def location(name: str, country: str | None, lat: str, lon: str) -> dict[str, Any] | None:
    """The event's place, when the row names one."""
    place = {
        "name": name[:200] or None,
        "country": country,
        "lat": number(lat, -90, 90),
        "lon": number(lon, -180, 180),
    }
    if place["lat"] is None or place["lon"] is None:
        place["lat"] = place["lon"] = None
    return place if any(v is not None for v in place.values()) else None


def title(text: str) -> str:
    return text if len(text) <= 500 else text[:499] + "…"


def article(url: str, published: str | None) -> dict[str, Any] | None:
    """A news article as a source body, from its URL alone; None if it is not http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > 2000:
        return None
    publisher = parts.hostname.lower().removeprefix("www.")
    # The title a URL's last segment spells ("3901234-aliyev-visits-tehran.html" is
    # "Aliyev visits tehran"), without the numbers around it; else the publisher.
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]).rsplit(".", 1)[0]
    words = segment.replace("-", " ").replace("_", " ").split()
    while words and words[0].isdigit():
        words.pop(0)
    while words and words[-1].isdigit():
        words.pop()
    return {
        "id": source_id(publisher, url.strip()),
        "url": url.strip(),
        "title": title(" ".join(words).capitalize() if words else publisher),
        "publisher": publisher[:200],
        "kind": "news",
        "published": published,
    }


def source_id(publisher: str, url: str) -> str:
    """A source's id, unique by its URL: many URLs spell the same title ("index"), and making
    ids free one by one would cost a query per try."""
    digest = hashlib.sha256(normalise_url(url).encode()).hexdigest()[:12]
    return f"{_publisher_slug(publisher)}-{digest}"


@lru_cache(maxsize=4096)
def _publisher_slug(publisher: str) -> str:
    return make_slug(publisher, max_length=80)


def citation(source: dict[str, Any], locator: str) -> dict[str, Any]:
    return {"source": source, "stance": "supports", "locator": locator[:200]}


def group_id(dataset: str, body: dict[str, Any]) -> str:
    """The id of the real event a row reports: its dataset, day, countries, type and actors
    (with their roles). Rows that share it are one event (see app.datasets.service)."""
    actors = ",".join(f"{a['id']}:{a['role']}" for a in body["actors"])
    digest = hashlib.sha256(actors.encode()).hexdigest()[:10]
    return f"{_group_slug(dataset, body['date'], *body['countries'], body['type'])}-{digest}"


@lru_cache(maxsize=65536)
def _group_slug(*parts: str) -> str:
    return make_slug(*parts)


def check_dyad(*codes: str | None) -> list[str]:
    """The distinct countries of a row, at least two; Skip when there are fewer."""
    countries = sorted({code for code in codes if code})
    if len(countries) < 2:
        raise Skip(Reason.no_dyad, ", ".join(countries) or "none")
    return countries


# --- files ------------------------------------------------------------------------------


def open_text(stream: IO[bytes]) -> Iterator[str]:
    """Bytes as lines of text: UTF-8, a bad byte replaced rather than failing the file, and
    NUL characters dropped (no text in Dyad may hold one)."""
    for line in io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=""):
        yield line.replace("\x00", "") if "\x00" in line else line


def opened(
    paths: Iterable[Path], in_folders: Callable[[str], bool] = lambda _name: True
) -> Iterator[tuple[str, IO[bytes]]]:
    """(name, binary stream) for every data file of `paths`: files, .gz, .zip, folders.

    One file is open at a time, and each is read as it streams. Of a folder's files, those
    `in_folders` accepts by name are read (a GDELT day's folder holds exports and mentions),
    never hidden ones.
    """
    for path in paths:
        if path.is_dir():
            found = (
                p
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith(".") and in_folders(p.name)
            )
            yield from opened(sorted(found))
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if not member.endswith("/"):
                        with archive.open(member) as stream:
                            yield f"{path.name}/{member}", stream
        elif path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as stream:
                yield path.name, cast(IO[bytes], stream)
        else:
            with path.open("rb") as stream:
                yield path.name, stream


def unpacked(name: str, data: IO[bytes]) -> Iterator[tuple[str, IO[bytes]]]:
    """A request body as data files: a zip archive's members, gzip unpacked, else itself."""
    head = data.read(4)
    data.seek(0)
    if head.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(data) as archive:
            for member in archive.namelist():
                if not member.endswith("/"):
                    with archive.open(member) as stream:
                        yield member, stream
    elif head.startswith(b"\x1f\x8b"):
        with gzip.open(data, "rb") as stream:
            yield name, cast(IO[bytes], stream)
    else:
        yield name, data
