"""Getting a day of GDELT 2.0: its export and mentions files, from GDELT's master file list.

The master list (`masterfilelist.txt`) has one line per file: size, MD5 and URL. A day is the
files whose names begin with its date, 96 of each kind (one every 15 minutes). Files are
checked against their size and MD5, and one already on disk and whole is not fetched again,
so a fetch that stopped half-way goes on where it stopped.
"""

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

GDELT_V2 = "http://data.gdeltproject.org/gdeltv2/"
KINDS = ("export", "mentions")


@dataclass(frozen=True)
class Listed:
    size: int
    md5: str
    url: str

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[-1]


class FetchError(Exception):
    pass


def day_files(
    client: httpx.Client, base_url: str, day: date, kinds: tuple[str, ...] = KINDS
) -> Iterator[Listed]:
    """The files of `day` of these kinds that the master list names, read as it streams."""
    prefix = f"{day:%Y%m%d}"
    suffixes = tuple(f".{kind}.CSV.zip" for kind in kinds)
    with client.stream("GET", base_url.rstrip("/") + "/masterfilelist.txt") as response:
        if response.status_code != 200:
            raise FetchError(f"the master file list answered {response.status_code}")
        for line in response.iter_lines():
            parts = line.split()
            if len(parts) != 3 or not parts[0].isdigit():
                continue
            listed = Listed(int(parts[0]), parts[1].lower(), parts[2])
            if listed.name.startswith(prefix) and listed.name.endswith(suffixes):
                yield listed


def _whole(path: Path, listed: Listed) -> bool:
    if not path.is_file() or path.stat().st_size != listed.size:
        return False
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == listed.md5


def download(client: httpx.Client, listed: Listed, folder: Path) -> bool:
    """Fetch one file into `folder` unless it is there whole; True if it was fetched.

    The file is written beside its final name and renamed once its MD5 is right, so that a
    broken download never passes for a whole file.
    """
    path = folder / listed.name
    if _whole(path, listed):
        return False
    partial = path.with_name(path.name + ".part")
    digest = hashlib.md5(usedforsecurity=False)
    with client.stream("GET", listed.url) as response, partial.open("wb") as out:
        if response.status_code != 200:
            raise FetchError(f"{listed.url} answered {response.status_code}")
        for chunk in response.iter_bytes():
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != listed.md5:
        partial.unlink()
        raise FetchError(f"{listed.url}: its MD5 is not the one the master list gives")
    partial.replace(path)
    return True


def fetch_day(
    day: date,
    folder: Path,
    *,
    base_url: str = GDELT_V2,
    kinds: tuple[str, ...] = KINDS,
    on_file: Callable[[Listed, bool], None] | None = None,
) -> list[Path]:
    """Fetch a day's files into `folder`; the paths of all of them, fetched or already there."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        for listed in list(day_files(client, base_url, day, kinds)):
            fetched = download(client, listed, folder)
            if on_file is not None:
                on_file(listed, fetched)
            paths.append(folder / listed.name)
    return paths
