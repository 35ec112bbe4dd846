"""`dyad import --format …`: a dataset's files, archives and folders, with their report; and
`dyad fetch gdelt --date …` against a local server laid out as GDELT's, never the internet."""

import gzip
import hashlib
import shutil
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner, Result

from app.cli import app
from app.core.db import create_db_engine
from app.events.models import Event

runner = CliRunner()
DATA = Path(__file__).parents[1] / "data" / "datasets"
GDELT = "20240519153000.export.CSV"


def dyad(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args], prog_name="dyad")


def events(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(Event)).one()
    finally:
        engine.dispose()


def test_a_gdelt_file_imports_then_reimports_unchanged(cli_database_url):
    first = dyad("import", "--format", "gdelt", DATA / GDELT)
    assert first.exit_code == 0, first.stderr
    assert first.stderr.splitlines() == [
        f"{DATA / GDELT}: 16 rows read; imported 7 created, 0 updated, 0 unchanged, "
        "0 deleted; 7 skipped",
        "  skipped, CAMEO root without PLOVER type: 2",
        "  skipped, no two countries: 2",
        "  skipped, region or bloc code: 2",
        "  skipped, unparsable line: 1",
        f"  {GDELT}, line 9: 5 columns, not 61",
    ]
    again = dyad("import", "--format", "gdelt", DATA / GDELT)
    assert "imported 0 created, 0 updated, 7 unchanged" in again.stderr
    assert events(cli_database_url) == 7


def test_a_folder_of_gzipped_files_imports_each(cli_database_url, tmp_path):
    folder = tmp_path / "icews"
    folder.mkdir()
    (folder / "icews-2013.tab.gz").write_bytes(
        gzip.compress((DATA / "icews-2013.tab").read_bytes())
    )
    result = dyad("import", "--format", "icews", folder)
    assert result.exit_code == 0, result.stderr
    assert "11 rows read; imported 6 created" in result.stderr
    assert "  icews-2013.tab.gz, line 12: 8 cells, not 20" in result.stderr


def test_the_acled_files_in_order_create_update_and_delete(cli_database_url, tmp_path):
    for name in ("acled-2024-05.csv", "acled-2024-05-update.csv", "acled-deletions.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    result = dyad(
        "import",
        "--format",
        "acled",
        "acled-2024-05.csv",
        "acled-2024-05-update.csv",
        "acled-deletions.csv",
    )
    assert result.exit_code == 0, result.stderr
    reports = [line for line in result.stderr.splitlines() if not line.startswith("  ")]
    assert reports == [
        "acled-2024-05.csv: 7 rows read; imported 4 created, 0 updated, 0 unchanged, "
        "0 deleted; 3 skipped",
        "acled-2024-05-update.csv: 2 rows read; imported 0 created, 1 updated, 1 unchanged, "
        "0 deleted; 0 skipped",
        "acled-deletions.csv: 2 rows read; imported 0 created, 0 updated, 0 unchanged, "
        "1 deleted; 1 skipped",
    ]
    assert events(cli_database_url) == 4  # a soft-deleted event stays stored


def test_strict_aborts_the_file_and_keeps_nothing(cli_database_url):
    result = dyad("import", "--format", "gdelt", "--strict", DATA / GDELT)
    assert result.exit_code == 1
    assert "line 2: CAMEO root without PLOVER type" in result.stderr
    assert events(cli_database_url) == 0


def test_a_folder_without_format_is_a_usage_error(cli_database_url, tmp_path):
    result = dyad("import", tmp_path)
    assert result.exit_code == 2
    assert "a folder is read only with --format" in result.stderr


def test_a_dry_run_keeps_nothing(cli_database_url):
    result = dyad("import", "--format", "polecat", "--dry-run", DATA / "polecat-2024-05-19.txt")
    assert result.exit_code == 0
    assert "would import 3 created" in result.stderr
    assert events(cli_database_url) == 0


# --- dyad fetch gdelt ----------------------------------------------------------------------

MENTIONS = "20240519153000.mentions.CSV"


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def zipped(folder: Path, name: str, member: str, data: bytes) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, data)
    return path


@pytest.fixture
def gdelt_server(tmp_path) -> Iterator[tuple[str, Path]]:
    """A server with a gdeltv2/ folder: two of 2024-05-19's files, one of the next day's,
    and a master file list naming them with their sizes and MD5s."""
    root = tmp_path / "www"
    folder = root / "gdeltv2"
    folder.mkdir(parents=True)
    export = (DATA / GDELT).read_bytes()
    files = [
        zipped(folder, f"{GDELT}.zip", GDELT, export),
        zipped(folder, f"{MENTIONS}.zip", MENTIONS, (DATA / MENTIONS).read_bytes()),
        zipped(folder, "20240519154500.gkg.csv.zip", "gkg.csv", b"not fetched"),
        zipped(folder, "20240520000000.export.CSV.zip", "next.CSV", export),
    ]
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    base = f"http://127.0.0.1:{server.server_address[1]}/gdeltv2/"
    lines = [
        f"{p.stat().st_size} {hashlib.md5(p.read_bytes()).hexdigest()} {base}{p.name}"
        for p in files
    ]
    (folder / "masterfilelist.txt").write_text("\n".join(lines) + "\n")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, folder
    server.shutdown()
    server.server_close()


def test_fetch_then_import_a_day_of_gdelt(cli_database_url, gdelt_server, tmp_path):
    base, _folder = gdelt_server
    out = tmp_path / "day"
    result = dyad("fetch", "gdelt", "--date", "2024-05-19", "--to", out, "--base-url", base)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{GDELT}.zip", f"{MENTIONS}.zip"]
    assert f"fetched: {GDELT}.zip" in result.stderr
    assert f"next: dyad import --format gdelt {out}" in result.stderr

    again = dyad(
        "fetch", "gdelt", "--date", "2024-05-19", "--to", out, "--base-url", base, "--import"
    )
    assert again.exit_code == 0, again.stderr
    assert f"already here: {GDELT}.zip" in again.stderr
    assert f"{out}: 16 rows read; imported 7 created" in again.stderr
    assert f"{out}: 7 rows read; imported 0 created, 2 updated" in again.stderr
    assert events(cli_database_url) == 7


def test_a_file_whose_md5_is_wrong_is_refused_and_not_kept(
    cli_database_url, gdelt_server, tmp_path
):
    base, folder = gdelt_server
    listing = folder / "masterfilelist.txt"
    lines = listing.read_text().splitlines()
    size, _md5, url = lines[0].split()
    listing.write_text("\n".join([f"{size} {'0' * 32} {url}", *lines[1:]]) + "\n")
    out = tmp_path / "day"
    result = dyad("fetch", "gdelt", "--date", "2024-05-19", "--to", out, "--base-url", base)
    assert result.exit_code == 1
    assert "its MD5 is not the one the master list gives" in result.stderr
    assert list(out.iterdir()) == []


def test_a_day_gdelt_does_not_list_is_an_error(cli_database_url, gdelt_server, tmp_path):
    base, _folder = gdelt_server
    result = dyad(
        "fetch", "gdelt", "--date", "2015-01-01", "--to", tmp_path / "x", "--base-url", base
    )
    assert result.exit_code == 1
    assert "GDELT lists no files for 2015-01-01" in result.stderr
