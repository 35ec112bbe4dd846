"""`dyad import --format …`: a dataset's files, archives and folders, with their report."""

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner, Result

from app.cli import app
from app.core.db import create_db_engine
from app.core.settings import Settings, get_settings
from app.events.models import Event

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "datasets"
GDELT = "20240519153000.export.CSV"


@pytest.fixture
def database_url(monkeypatch, tmp_path, fresh_database_url) -> Iterator[str]:
    """DYAD_DATABASE_URL names a fresh database; no other DYAD_* leaks in."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"DYAD_{name.upper()}", raising=False)
    monkeypatch.setenv("DYAD_DATABASE_URL", fresh_database_url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()


def dyad(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args], prog_name="dyad")


def events(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(Event)).one()
    finally:
        engine.dispose()


def test_a_gdelt_file_imports_then_reimports_unchanged(database_url):
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
    assert events(database_url) == 7


def test_a_folder_of_gzipped_files_imports_each(database_url, tmp_path):
    folder = tmp_path / "icews"
    folder.mkdir()
    (folder / "icews-2013.tab.gz").write_bytes(
        gzip.compress((DATA / "icews-2013.tab").read_bytes())
    )
    result = dyad("import", "--format", "icews", folder)
    assert result.exit_code == 0, result.stderr
    assert "11 rows read; imported 6 created" in result.stderr
    assert "  icews-2013.tab.gz, line 12: 8 cells, not 20" in result.stderr


def test_the_acled_files_in_order_create_update_and_delete(database_url, tmp_path):
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
    assert events(database_url) == 4  # a soft-deleted event stays stored


def test_strict_aborts_the_file_and_keeps_nothing(database_url):
    result = dyad("import", "--format", "gdelt", "--strict", DATA / GDELT)
    assert result.exit_code == 1
    assert "line 2: CAMEO root without PLOVER type" in result.stderr
    assert events(database_url) == 0


def test_a_folder_without_format_is_a_usage_error(database_url, tmp_path):
    result = dyad("import", tmp_path)
    assert result.exit_code == 2
    assert "a folder is read only with --format" in result.stderr


def test_a_dry_run_keeps_nothing(database_url):
    result = dyad("import", "--format", "polecat", "--dry-run", DATA / "polecat-2024-05-19.txt")
    assert result.exit_code == 0
    assert "would import 3 created" in result.stderr
    assert events(database_url) == 0
