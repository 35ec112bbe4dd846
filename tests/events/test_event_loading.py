"""The public form of events, loaded set-wise (service.load_public) and written by orjson: the
same JSON as EventPublic's, byte for byte, in a number of queries that does not grow."""

from typing import Any

import orjson
from sqlmodel import Session, col, select

from app.events import csv_cells, formats, public, service
from app.events.filters import EventQuery
from app.events.models import Event, EventLink, EventPublic
from app.events.public import load_public
from tests.events.test_formats import csv_rows, export, ndjson_items, vevents
from tests.events.test_query_count import counting
from tests.factories import make_actor, make_event, make_source
from tests.support import soft_delete

RICH = "rich"


def _make_rich_event(session: Session) -> None:
    """An event with every kind of field, linked both ways, beside events that link to it."""
    person = make_actor(session, name="İlham Əliyev", country="AZE")
    government = make_actor(session, kind="government")  # no country
    full_source = make_source(
        session,
        title="Baku denies it",
        publisher="APA",
        author="A. Writer",
        published="2013-04~",
        kind="opinion",
        language="az",
        archive_url="https://archive.example.org/denial",
    )
    bare_source = make_source(session)
    make_event(session, id="earlier", date="2013-01")
    make_event(session, id="background", date="2012")
    make_event(
        session,
        id=RICH,
        title="Talks — «دیدار» in Baku",
        summary="Line one\nline two",
        date="2013-03-30",
        end_date="2013-05~",
        type="accuse",
        tone=2,  # stored as a float: 2.0 in JSON
        countries=["IRN", "AZE", "TUR"],
        tags=["summit", "diplomacy"],
        location={"name": "Baku", "country": "AZE", "lat": 40.41, "lon": 49.87},
        # Not in alphabetical order: actors and citations keep the order they were given in.
        actors=[{"id": government, "role": "target"}, {"id": person, "role": "initiator"}],
        citations=[
            {"source_id": full_source, "stance": "disputes", "quote": "No.", "locator": "p. 2"},
            {"source_id": bare_source, "stance": "supports"},
        ],
        links=[
            {"event_id": "earlier", "relation": "responds_to"},
            {"event_id": "background", "relation": "follows"},
        ],
        external_ids={"gdelt": "G-1", "acled": "AZE-7"},
    )
    make_event(session, id="reaction", links=[{"event_id": RICH, "relation": "denies"}])
    make_event(session, id="part", links=[{"event_id": RICH, "relation": "part_of"}])
    gone = make_event(session, id="gone", links=[{"event_id": RICH, "relation": "same_as"}])
    soft_delete(session, gone)  # its link is hidden with it
    session.expunge_all()  # nothing loaded already, as in a request


def _columns(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in type(row).model_fields}


def _validated_from_orm(session: Session, event_id: str) -> EventPublic:
    """The public form as it was built before load_public: ORM relationships, validated."""
    event = session.get_one(Event, event_id)
    linked_from = session.exec(
        select(EventLink)
        .join(Event, col(Event.id) == col(EventLink.event_id))
        .where(EventLink.target_id == event_id, col(Event.deleted_at).is_(None))
        .order_by(col(EventLink.relation), col(EventLink.event_id))
    ).all()
    location = None
    if event.location_name or event.location_country or event.location_lat is not None:
        location = {
            "name": event.location_name,
            "country": event.location_country,
            "lat": event.location_lat,
            "lon": event.location_lon,
        }
    return EventPublic.model_validate(
        {
            **_columns(event),
            "countries": [row.country for row in event.countries],
            "tags": [row.tag for row in event.tags],
            "location": location,
            "actors": [
                {**_columns(row.actor), "role": row.role}
                for row in sorted(event.actors, key=lambda row: row.position)
            ],
            "citations": [
                {**_columns(row), "source": _columns(row.source)}
                for row in sorted(event.citations, key=lambda row: row.id or 0)
            ],
            "links": [{"event_id": row.target_id, "relation": row.relation} for row in event.links],
            "linked_from": [
                {"event_id": row.event_id, "relation": row.relation} for row in linked_from
            ],
            "external_ids": dict(sorted((row.scheme, row.value) for row in event.external_ids)),
        }
    )


def _loaded(session: Session, event_id: str) -> dict[str, Any]:
    row = session.get_one(Event, event_id)
    [event] = load_public(session, [row])
    return event


def _every_event(session: Session) -> list[public.EventDict]:
    """Every live event's public form, built anew from its rows, in the documented order."""
    rows = session.connection().execute(
        select(*public.EVENT_COLUMNS)
        .where(col(Event.deleted_at).is_(None))
        .order_by(col(Event.date_lower), col(Event.date_precision), col(Event.id))
    )
    return load_public(session, rows.all())


def test_a_rich_event_loads_as_exactly_eventpublics_json(client, session):
    _make_rich_event(session)
    expected = _validated_from_orm(session, RICH).model_dump_json().encode()
    assert public.dumps(_loaded(session, RICH)) == expected
    assert client.get(f"/v1/events/{RICH}").content == expected
    # What the expectation holds, so that it cannot be empty on both sides.
    event = client.get(f"/v1/events/{RICH}").json()
    assert event["tone"] == 2.0 and b'"tone":2.0' in expected
    assert event["updated_at"].endswith("Z")
    assert [actor["role"] for actor in event["actors"]] == ["target", "initiator"]
    assert [citation["stance"] for citation in event["citations"]] == ["disputes", "supports"]
    assert event["citations"][0]["source"]["archive_url"] == "https://archive.example.org/denial"
    assert event["status"] == "disputed"
    assert event["links"] == [
        {"event_id": "background", "relation": "follows"},
        {"event_id": "earlier", "relation": "responds_to"},
    ]
    assert event["linked_from"] == [
        {"event_id": "reaction", "relation": "denies"},
        {"event_id": "part", "relation": "part_of"},
    ]
    assert event["external_ids"] == {"acled": "AZE-7", "gdelt": "G-1"}
    assert event["location"] == {"name": "Baku", "country": "AZE", "lat": 40.41, "lon": 49.87}


def test_plain_events_load_as_eventpublics_json_too(session):
    _make_rich_event(session)
    for event_id in ("earlier", "reaction", "gone"):  # no location, links one way, deleted
        expected = _validated_from_orm(session, event_id).model_dump_json().encode()
        assert public.dumps(_loaded(session, event_id)) == expected, event_id


def test_writes_answer_and_store_the_same_public_form(session):
    _make_rich_event(session)
    published = public.publish(session, [session.get_one(Event, RICH)])[0]
    assert published == _validated_from_orm(session, RICH)


def test_list_items_ndjson_lines_and_one_event_are_the_same_json(client, session):
    _make_rich_event(session)
    items = client.get("/v1/events", params={"limit": 10}).json()["items"]
    assert len(items) == 5  # not the deleted one
    for item in items:
        assert item == client.get(f"/v1/events/{item['id']}").json()
    assert ndjson_items(export(client, "ndjson")) == items


def test_fields_keep_the_order_of_the_fields_and_a_page_is_one_statement(client, session, engine):
    _make_rich_event(session)
    params = {"limit": 50, "fields": "linked_from,id,location"}
    with counting(engine) as lean:
        items = client.get("/v1/events", params=params).json()["items"]
    with counting(engine) as whole:
        client.get("/v1/events", params={"limit": 50})
    rich = next(item for item in items if item["id"] == RICH)
    assert list(rich) == ["id", "location", "linked_from"]  # EventPublic's order
    assert rich["linked_from"] == [
        {"event_id": "reaction", "relation": "denies"},
        {"event_id": "part", "relation": "part_of"},
    ]
    # A page is its stored documents, read by one statement that joins no list's table.
    assert len(lean) == len(whole) == 1
    for statement in lean + whole:
        assert "event.document" in statement and "event_link" not in statement


def test_one_event_takes_one_statement(client, session, engine):
    _make_rich_event(session)
    with counting(engine) as statements:
        assert client.get(f"/v1/events/{RICH}").status_code == 200
    assert len(statements) == 1


def test_an_export_takes_one_statement_a_batch(session, engine):
    _make_rich_event(session)
    query = EventQuery()
    with counting(engine) as one_batch:
        documents = list(service.iter_documents(session, query, batch_size=100))
    with counting(engine) as batches:
        assert list(service.iter_documents(session, query, batch_size=2)) == documents
    assert [orjson.loads(d)["id"] for d in documents] == [e["id"] for e in _every_event(session)]
    assert len(documents) == 5  # not the deleted one
    assert len(one_batch) == 1  # the events' documents
    assert len(batches) == 3  # 2 + 2 + 1 events


def test_csv_and_ics_write_times_and_numbers_as_before(client, session):
    _make_rich_event(session)
    stored = session.get_one(Event, RICH)
    row = next(row for row in csv_rows(export(client, "csv")) if row["id"] == RICH)
    assert row["created_at"] == stored.created_at.isoformat()  # 2026-…+00:00
    assert row["updated_at"].endswith("+00:00")
    assert (row["tone"], row["location_lat"], row["location_lon"]) == ("2.0", "40.41", "49.87")
    assert row["actors"].split(";")[0] == stored.actors[0].actor_id
    assert row["source_publishers"] == "APA"
    component = next(c for c in vevents(export(client, "ics")) if str(c["UID"]) == f"{RICH}@dyad")
    assert component.decoded("GEO") == (40.41, 49.87)
    assert component.decoded("SEQUENCE") == 0
    assert [str(name) for name in component.categories] == ["accuse", "diplomacy", "summit"]


def test_each_export_writes_the_stored_documents_read_in_one_statement(client, session, engine):
    _make_rich_event(session)
    everything = _every_event(session)  # built from every table
    documents = [public.dumps(event).decode() for event in everything]
    context = formats.ExportContext(events_url="http://testserver/v1/events")
    # CSV reads each event's id, title, summary, the cells stored with it, and its times.
    rows = [
        (
            event["id"],
            event["title"],
            event["summary"],
            csv_cells.csv_tail(document),
            f"{event['created_at'].isoformat()},{event['updated_at'].isoformat()}",
        )
        for event, document in zip(everything, documents, strict=True)
    ]
    for export_format, chosen in formats.EXPORTS.items():
        with counting(engine) as statements:
            body = export(client, export_format)
        written = chosen.write([rows] if chosen.columns else documents, context)
        assert body == b"".join(written), export_format
        assert len(statements) == 1, export_format  # a batch's documents, joining no table
    # Every cell of every line as the documents give it.
    lines = [csv_cells.csv_line(csv_cells.csv_row(document)) for document in documents]
    header = csv_cells.csv_line(list(csv_cells.CSV_COLUMNS))
    assert export(client, "csv").decode() == header + "".join(lines)


def _csv_cells(event: public.EventDict) -> dict[str, str]:
    """What the CSV should say of an event, worked out from its public form (the JSON's)."""

    def text(value: str | None) -> str:
        return csv_cells.neutralise(value) if value else ""

    def joined(values: Any) -> str:
        return ";".join(dict.fromkeys(values))  # once each, first seen first

    def cell(value: Any) -> str:
        return "" if value is None else str(value)

    location = event["location"] or {}
    actors = event["actors"]
    sources = [citation["source"] for citation in event["citations"]]
    cells = {name: cell(event.get(name)) for name in csv_cells.CSV_COLUMNS}
    return cells | {
        "title": text(event["title"]),
        "summary": text(event["summary"]),
        "countries": joined(event["countries"]),
        "tags": text(joined(event["tags"])),
        "actors": joined(actor["id"] for actor in actors),
        "actor_names": text(joined(actor["name"] for actor in actors)),
        "location_name": text(location.get("name")),
        "location_country": cell(location.get("country")),
        "location_lat": cell(location.get("lat")),
        "location_lon": cell(location.get("lon")),
        "source_urls": joined(source["url"] for source in sources),
        "source_publishers": text(joined(s["publisher"] for s in sources if s["publisher"])),
        "created_at": event["created_at"].isoformat(),
        "updated_at": event["updated_at"].isoformat(),
    }


def test_the_csv_is_read_in_one_statement_a_batch_and_says_what_the_json_says(
    client, session, engine
):
    _make_rich_event(session)
    # Lists with repeats: an actor in two roles, two sources of one publisher; and text that
    # a spreadsheet would run.
    actor = make_actor(session, name="=cmd")
    one, other = (make_source(session, publisher="-Reuters") for _ in range(2))
    make_event(
        session,
        id="repeats",
        tags=["@tag", "b"],
        actors=[{"id": actor, "role": "initiator"}, {"id": actor, "role": "target"}],
        citations=[
            {"source_id": one, "stance": "supports"},
            {"source_id": other, "stance": "supports"},
        ],
    )
    with counting(engine) as statements:
        rows = csv_rows(export(client, "csv"))
    assert len(statements) == 1
    everything = _every_event(session)
    assert rows == [_csv_cells(event) for event in everything]
    repeats = next(row for row in rows if row["id"] == "repeats")
    assert (repeats["actors"], repeats["actor_names"]) == (actor, "'=cmd")
    assert (repeats["tags"], repeats["source_publishers"]) == ("'@tag;b", "'-Reuters")
