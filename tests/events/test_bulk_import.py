"""The set-based import path (app.events.bulk): the same rows and revisions as one-by-one writes."""

import io
from typing import Any

import orjson
import pytest
from sqlalchemy import Connection, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from app.changes.models import Revision, revision_written
from app.events.models import Event, EventCreate
from app.events.public import publish
from app.events.search import fold
from app.events.writes import create_event
from app.imports import service as imports
from app.imports.models import InputFormat, Mode
from app.imports.service import InvalidRecords, import_records
from app.sources.models import Source
from tests.events.test_dyad_index import assert_index_is_right
from tests.events.test_vocabulary_counts import assert_counts_are_right
from tests.factories import make_actor, make_event, make_source


def rich_record(n: int, actor: str, source_id: str, **fields: Any) -> dict[str, Any]:
    """An event using every kind of field: actors, citations given by id and whole, links."""
    return {
        "id": f"bulk-{n:04d}",
        "title": f"Bulk event {n}",
        "summary": f"Summary {n} with Əliyev",
        "date": "2013-03-30" if n % 2 else "2013-04~",
        "end_date": "2013-05" if n % 3 == 0 else None,
        "countries": ["IRN", "az", "TR"],
        "type": "accuse",
        "tone": -4 if n % 2 else 2.5,
        "tags": ["Summit", "diplomacy", "summit"],
        "location": {"name": "Baku", "country": "AZ", "lat": 40.4, "lon": 49.9},
        "actors": [{"id": actor, "role": "initiator"}],
        "citations": [
            {"source_id": source_id, "stance": "supports", "quote": f"quote {n}"},
            {
                "source": {
                    "url": f"https://wire.example.org/{n % 3}",
                    "title": f"Wire {n % 3}",
                    "publisher": "Example Wire",
                    "published": "2013-03",
                },
                "stance": "disputes",
                "locator": "para. 2",
            },
        ],
        "external_ids": {"acled": f"X{n}"},
    } | fields


def stored_revision(session: Session, event_id: str) -> dict[str, Any]:
    """The event's one revision, with what it wrote (the newest's data is its document)."""
    written = revision_written.c
    revision = (
        session.connection()
        .execute(sa_select(revision_written).where(written.event_id == event_id))
        .one()
    )
    assert (revision.version, revision.action, revision.key_name) == (1, "create", "bulk")
    data: dict[str, Any] = revision.data
    return data


def test_revisions_hold_exactly_the_public_event_as_a_single_create_writes_it(session, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 4)  # several batches, links across them
    actor, source_id = make_actor(session), make_source(session)
    records = [rich_record(n, actor, source_id) for n in range(10)]
    records[2]["links"] = [{"event_id": "bulk-0009", "relation": "follows"}]
    records[7]["links"] = [
        {"event_id": "bulk-0001", "relation": "responds_to"},
        {"event_id": "bulk-0000", "relation": "denies"},
    ]
    records[5]["location"] = {"lon": 10.0}  # only a longitude: no place, as the API shows it
    report = import_records(session, enumerate(records, start=1), key_name="bulk")
    assert (report.created, report.errors) == (10, [])
    events = session.exec(select(Event).where(col(Event.id).startswith("bulk-"))).all()
    assert len(events) == 10
    for event in events:
        expected = publish(session, [event])[0].model_dump(mode="json", exclude={"linked_from"})
        assert stored_revision(session, event.id) == expected
    # And the same as the one-by-one path writes for the same record.
    single = create_event(
        session, EventCreate.model_validate(rich_record(99, actor, source_id)), key_name="bulk"
    )
    one_by_one = stored_revision(session, single.id)
    imported = stored_revision(session, "bulk-0009")
    for moment in ("created_at", "updated_at"):
        one_by_one.pop(moment), imported.pop(moment)
    renamed = {"id": "bulk-0009", "title": "Bulk event 9", "summary": "Summary 9 with Əliyev"}
    one_by_one |= renamed | {"external_ids": {"acled": "X9"}}
    one_by_one["citations"][0]["quote"] = "quote 9"
    one_by_one["citations"][1]["source"] = imported["citations"][1]["source"]
    assert imported == one_by_one


def test_a_source_given_whole_in_a_later_batch_may_be_named_by_id_earlier(session, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    records = [
        {
            "id": f"names-{n}",
            "title": f"Names {n}",
            "date": "2014",
            "countries": ["AZE", "IRN"],
            "type": "consult",
            "citations": [{"source_id": "late-source"}],
        }
        for n in range(3)
    ]
    records.append(
        {
            "id": "gives",
            "title": "Gives",
            "date": "2014",
            "countries": ["AZE", "IRN"],
            "type": "consult",
            "citations": [
                {"source": {"id": "late-source", "url": "https://late.example/a", "title": "Late"}}
            ],
        }
    )
    report = import_records(session, enumerate(records, start=1))
    assert (report.created, report.errors) == (4, [])
    assert session.get(Source, "late-source") is not None


def test_every_kind_of_bad_reference_is_listed_with_its_line_and_nothing_is_kept(session):
    taken = make_event(session, external_ids={"acled": "TAKEN"}).id
    make_source(session, id="held-id", url="https://held.example/1")
    before = session.exec(select(func.count()).select_from(Event)).one()
    base = {"date": "2014", "countries": ["AZE", "IRN"], "type": "consult"}
    records = [
        base | {"id": "fine", "title": "Fine"},
        base | {"id": "a", "title": "A", "actors": [{"id": "nobody"}]},
        base | {"id": "b", "title": "B", "citations": [{"source_id": "missing"}]},
        base | {"id": "c", "title": "C", "links": [{"event_id": "c", "relation": "follows"}]},
        base | {"id": "d", "title": "D", "links": [{"event_id": "gone", "relation": "follows"}]},
        base | {"id": "e", "title": "E", "external_ids": {"acled": "TAKEN"}},
        base
        | {
            "id": "f",
            "title": "F",
            "citations": [
                {"source": {"id": "held-id", "url": "https://other.example/2", "title": "Other"}}
            ],
        },
    ]
    with pytest.raises(InvalidRecords) as refused:
        import_records(session, enumerate(records, start=1), mode=Mode.create)
    problems = {error["line"]: error["problem"] for error in refused.value.extra["errors"]}
    assert problems == {
        2: "unknown actor 'nobody'.",
        3: "unknown source 'missing'.",
        4: "an event cannot link to itself.",
        5: "link to unknown event 'gone'.",
        6: f"event {taken!r} exists already (mode=create)",  # matched by its external id
        7: "source id 'held-id' belongs to another URL.",
    }
    session.rollback()  # what the route and the command do on InvalidRecords
    assert session.exec(select(func.count()).select_from(Event)).one() <= before


def test_a_record_repeated_in_one_file_updates_the_event_its_first_line_created(session):
    base = {"id": "twice", "date": "2014", "countries": ["AZE", "IRN"], "type": "consult"}
    records = [base | {"title": "First"}, base | {"title": "Second"}]
    report = import_records(session, enumerate(records, start=1))
    assert (report.created, report.updated) == (1, 1)
    assert session.get(Event, "twice").title == "Second"
    versions = session.exec(
        select(Revision.version).where(Revision.event_id == "twice").order_by(col(Revision.id))
    ).all()
    assert versions == [1, 2]


def test_updates_go_in_rounds_as_the_file_is_read_each_waiting_for_what_it_names(
    session, monkeypatch
):
    """Memory stays flat over a file of updates: they are written BATCH_SIZE at a time, not
    held to the end; one that names an event further down waits, and so do the later
    updates of its event, which keep the file's order."""
    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    calls: list[str] = []
    for name in ("create_events", "replace_events"):
        real = getattr(imports, name)

        def spy(session: Session, batch: Any, *args: Any, _real: Any = real, **kw: Any) -> Any:
            calls.append(" ".join(new.id for new in batch))
            return _real(session, batch, *args, **kw)

        monkeypatch.setattr(imports, name, spy)
    stored = [make_event(session, id=f"stored-{n}").id for n in range(4)]
    base = {"date": "2014-05", "countries": ["AZE", "IRN"], "type": "consult"}
    records = [
        base | {"id": stored[0], "title": "Stored 0, changed"},
        base
        | {
            "id": stored[1],
            "title": "Stored 1, first",
            "links": [{"event_id": "late", "relation": "follows"}],
        },
        base | {"id": stored[2], "title": "Stored 2, changed"},
        base
        | {
            "id": "early",
            "title": "Early",
            "links": [{"event_id": stored[3], "relation": "responds_to"}],
        },
        base | {"id": stored[1], "title": "Stored 1, last"},
        base | {"id": "early", "title": "Early, changed"},  # and its link gone
        base | {"id": "late", "title": "Late"},
        base | {"id": stored[3], "title": "Stored 3, changed"},
    ]
    report = import_records(session, enumerate(records, start=1))
    assert (report.created, report.updated, report.errors) == (2, 6, [])
    # Stored 0 and 2 were written before the file's last new event was.
    assert calls.index(stored[0]) < calls.index(stored[2]) < calls.index("late")
    titles = dict(session.exec(select(Event.id, Event.title)).all())
    assert titles[stored[1]] == "Stored 1, last"  # after its first update, not before
    assert titles["early"] == "Early, changed"
    assert [e.title for e in publish(session, [session.get(Event, stored[1])])] == [
        "Stored 1, last"
    ]
    links = {e.id: e.links for e in publish(session, [session.get(Event, "early")])}
    assert links == {"early": []}  # the update came after the record's own links
    assert_counts_are_right(session)
    assert_index_is_right(session.connection())


def test_ndjson_is_read_line_by_line_with_its_line_numbers():
    stream = io.BytesIO(b'\xef\xbb\xbf{"a": 1}\n\n{"b": 2}\n{broken\n')
    read = list(imports.read_records(stream, InputFormat.ndjson))
    assert [line for line, _ in read] == [1, 3, 4]
    assert read[0][1] == {"a": 1} and read[1][1] == {"b": 2}
    assert isinstance(read[2][1], ValueError)


def test_text_that_is_not_utf8_stops_the_read_at_its_line():
    stream = io.BytesIO(orjson.dumps({"a": 1}) + b"\n" + b'{"b": "\xff"}\n')
    read = list(imports.read_records(stream, InputFormat.ndjson))
    assert read[0] == (1, {"a": 1})
    assert read[1][0] == 2 and "not UTF-8" in str(read[1][1])


# --- the indexes that triggers keep (full text, event_dyad, dyad_month) ----------------------


def trigger_names(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        rows = connection.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
        )
    return {row[0] for row in rows}


def search(client: Any, q: str) -> list[str]:
    response = client.get("/v1/events", params={"q": q, "limit": 500})
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["items"])


def test_an_import_indexes_its_events_as_the_triggers_do(client, session, monkeypatch):
    """Imports fill the indexes batch by batch in place of the insert triggers."""
    monkeypatch.setattr(imports, "BATCH_SIZE", 4)  # several batches
    connection = session.connection()
    triggers = trigger_names(connection)
    # Counted by the triggers first: the import adds to its month and type.
    make_event(session, id="before", date="2013-03-02", countries=["IR", "AZ"], type="accuse")
    actor, source_id = make_actor(session), make_source(session)
    records = [rich_record(n, actor, source_id) for n in range(10)]
    records[3]["citations"][0]["quote"] = "Talks in Bak\u0131"  # dotless i, folded
    records[4] |= {"date": "2013", "end_date": None, "tone": None}
    report = import_records(session, enumerate(records, start=1), key_name="bulk")
    assert (report.created, report.errors) == (10, [])

    assert_index_is_right(connection)
    imported = [f"bulk-{n:04d}" for n in range(10)]
    assert search(client, "bulk") == imported  # titles
    assert search(client, "aliyev") == imported  # summaries, Ə folded
    assert search(client, "baki") == ["bulk-0003"]  # quotes
    if connection.dialect.name == "sqlite":
        documents = connection.exec_driver_sql(
            "SELECT k.event_id, s.title, s.summary, s.quotes FROM event_search AS s"
            " JOIN event_search_key AS k ON k.id = s.rowid WHERE k.event_id LIKE 'bulk-%'"
        )
        assert sorted(tuple(row) for row in documents) == [
            (
                event_id,
                record["title"],
                fold(record["summary"]),
                fold(record["citations"][0]["quote"]),  # the second has no quote
            )
            for event_id, record in zip(imported, records, strict=True)
        ]

    # The triggers are back: the writes after the import keep the indexes right.
    assert trigger_names(connection) == triggers
    session.execute(update(Event).where(col(Event.id) == "bulk-0001").values(type="reject"))
    make_event(session, id="after", title="Afterwards", date="2013-03-05", type="reject")
    assert_index_is_right(connection)
    assert search(client, "afterwards") == ["after"]


def test_an_import_of_stored_events_keeps_the_indexes_right(client, session, monkeypatch):
    """Updates go in set by set, the search triggers set aside, then their events re-indexed."""
    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    connection = session.connection()
    triggers = trigger_names(connection)
    actor, source_id = make_actor(session), make_source(session)
    records = [rich_record(n, actor, source_id) for n in range(10)]
    import_records(session, enumerate(records, start=1), key_name="bulk")
    records[0]["title"] = "Renamed meeting"
    records[1]["countries"] = ["GEO", "ARM"]
    records[2]["citations"][0]["quote"] = "Talks in Bak\u0131"
    records[3]["citations"].append({"source_id": source_id, "quote": "another newspaper"})
    records[4]["type"] = "consult"
    records[5]["tags"] = ["ceasefire"]
    report = import_records(session, enumerate(records, start=1), key_name="bulk")
    assert (report.created, report.updated, report.unchanged) == (0, 6, 4)

    assert_index_is_right(connection)
    assert search(client, "renamed") == ["bulk-0000"]
    assert search(client, "bulk") == [f"bulk-{n:04d}" for n in range(1, 10)]
    assert search(client, "baki") == ["bulk-0002"]
    assert search(client, "newspaper") == ["bulk-0003"]
    assert search(client, "quote") == [f"bulk-{n:04d}" for n in range(10) if n != 2]
    assert_counts_are_right(session)
    assert trigger_names(connection) == triggers


@pytest.mark.parametrize("outcome", ["refused", "dry-run"])
def test_an_import_that_keeps_nothing_leaves_the_triggers_in_place(session, outcome):
    connection = session.connection()
    triggers = trigger_names(connection)
    base: dict[str, Any] = {"date": "2014", "countries": ["AZE", "IRN"], "type": "consult"}
    records = [base | {"id": "fine", "title": "Fine"}]
    if outcome == "refused":
        records.append(base | {"id": "bad", "title": "Bad", "actors": [{"id": "nobody"}]})
        with pytest.raises(InvalidRecords):
            import_records(session, enumerate(records, start=1))
    else:
        import_records(session, enumerate(records, start=1))
    # Before the rollback that the route and the command then do, and after it.
    assert trigger_names(connection) == triggers
    session.rollback()
    assert trigger_names(session.connection()) == triggers


def test_an_import_refuses_a_database_without_the_triggers_it_sets_aside(session):
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TRIGGER dyad_month_insert")
    else:
        connection.exec_driver_sql("DROP TRIGGER dyad_month ON event_dyad")
    record = {"title": "T", "date": "2014", "countries": ["AZE", "IRN"], "type": "consult"}
    with pytest.raises(RuntimeError, match="dyad_month"):
        import_records(session, [(1, record)])
    assert session.exec(select(func.count()).select_from(Event)).one() == 0
