"""The client's import_file with `format`: a public dataset's file, and its report."""

import gzip
from pathlib import Path

import httpx
import pytest
from dyad_client import AsyncDyad, InvalidInput

from tests.client.conftest import BASE_URL

DATA = Path(__file__).parents[1] / "data" / "datasets"


def test_import_file_with_a_format_answers_the_dataset_report(editor):
    result = editor.import_file(DATA / "polecat-2024-05-19.txt", format="polecat")
    assert (result.rows, result.created, result.deleted, result.dry_run) == (9, 3, 0, False)
    assert result.skipped == {
        "region or bloc code": 2,
        "no two countries": 1,
        "unknown event code": 1,
        "unparsable line": 1,
    }
    assert result.unparsable == [{"file": "body.polecat", "line": 10, "problem": "3 cells, not 40"}]
    assert editor.event("polecat-2024-05-19-aze-irn-consult-c20b6baf01").tags == [
        "imported",
        "machine-coded",
        "polecat",
    ]


def test_import_file_sends_a_gzip_and_strict_refuses(editor, tmp_path):
    packed = tmp_path / "acled.csv.gz"
    packed.write_bytes(gzip.compress((DATA / "acled-2024-05.csv").read_bytes()))
    assert editor.import_file(packed, format="acled", dry_run=True).created == 4
    with pytest.raises(InvalidInput) as caught:
        editor.import_file(DATA / "acled-2024-05.csv", format="acled", strict=True)
    assert "no two countries" in str(caught.value)


@pytest.mark.anyio
async def test_the_async_client_imports_a_dataset_file_too(app, write_key):
    async with AsyncDyad(BASE_URL, write_key, transport=httpx.ASGITransport(app=app)) as adyad:
        result = await adyad.import_file(DATA / "icews-2013.tab", format="icews", dry_run=True)
    assert (result.rows, result.created, result.dry_run) == (11, 6, True)
    assert result.skipped["unknown country"] == 1
