"""Time `dyad import --format gdelt` on a synthetic GDELT 2.0 day, into a fresh SQLite file.

The day is N rows in the 61-column layout of app.datasets.gdelt, split into 15-minute files
as GDELT publishes them, with GDELT's repetition: a real event is reported by many articles,
in its own file and in the files after it. Prints rows per second and the peak memory.

    .venv/bin/python bench/gdelt_import.py --rows 20000 --files 10
"""

import argparse
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.datasets.gdelt import COLUMNS

COUNTRIES = ["AZE", "IRN", "ARM", "TUR", "RUS", "USA", "GEO", "ISR", "FRA", "DEU", "CHN", "IND"]
CODES = ["042", "043", "036", "057", "111", "112", "190", "173", "163", "0871", "046", "051"]
# Folds the write-ahead log into the file, so that the file alone holds the database.
CHECKPOINT = (
    "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')"
)
AT = {name: index for index, name in enumerate(COLUMNS)}


def row(rng: random.Random, event_id: int, real_event: int, day: str) -> str:
    """One row reporting `real_event` (its countries and code follow from its number)."""
    pick = random.Random(real_event)
    first, second = pick.sample(COUNTRIES, 2)
    cells = [""] * len(COLUMNS)
    cells[AT["GLOBALEVENTID"]] = str(event_id)
    cells[AT["SQLDATE"]] = day
    cells[AT["Actor1Code"]], cells[AT["Actor1Name"]] = f"{first}GOV", first
    cells[AT["Actor1CountryCode"]], cells[AT["Actor1Type1Code"]] = first, "GOV"
    cells[AT["Actor2Code"]], cells[AT["Actor2Name"]] = f"{second}GOV", second
    cells[AT["Actor2CountryCode"]], cells[AT["Actor2Type1Code"]] = second, "GOV"
    cells[AT["EventCode"]] = pick.choice(CODES)
    cells[AT["GoldsteinScale"]] = f"{pick.uniform(-10, 10):.1f}"
    cells[AT["NumArticles"]] = cells[AT["NumSources"]] = cells[AT["NumMentions"]] = "1"
    cells[AT["AvgTone"]] = f"{rng.uniform(-8, 8):.2f}"
    cells[AT["ActionGeo_FullName"]] = "Baku, Baki, Azerbaijan"
    cells[AT["ActionGeo_Lat"]], cells[AT["ActionGeo_Long"]] = "40.3953", "49.8822"
    cells[AT["DATEADDED"]] = day + "120000"
    cells[AT["SOURCEURL"]] = f"https://news{rng.randint(1, 400)}.example.com/{event_id}/story"
    return "\t".join(cells)


def write_day(folder: Path, rows: int, files: int, real_events: int) -> list[Path]:
    rng = random.Random(20240519)
    paths, per_file = [], rows // files
    for n in range(files):
        path = folder / f"20240519{n // 4:02d}{n % 4 * 15:02d}00.export.CSV"
        # Each file reports events of its own quarter-hour and, less often, older ones.
        lines = [
            row(rng, n * per_file + i, rng.randint(0, real_events * (n + 1) // files), "20240519")
            for i in range(per_file)
        ]
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def timed_import(
    rows: int, files: int, real_events: int, keep: Path | None = None
) -> dict[str, Any]:
    """Write a day of `rows` rows and time `dyad import` of it into a fresh SQLite file (kept
    at `keep` if given): seconds, rows/s, the import's peak memory and its report's line."""
    with tempfile.TemporaryDirectory(prefix="dyad-gdelt-") as tmp:
        folder = Path(tmp) / "day"
        folder.mkdir()
        write_day(folder, rows, files, real_events)
        dyad = str(Path(sys.executable).with_name("dyad"))
        env = {"DYAD_DATABASE_URL": f"sqlite:///{tmp}/dyad.db", "PATH": "/usr/bin:/bin"}
        subprocess.run([dyad, "migrate"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        importing = subprocess.Popen(
            [dyad, "import", "--format", "gdelt", str(folder)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        report = importing.communicate()[1]
        seconds = time.perf_counter() - started
        if importing.returncode:
            raise SystemExit(f"dyad import failed: {report}")
        if keep:
            # The write-ahead log folded into the file, so that the file alone holds it all.
            sqlite3.connect(f"{tmp}/dyad.db").execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
            shutil.copyfile(f"{tmp}/dyad.db", keep)
    return {
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "report": report.strip().splitlines()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--real-events", type=int, default=5000)
    args = parser.parse_args()
    timed = timed_import(args.rows, args.files, args.real_events)
    print(timed["report"])
    print(
        f"{args.rows} rows in {timed['seconds']:.1f} s: {timed['rows_per_s']:,.0f} rows/s;"
        f" peak {timed['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
