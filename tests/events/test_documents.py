"""The stored document of every event equals its public form, built anew from its rows, after
every kind of write: events, citations, links, actors, sources, delete, restore, imports; and
the history reads the same through it."""

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlmodel import Session

from app.events.csv_cells import csv_tail
from app.events.models import EventPublic
from app.events.public import EVENT_COLUMNS, dumps, load_public
from tests.factories import make_event, make_source


def stored(session: Session) -> dict[str, bytes]:
    rows = session.connection().execute(text("SELECT id, document FROM event"))
    return {event_id: document.encode() for event_id, document in rows}


def built(session: Session) -> dict[str, bytes]:
    """Each event's public form from its rows, validated as EventPublic writes it."""
    rows = session.connection().execute(select(*EVENT_COLUMNS)).all()
    events = load_public(session, rows)
    return {
        event["id"]: EventPublic.model_validate(event).model_dump_json().encode()
        for event in events
    }


def assert_documents_current(session: Session) -> None:
    session.flush()
    # An event's newest revision holds no copy of its document, unless the document changed
    # since for another reason than a version of its own (an actor or a source edited).
    copies = session.connection().execute(
        text(
            "SELECT count(*) FROM revision WHERE data IS NULL AND id NOT IN"
            " (SELECT max(id) FROM revision GROUP BY event_id)"
        )
    )
    assert copies.scalar_one() == 0
    documents, expected = stored(session), built(session)
    assert documents.keys() == expected.keys()
    for event_id, document in documents.items():
        assert document == expected[event_id], event_id
        assert document == dumps(orjson.loads(document))  # plain JSON, as sent
    # The cells of each event's CSV line stored with its document follow it too.
    tails = session.connection().execute(text("SELECT id, document, csv_tail FROM event"))
    for event_id, document, tail in tails:
        assert tail == csv_tail(document), event_id


def test_documents_follow_every_kind_of_write(
    client: TestClient, seeded: None, session: Session, auth: dict[str, str]
) -> None:
    assert_documents_current(session)  # the seed, through the one create path
    patch = auth | {"Content-Type": "application/merge-patch+json"}

    def ok(response: Any, status: int = 200) -> None:
        assert response.status_code == status, response.text
        assert_documents_current(session)

    actor = {"id": "doc-actor", "name": "Documented Minister", "kind": "person"}
    ok(client.post("/v1/actors", json=actor, headers=auth), 201)
    source = {"url": "https://example.org/documented", "title": "Documented", "kind": "news"}
    created = client.post("/v1/sources", json=source, headers=auth)
    ok(created, 201)
    source_id = created.json()["id"]
    target = "2013-03-30-baku-conference-southern-azerbaijan"
    body = {
        "id": "documented",
        "title": "Documented",
        "date": "2014-05",
        "countries": ["AZE", "IRN"],
        "type": "consult",
        "actors": [{"id": "doc-actor", "role": "initiator"}],
        "citations": [{"source_id": source_id, "stance": "supports", "quote": "Said."}],
        "links": [{"event_id": target, "relation": "responds_to"}],
    }
    ok(client.post("/v1/events", json=body, headers=auth), 201)
    assert {"event_id": "documented", "relation": "responds_to"} in client.get(
        f"/v1/events/{target}"
    ).json()["linked_from"]

    def patched(version: int, changes: dict[str, object]) -> None:
        headers = patch | {"If-Match": f'"{version}"'}
        ok(client.patch("/v1/events/documented", json=changes, headers=headers))

    # A citation added with a source given whole, then a link moved to another event.
    new_source = {"url": "https://example.org/second", "title": "Second", "kind": "official"}
    citations = [*body["citations"], {"source": new_source, "stance": "disputes"}]
    patched(1, {"citations": citations})
    patched(
        2, {"links": [{"event_id": "2013-03-perry-israel-airbases-claim", "relation": "follows"}]}
    )
    assert "documented" not in {
        link["event_id"] for link in client.get(f"/v1/events/{target}").json()["linked_from"]
    }
    # The actor and the source it embeds, edited.
    renamed = {"name": "Renamed Minister", "country": "AZE"}
    ok(client.patch("/v1/actors/doc-actor", json=renamed, headers=patch | {"If-Match": '"1"'}))
    assert client.get("/v1/events/documented").json()["actors"][0]["name"] == "Renamed Minister"
    # The history keeps what each version showed: the newest revision, written before the
    # rename, shows the old name, and keeps it now that the document has changed.
    [newest, *_] = client.get("/v1/events/documented/revisions").json()
    assert newest["event"]["actors"][0]["name"] == "Documented Minister"
    retitled = {"title": "Retitled", "publisher": "Documented Press"}
    ok(client.patch(f"/v1/sources/{source_id}", json=retitled, headers=patch | {"If-Match": '"1"'}))
    cited = client.get("/v1/events/documented").json()["citations"][0]["source"]
    assert (cited["title"], cited["version"]) == ("Retitled", 2)
    # Deleted and restored: the event it links to shows it, hides it, shows it again.
    ok(client.delete("/v1/events/documented", headers=auth | {"If-Match": '"3"'}), 204)
    claim = "/v1/events/2013-03-perry-israel-airbases-claim"
    assert {"event_id": "documented", "relation": "follows"} not in client.get(claim).json()[
        "linked_from"
    ]
    ok(client.post("/v1/events/documented/restore", headers=auth))
    assert {"event_id": "documented", "relation": "follows"} in client.get(claim).json()[
        "linked_from"
    ]
    # An import: new events linking to stored ones and to each other, and an update.
    records = [
        {
            "id": f"imported-{n}",
            "title": f"Imported {n}",
            "date": "2015",
            "type": "protest",
            "countries": ["AZE", "IRN"],
            "citations": [{"source": new_source, "stance": "supports"}],
            "links": [
                {"event_id": "documented" if n == 0 else "imported-0", "relation": "follows"}
            ],
        }
        for n in range(3)
    ]
    records.append(body | {"title": "Documented, imported", "links": []})
    imported = client.post("/v1/imports", content=orjson.dumps(records), headers=auth)
    ok(imported)
    assert imported.json()["created"] == 3 and imported.json()["updated"] == 1
    assert client.get("/v1/events/imported-0").json()["linked_from"] == [
        {"event_id": "imported-1", "relation": "follows"},
        {"event_id": "imported-2", "relation": "follows"},
    ]
    # Their one revision keeps no second copy of the document.
    data = session.connection().execute(
        text("SELECT data FROM revision WHERE event_id = 'imported-1'")
    )
    assert data.scalar_one() is None


def test_postgresql_keeps_a_document_of_a_few_kilobytes_in_its_row_as_written(session):
    """Compressed, or moved to the TOAST table, a document costs a page's read a lookup and a
    decompression each (migration 5b8e2d7c4a19): up to a page, it stays in its row."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's TOAST; SQLite stores documents in their rows")
    # Long quotes: 5 kB of the document, none of the event's own columns (which a row past a
    # page would compress first).
    quotes = [" ".join(f"round {n} of the talks in {year}" for n in range(40)) for year in range(5)]
    citations = [{"source_id": make_source(session), "quote": quote} for quote in quotes]
    make_event(session, id="long-read", citations=citations)
    session.flush()
    stored, written = (
        session.connection()
        .execute(
            text(
                "SELECT pg_column_size(document), octet_length(document) FROM event"
                " WHERE id = 'long-read'"
            )
        )
        .one()
    )
    assert written > 5000
    assert stored >= written  # not compressed: the text and its header
