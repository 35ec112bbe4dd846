"""Dyad's writing methods against the real app: versions in If-Match, conflicts, imports."""

import json
from typing import Any

import pytest
from dyad_client import Conflict, Dyad, Forbidden, InvalidInput, NotFound, Unauthorized

from app.keys.models import Scope
from app.keys.service import create_key
from tests.client.conftest import BASE_URL, SyncASGITransport


def new_event(**fields: Any) -> dict[str, Any]:
    return {
        "id": "2013-05-baku-talks",
        "title": "Foreign ministers meet in Baku",
        "date": "2013-05-02",
        "countries": ["aze", "IR"],
        "type": "consult",
        "citations": [
            {
                "source": {"url": "https://news.example.org/baku-talks", "title": "Talks"},
                "quote": "The ministers met.",
            }
        ],
    } | fields


def test_create_returns_the_stored_event_and_refuses_an_existing_id(editor):
    event = editor.create_event(new_event())
    assert (event.id, event.version, event.status) == ("2013-05-baku-talks", 1, "reported")
    assert event.countries == ["AZE", "IRN"]
    assert event.citations[0].source.url == "https://news.example.org/baku-talks"
    assert editor.event(event.id) == event

    with pytest.raises(Conflict) as caught:
        editor.create_event(new_event())
    assert caught.value.status == 409
    assert caught.value.current_version is None


def test_update_sends_the_version_read_in_if_match(app, write_key):
    transport = SyncASGITransport(app)
    with Dyad(BASE_URL, write_key, transport=transport) as client:
        read = client.create_event(new_event())
        updated = client.update_event(read, {"tone": 4, "tags": ["talks"], "summary": None})
    patch = transport.requests[-1]
    assert patch.method == "PATCH"
    assert patch.headers["If-Match"] == '"1"'
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    assert json.loads(patch.content) == {"tone": 4, "tags": ["talks"], "summary": None}
    assert (updated.version, updated.tone, updated.tags, updated.summary) == (
        2,
        4.0,
        ["talks"],
        None,
    )


def test_a_stale_update_is_a_conflict_carrying_the_current_version(editor):
    mine = editor.create_event(new_event())
    theirs = editor.update_event(mine.id, {"tone": 2}, version=1)
    assert theirs.version == 2

    with pytest.raises(Conflict) as caught:
        editor.update_event(mine, {"tone": -8})
    error = caught.value
    assert (error.status, error.title) == (412, "Precondition Failed")
    assert error.current_version == 2
    assert "version 2, not 1" in error.detail
    # Their change stands: nothing was lost.
    assert editor.event(mine.id).tone == 2.0

    retried = editor.update_event(editor.event(mine.id), {"tone": -8})
    assert (retried.version, retried.tone) == (3, -8.0)


def test_update_by_id_alone_uses_the_version_it_reads_now(editor):
    editor.create_event(new_event())
    editor.update_event("2013-05-baku-talks", {"tone": 1})
    updated = editor.update_event("2013-05-baku-talks", {"tone": 5})
    assert (updated.version, updated.tone) == (3, 5.0)


def test_delete_hides_and_restore_brings_back(editor):
    event = editor.create_event(new_event())
    editor.delete_event(event)
    with pytest.raises(NotFound):
        editor.event(event.id)
    assert editor.count(dyad="AZE-IRN") == 0

    restored = editor.restore_event(event.id)
    assert (restored.id, restored.version) == (event.id, 3)
    assert [r.action for r in editor.revisions(event.id)] == ["restore", "delete", "create"]


def test_a_stale_delete_is_a_conflict(editor):
    event = editor.create_event(new_event())
    editor.update_event(event, {"tone": 1})
    with pytest.raises(Conflict) as caught:
        editor.delete_event(event)
    assert caught.value.current_version == 2
    assert editor.event(event.id).version == 2


def test_import_file_dry_run_then_for_real_then_unchanged(editor, tmp_path):
    path = tmp_path / "events.json"
    records = [new_event(id=f"imported-{n}", title=f"Imported {n}") for n in range(3)]
    path.write_text(json.dumps(records))

    dry = editor.import_file(path, dry_run=True)
    assert (dry.created, dry.updated, dry.unchanged, dry.dry_run) == (3, 0, 0, True)
    assert editor.count(dyad="AZE-IRN") == 0

    done = editor.import_file(path)
    assert (done.created, done.dry_run) == (3, False)
    assert [e.id for e in editor.events(dyad="AZE-IRN")] == [f"imported-{n}" for n in range(3)]
    assert editor.import_file(str(path)).unchanged == 3


def test_import_file_reads_csv_and_ndjson_by_their_suffix(editor, tmp_path):
    csv_path = tmp_path / "events.csv"
    csv_path.write_text("id,title,date,countries,type\nfrom-csv,From a CSV,2013-06,AZE;IRN,agree\n")
    ndjson_path = tmp_path / "events.jsonl"
    ndjson_path.write_text(json.dumps(new_event(id="from-ndjson")) + "\n")
    assert editor.import_file(csv_path).created == 1
    assert editor.import_file(ndjson_path).created == 1
    assert editor.event("from-csv").countries == ["AZE", "IRN"]
    assert editor.event("from-ndjson").type == "consult"


def test_a_bad_import_lists_every_bad_line_and_writes_nothing(editor, tmp_path):
    path = tmp_path / "events.ndjson"
    lines = [new_event(id="good-one"), new_event(id="bad-one", date="2013-02-30")]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with pytest.raises(InvalidInput) as caught:
        editor.import_file(path)
    error = caught.value
    assert error.status == 422
    assert [(item["line"], item["id"]) for item in error.errors] == [(2, "bad-one")]
    assert "line 2:" in str(error)
    with pytest.raises(NotFound):
        editor.event("good-one")


def test_writing_without_a_key_or_with_a_read_key_is_refused(app, dyad, session):
    with pytest.raises(Unauthorized) as caught:
        dyad.create_event(new_event())
    assert caught.value.status == 401

    _record, read_key = create_key(session, "reader", Scope.read)
    with (
        Dyad(BASE_URL, read_key, transport=SyncASGITransport(app)) as reader,
        pytest.raises(Forbidden) as forbidden,
    ):
        reader.create_event(new_event())
    assert forbidden.value.status == 403
