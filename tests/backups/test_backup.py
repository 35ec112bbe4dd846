"""`dyad backup` and `dyad restore`: a restored database answers every GET as the original."""

import gzip
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner, Result

from app.backups.service import NOT_BACKED_UP, backed_up_tables
from app.cli import app as cli
from app.core.db import create_db_engine, metadata
from app.core.settings import Settings, get_settings
from app.main import create_app
from tests.conftest import _database_url, _drop_database

runner = CliRunner()
PERRY_CLAIM = "2013-03-perry-israel-airbases-claim"
CONFERENCE = "2013-03-30-baku-conference-southern-azerbaijan"
RELEASE = "2013-khamenei-orders-release-of-azerbaijani-poets"


@pytest.fixture(autouse=True)
def no_settings_leak(monkeypatch, tmp_path) -> Iterator[None]:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"DYAD_{name.upper()}", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def dyad(url: str, *args: str) -> Result:
    os.environ["DYAD_DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        return runner.invoke(cli, list(args), prog_name="dyad")
    finally:
        del os.environ["DYAD_DATABASE_URL"]
        get_settings.cache_clear()


def api(url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=url, rate_limit=None)))


def edited(client: TestClient, key: str) -> None:
    """The seed, then a PATCH, a link, a delete, a restore, an actor's and a source's edit."""
    auth = {"Authorization": f"Bearer {key}"}
    patch = auth | {"Content-Type": "application/merge-patch+json"}

    def write(method: str, path: str, version: int | None, **kwargs: Any) -> None:
        headers = patch | ({"If-Match": f'"{version}"'} if version else {})
        response = client.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, response.text

    write("PATCH", f"/v1/events/{PERRY_CLAIM}", 1, json={"tone": -6.5})
    write(
        "PATCH",
        f"/v1/events/{RELEASE}",
        1,
        json={"links": [{"event_id": CONFERENCE, "relation": "follows"}]},
    )
    write("DELETE", f"/v1/events/{PERRY_CLAIM}", 2)
    write("POST", f"/v1/events/{PERRY_CLAIM}/restore", None)
    write("DELETE", f"/v1/events/{CONFERENCE}", 1)  # stays deleted
    write("PATCH", "/v1/actors/ilham-aliyev", 1, json={"aliases": ["İlham Əliyev"]})
    write("PATCH", "/v1/sources/neo-2013-06-21-pivin-iran-azerbaijan", 1, json={"language": "en"})


def every_answer(client: TestClient) -> dict[str, Any]:
    """The body (and ETag) of every GET of every object, keyed by URL."""
    answers: dict[str, Any] = {}

    def get(url: str, **params: Any) -> Any:
        response = client.get(url, params=params)
        key = url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
        answers[key] = (response.status_code, response.headers.get("etag"), response.content)
        json_answer = response.headers["content-type"] == "application/json"
        return response.json() if response.status_code == 200 and json_answer else None

    changes = get("/v1/changes", limit=500)
    event_ids = sorted({change["event_id"] for change in changes["items"]})
    for event_id in event_ids:
        get(f"/v1/events/{event_id}")  # a deleted one is a 404 on both
        get(f"/v1/events/{event_id}/revisions")
        get(f"/v1/events/{event_id}/citation")
    get("/v1/events", limit=500)
    get("/v1/events", q="conference", limit=500)
    for actor in get("/v1/actors", limit=500)["items"]:
        get(f"/v1/actors/{actor['id']}")
    for source in get("/v1/sources", limit=500)["items"]:
        get(f"/v1/sources/{source['id']}")
    get("/v1/actors", q="aliyev")
    get("/v1/timeline", dyad="AZE-IRN", bucket="month")
    get("/v1/relations", country="AZE")
    get("/v1/relations/AZE-IRN")
    for path in ("/v1/countries", "/v1/tags", "/v1/event-types"):
        get(path)
    return answers


@pytest.fixture
def original(fresh_database_url: str) -> str:
    """A database of the run's kind: the seed, then edits over the API."""
    assert dyad(fresh_database_url, "seed").exit_code == 0
    created = dyad(fresh_database_url, "keys", "create", "--name", "editor", "--scope", "write")
    assert created.exit_code == 0, created.output
    with api(fresh_database_url) as client:
        edited(client, created.stdout.strip().splitlines()[-1])
    return fresh_database_url


# Restores go into a new SQLite file, and on a PostgreSQL run into a new PostgreSQL database too.
TARGETS = ["sqlite"] + (
    ["postgresql"] if os.environ.get("DYAD_TEST_DATABASE_URL", "sqlite") != "sqlite" else []
)


@pytest.fixture(params=TARGETS)
def empty_database(request, tmp_path: Path) -> Iterator[str]:
    """A new database to restore into."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url, scratch = _database_url(tmp_path)
    yield url
    if scratch is not None:
        _drop_database(os.environ["DYAD_TEST_DATABASE_URL"], scratch)


@pytest.mark.parametrize("suffix", [".ndjson", ".ndjson.gz"])
def test_a_restored_database_answers_every_get_as_the_original(
    original, empty_database, tmp_path, suffix
):
    backup = tmp_path / f"dyad-backup{suffix}"

    written = dyad(original, "backup", str(backup))
    restored = dyad(empty_database, "restore", str(backup))

    assert written.exit_code == 0, written.output
    assert restored.exit_code == 0, restored.output
    assert written.stderr.removeprefix(f"{backup}: backed up ") == restored.stderr.removeprefix(
        f"{backup}: restored "
    )
    assert "11 event, " in written.stderr and ", 16 revision" in written.stderr
    with api(original) as before, api(empty_database) as after:
        expected, actual = every_answer(before), every_answer(after)
    assert actual.keys() == expected.keys()
    for url, answer in expected.items():
        assert actual[url] == answer, url
    assert expected[f"/v1/events/{CONFERENCE}"][0] == 404  # deleted, and still deleted


def test_writes_continue_after_a_restore(original, empty_database, tmp_path):
    backup = tmp_path / "dyad-backup.ndjson"
    assert dyad(original, "backup", str(backup)).exit_code == 0
    assert dyad(empty_database, "restore", str(backup)).exit_code == 0
    key = dyad(empty_database, "keys", "create", "--name", "after", "--scope", "write")

    with api(empty_database) as client:
        auth = {"Authorization": f"Bearer {key.stdout.strip().splitlines()[-1]}"}
        response = client.patch(
            f"/v1/events/{PERRY_CLAIM}",
            json={"tone": 4},
            headers=auth | {"If-Match": '"4"', "Content-Type": "application/merge-patch+json"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["version"] == 5
        revisions = client.get(f"/v1/events/{PERRY_CLAIM}/revisions").json()
        assert [r["version"] for r in revisions] == [5, 4, 3, 2, 1]
        changes = client.get("/v1/changes", params={"limit": 500}).json()["items"]
        assert changes[-1]["event_id"] == PERRY_CLAIM and changes[-1]["version"] == 5


def test_a_restore_into_a_database_with_events_changes_nothing(original, tmp_path):
    backup = tmp_path / "dyad-backup.ndjson"
    assert dyad(original, "backup", str(backup)).exit_code == 0
    with api(original) as client:
        before = every_answer(client)

    result = dyad(original, "restore", str(backup))

    assert result.exit_code == 1
    assert "the database is not empty (it has event rows): restore into a new database" in (
        result.stderr
    )
    with api(original) as client:
        assert every_answer(client) == before


@pytest.mark.parametrize(
    "content, problem",
    [
        (b'{"title": "not a backup"}\n', "not a Dyad backup"),
        (b'{"dyad_backup": 1, "schema": "0000"}\n', "the backup is of schema '0000'"),
        (b"", "not a Dyad backup"),
    ],
)
def test_a_file_that_is_not_a_backup_of_this_schema_is_refused(
    fresh_database_url, tmp_path, content, problem
):
    path = tmp_path / "other.ndjson"
    path.write_bytes(content)

    result = dyad(fresh_database_url, "restore", str(path))

    assert result.exit_code == 1
    assert problem in result.stderr and "nothing was restored" in result.stderr
    engine = create_db_engine(fresh_database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM event")).scalar_one() == 0
    engine.dispose()


def test_a_bad_row_restores_nothing(original, fresh_database_url, tmp_path):
    backup = tmp_path / "dyad-backup.ndjson"
    assert dyad(original, "backup", str(backup)).exit_code == 0
    lines = backup.read_bytes().splitlines()
    lines.append(orjson.dumps({"table": "event", "row": {"no_such_column": 1}}))
    backup.write_bytes(b"\n".join(lines))
    empty = f"sqlite:///{tmp_path / 'empty.db'}"

    result = dyad(empty, "restore", str(backup))

    assert result.exit_code == 1
    assert f"line {len(lines)} is not a row of a backed-up table" in result.stderr
    engine = create_db_engine(empty)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM actor")).scalar_one() == 0
    engine.dispose()


def test_every_table_is_backed_up_or_says_why_not():
    names = {table.name for table in backed_up_tables()}
    assert names | set(NOT_BACKED_UP) == set(metadata.tables)
    assert not names & set(NOT_BACKED_UP)


def test_a_backup_is_gzip_when_its_name_says_so(original, tmp_path):
    assert dyad(original, "backup", str(tmp_path / "b.ndjson.gz")).exit_code == 0
    header = orjson.loads(gzip.decompress((tmp_path / "b.ndjson.gz").read_bytes()).split(b"\n")[0])
    assert header["dyad_backup"] == 1
