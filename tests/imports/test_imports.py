"""POST /v1/imports: JSON, NDJSON and CSV in one transaction, all or nothing."""

from typing import Any

import orjson
import pytest
from sqlmodel import Session, func, select

from app.changes.models import Revision
from app.events.models import Event
from app.keys.models import Scope
from app.keys.service import create_key
from tests.factories import make_event, make_source

RECORDS: list[dict[str, Any]] = [
    {
        "title": "Imported consultation",
        "date": "2014-01",
        "countries": ["AZE", "ARM"],
        "type": "consult",
        "external_ids": {"acled": "A1"},
    },
    {
        "title": "Imported accusation",
        "date": "2014-02-03",
        "countries": ["az", "ir"],
        "type": "accuse",
        "links": [{"event_id": "2014-01-imported-consultation", "relation": "follows"}],
    },
]


def counts(session: Session) -> tuple[int, int]:
    events = session.exec(select(func.count()).select_from(Event)).one()
    revisions = session.exec(select(func.count()).select_from(Revision)).one()
    return events, revisions


def test_json_import_creates_events_in_link_order(client, auth):
    # The linking record comes first in the file; its target is written before it.
    response = client.post("/v1/imports", json=list(reversed(RECORDS)), headers=auth)
    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "dry_run": False,
    }
    target = client.get("/v1/events/2014-01-imported-consultation").json()
    assert target["linked_from"] == [
        {"event_id": "2014-02-03-imported-accusation", "relation": "follows"}
    ]
    assert client.get("/v1/events/2014-02-03-imported-accusation").json()["countries"] == [
        "AZE",
        "IRN",
    ]


def test_repeated_import_is_unchanged_and_writes_no_revision(client, session, auth):
    assert client.post("/v1/imports", json=RECORDS, headers=auth).status_code == 200
    before = counts(session)
    again = client.post("/v1/imports", json=RECORDS, headers=auth).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert counts(session) == before


def test_record_matched_by_external_id_updates_instead_of_duplicating(client, session, auth):
    client.post("/v1/imports", json=RECORDS[:1], headers=auth)
    renamed = [RECORDS[0] | {"title": "A different title", "date": "2014-01-15"}]
    result = client.post("/v1/imports", json=renamed, headers=auth).json()
    assert (result["created"], result["updated"]) == (0, 1)
    event = client.get("/v1/events/2014-01-imported-consultation").json()
    assert (event["title"], event["date"], event["version"]) == (
        "A different title",
        "2014-01-15",
        2,
    )
    assert session.exec(select(func.count()).select_from(Event)).one() == 1


def test_one_bad_line_among_many_writes_nothing_and_lists_every_bad_line(client, session, auth):
    many = [
        {"title": f"Good {n}", "date": "2010", "countries": ["AZE"], "type": "aid"}
        for n in range(20)
    ]
    bad = [
        *many[:10],
        {"title": "Bad date", "date": "2013-02-30", "countries": ["AZE"], "type": "aid"},
        *many[10:],
        {"title": "Bad country", "date": "2013", "countries": ["ZZ"], "type": "aid"},
        "not an object",
    ]
    before = counts(session)
    response = client.post("/v1/imports", json=bad, headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [error["line"] for error in errors] == [11, 22, 23]
    assert "2013-02-30" in errors[0]["problem"]
    assert "ZZ" in errors[1]["problem"]
    assert counts(session) == before


def test_dry_run_counts_but_writes_nothing(client, session, auth):
    before = counts(session)
    result = client.post("/v1/imports?dry_run=true", json=RECORDS, headers=auth).json()
    assert (result["created"], result["dry_run"]) == (2, True)
    assert counts(session) == before
    assert client.get("/v1/events/2014-01-imported-consultation").status_code == 404


def test_create_mode_refuses_events_that_exist(client, session, auth):
    make_event(session, id="2014-01-imported-consultation", title="Imported consultation")
    response = client.post("/v1/imports?mode=create", json=RECORDS, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["line"] == 1
    assert "exists already" in response.json()["errors"][0]["problem"]


def test_ndjson_import_reports_the_line_of_broken_json(client, session, auth):
    body = "\n".join(orjson.dumps(record).decode() for record in RECORDS) + "\n\n{broken\n"
    response = client.post(
        "/v1/imports", content=body, headers=auth | {"Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 422
    assert [error["line"] for error in response.json()["errors"]] == [4]
    assert response.json()["detail"] == "1 of the records is invalid: nothing was imported."
    good = "\n".join(orjson.dumps(record).decode() for record in RECORDS)
    response = client.post(
        "/v1/imports", content=good, headers=auth | {"Content-Type": "application/x-ndjson"}
    )
    assert response.json()["created"] == 2


def test_csv_import_reads_lists_roles_sources_and_external_ids(client, session, auth):
    make_source(session, url="https://news.example.org/csv-source", title="CSV source")
    session.flush()
    body = (
        "id,title,date,countries,type,tone,tags,actors,source_urls,external_id:gdelt\n"
        "csv-event,Əliyev meets Pezeshkian,2024-04,AZE;IRN,consult,3,Summit; talks,,"
        "https://news.example.org/csv-source,G-77\n"
    )
    response = client.post(
        "/v1/imports", content=body.encode(), headers=auth | {"Content-Type": "text/csv"}
    )
    assert response.json()["created"] == 1
    event = client.get("/v1/events/csv-event").json()
    assert event["title"] == "Əliyev meets Pezeshkian"
    assert event["countries"] == ["AZE", "IRN"]
    assert event["tags"] == ["summit", "talks"]
    assert event["tone"] == 3.0
    assert event["external_ids"] == {"gdelt": "G-77"}
    assert event["citations"][0]["source"]["url"] == "https://news.example.org/csv-source"


def test_csv_naming_an_unknown_source_url_is_a_bad_line(client, auth):
    body = (
        "title,date,countries,type,source_urls\n"
        "Somewhere,2020,AZE,aid,https://unknown.example.org/x\n"
    )
    response = client.post("/v1/imports", content=body, headers=auth | {"Content-Type": "text/csv"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["line"] == 2
    assert "unknown source URL" in response.json()["errors"][0]["problem"]


def test_import_needs_a_write_key_and_a_known_content_type(client, session, auth):
    assert client.post("/v1/imports", json=RECORDS).status_code == 401
    _record, reader = create_key(session, "reader", Scope.read)
    denied = client.post("/v1/imports", json=RECORDS, headers={"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403
    response = client.post(
        "/v1/imports", content="x", headers=auth | {"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_a_json_body_that_is_not_an_array_is_refused(client, auth):
    response = client.post("/v1/imports", json={"title": "x"}, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"line": 1, "id": None, "problem": "a JSON import is an array of events"}
    ]


@pytest.mark.parametrize("body", ["379443", "", "name,when\nx,2013\n", "\ufeffid,title\nx,y\n"])
def test_a_csv_without_the_event_columns_is_refused_whole(client, session, auth, body):
    before = counts(session)
    response = client.post(
        "/v1/imports", content=body.encode(), headers=auth | {"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["line"] == 1
    assert "lacks the column(s)" in error["problem"]
    assert counts(session) == before


def test_a_source_given_whole_can_be_named_by_id_in_any_other_record(client, session, auth):
    # The record giving the source links to a later one, so the link order writes the
    # record that names the source by id first.
    source = {"url": "https://news.example.org/whole", "title": "Whole", "id": "whole-source"}
    records = [
        {
            "id": "gives-source",
            "title": "Gives the source",
            "date": "2014-03",
            "countries": ["AZE", "IRN"],
            "type": "consult",
            "citations": [{"source": source}],
            "links": [{"event_id": "names-source", "relation": "follows"}],
        },
        {
            "id": "names-source",
            "title": "Names the source",
            "date": "2014-02",
            "countries": ["AZE", "IRN"],
            "type": "consult",
            "citations": [{"source_id": "whole-source", "stance": "disputes"}],
        },
    ]
    response = client.post("/v1/imports", json=records, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    cited = client.get("/v1/sources/whole-source").json()
    assert sorted(event["id"] for event in cited["events"]) == ["gives-source", "names-source"]


def test_sources_an_import_creates_are_found_by_q_folded(client, auth):
    record = RECORDS[0] | {
        "citations": [{"source": {"url": "https://azertag.az/x", "title": "Şuşa Şəhəri"}}]
    }
    response = client.post("/v1/imports", json=[record], headers=auth)
    assert response.status_code == 200, response.text

    found = client.get("/v1/sources", params={"q": "susa sahari"}).json()["items"]
    assert [source["url"] for source in found] == ["https://azertag.az/x"]
