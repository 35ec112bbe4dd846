"""Writing events over HTTP: POST, PUT, PATCH (JSON Merge Patch), DELETE and restore."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, col, func, select

from app.changes.models import Revision
from app.events.models import Event
from app.events.writes import delete_event
from app.sources.models import Source
from tests.factories import make_actor, make_event, make_source
from tests.support import assert_problem

MERGE_PATCH = "application/merge-patch+json"


def body(**fields: Any) -> dict[str, Any]:
    """A valid event to create; `fields` replace or add to it."""
    return {
        "title": "Some Title",
        "date": "2013-05-01",
        "countries": ["AZE", "IRN"],
        "type": "consult",
    } | fields


def read_back(session: Session) -> None:
    """Make the next request and query read from the database, not this session's objects."""
    session.flush()
    session.expire_all()


def get(client: TestClient, event_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/events/{event_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def listed_ids(client: TestClient) -> list[str]:
    response = client.get("/v1/events", params={"limit": 500})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def revision_count(session: Session, event_id: str) -> int:
    session.expire_all()
    return session.exec(
        select(func.count()).select_from(Revision).where(Revision.event_id == event_id)
    ).one()


def patch(
    client: TestClient,
    event_id: str,
    changes: dict[str, Any],
    headers: dict[str, str],
    *,
    if_match: str | None = '"1"',
    content_type: str = MERGE_PATCH,
) -> Response:
    sent = headers | {"Content-Type": content_type}
    if if_match is not None:
        sent["If-Match"] = if_match
    return client.patch(f"/v1/events/{event_id}", content=json.dumps(changes), headers=sent)


def without(event: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in event.items() if name not in names}


# --- POST --------------------------------------------------------------------------


def test_create_answers_201_with_location_etag_and_the_event_a_later_get_returns(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.post("/v1/events", json=body(), headers=auth)

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == "http://testserver/v1/events/2013-05-01-some-title"
    created = response.json()
    assert created["id"] == "2013-05-01-some-title"
    assert created["version"] == 1
    later = client.get(response.headers["Location"])
    assert later.status_code == 200
    assert later.json() == created


def test_create_makes_the_id_from_date_and_title_when_none_is_given(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.post(
        "/v1/events",
        json=body(title="Baku hosts a conference on “Southern Azerbaijan”!", date="2013-03?"),
        headers=auth,
    )

    assert response.status_code == 201, response.text
    assert response.json()["id"] == "2013-03-baku-hosts-a-conference-on-southern-azerbaijan"


def test_create_keeps_the_id_given(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/v1/events", json=body(id="my-own-id"), headers=auth)

    assert response.status_code == 201, response.text
    assert response.json()["id"] == "my-own-id"
    assert response.headers["Location"] == "http://testserver/v1/events/my-own-id"
    assert get(client, "my-own-id")["title"] == "Some Title"


def test_create_with_an_id_that_exists_is_a_409_problem_and_changes_nothing(
    client: TestClient, session: Session, auth: dict[str, str]
) -> None:
    make_event(session, id="taken", title="The first one")
    read_back(session)

    response = client.post("/v1/events", json=body(id="taken", title="Another"), headers=auth)

    problem = assert_problem(response, 409)
    assert "taken" in problem["detail"]
    assert get(client, "taken")["title"] == "The first one"
    assert revision_count(session, "taken") == 1


def test_create_normalises_countries_to_upper_case_alpha3(
    client: TestClient, auth: dict[str, str]
) -> None:
    response = client.post(
        "/v1/events",
        json=body(countries=["az", "irn", "Ru"], location={"name": "Baku", "country": "az"}),
        headers=auth,
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["countries"] == ["AZE", "IRN", "RUS"]
    assert created["location"] == {"name": "Baku", "country": "AZE", "lat": None, "lon": None}


def test_citing_a_new_source_by_object_creates_it_once_matched_on_its_normalised_url(
    client: TestClient, session: Session, auth: dict[str, str]
) -> None:
    first = client.post(
        "/v1/events",
        json=body(
            id="first-citing",
            citations=[{"source": {"url": "https://Example.org/a#x", "title": "A story"}}],
        ),
        headers=auth,
    )
    second = client.post(
        "/v1/events",
        json=body(
            id="second-citing",
            citations=[
                {"source": {"url": "https://example.org/a", "title": "Another title"}},
            ],
        ),
        headers=auth,
    )

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    source = first.json()["citations"][0]["source"]
    assert source["url"] == "https://example.org/a"
    assert source["title"] == "A story"
    assert second.json()["citations"][0]["source"] == source
    session.expire_all()
    stored = session.exec(select(Source).where(col(Source.url).like("%example.org/a%"))).all()
    assert [row.id for row in stored] == [source["id"]]
    cited_by = client.get(f"/v1/sources/{source['id']}").json()
    assert [event["id"] for event in cited_by["events"]] == ["first-citing", "second-citing"]


def test_creating_an_event_sets_status_from_its_citations(
    client: TestClient, session: Session, auth: dict[str, str]
) -> None:
    supporting, disputing = make_source(session), make_source(session)
    read_back(session)
    cases = {
        "no-citations": ([], "unsourced"),
        "only-support": ([{"source_id": supporting}], "reported"),
        "some-dispute": (
            [{"source_id": supporting}, {"source_id": disputing, "stance": "disputes"}],
            "disputed",
        ),
    }

    for event_id, (citations, status) in cases.items():
        response = client.post(
            "/v1/events", json=body(id=event_id, citations=citations), headers=auth
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == status


@pytest.fixture
def deleted_event_id(session: Session) -> str:
    event = make_event(session, id="gone-already")
    delete_event(session, event.id, if_match=1)
    read_back(session)
    return event.id


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        (
            {"citations": [{"source_id": "no-such-source"}]},
            "unknown source 'no-such-source'",
        ),
        ({"actors": [{"id": "no-such-actor"}]}, "unknown actor 'no-such-actor'"),
        (
            {"links": [{"event_id": "no-such-event", "relation": "responds_to"}]},
            "link to unknown event 'no-such-event'",
        ),
        (
            {"links": [{"event_id": "gone-already", "relation": "responds_to"}]},
            "link to unknown event 'gone-already'",
        ),
        (
            {"links": [{"event_id": "new-event", "relation": "follows"}]},
            "an event cannot link to itself",
        ),
    ],
    ids=["unknown-source", "unknown-actor", "unknown-link", "deleted-link", "self-link"],
)
def test_create_with_a_bad_reference_is_a_422_naming_it_and_writes_nothing(
    client: TestClient,
    session: Session,
    auth: dict[str, str],
    deleted_event_id: str,
    fields: dict[str, Any],
    named: str,
) -> None:
    before = listed_ids(client)
    # A new source given whole must not be created either when the event is refused.
    citations = [
        *fields.get("citations", []),
        {"source": {"url": "https://refused.example.org/story", "title": "Refused"}},
    ]

    response = client.post(
        "/v1/events", json=body(id="new-event", **(fields | {"citations": citations})), headers=auth
    )

    problem = assert_problem(response, 422)
    assert named in problem["detail"]
    assert listed_ids(client) == before
    session.expire_all()
    assert session.get(Event, "new-event") is None
    assert revision_count(session, "new-event") == 0
    refused = select(Source).where(Source.url == "https://refused.example.org/story")
    assert session.exec(refused).first() is None


def test_create_names_every_bad_reference_at_once(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/v1/events",
        json=body(
            actors=[{"id": "ghost-actor"}],
            citations=[{"source_id": "ghost-source"}],
            links=[{"event_id": "ghost-event", "relation": "denies"}],
        ),
        headers=auth,
    )

    problem = assert_problem(response, 422)
    assert "unknown actor 'ghost-actor'" in problem["detail"]
    assert "unknown source 'ghost-source'" in problem["detail"]
    assert "link to unknown event 'ghost-event'" in problem["detail"]


def test_create_with_known_actor_source_and_link_stores_them(
    client: TestClient, session: Session, auth: dict[str, str]
) -> None:
    actor = make_actor(session, name="Ilham Aliyev", country="AZE")
    source = make_source(session)
    target = make_event(session, id="the-claim")
    read_back(session)

    response = client.post(
        "/v1/events",
        json=body(
            id="the-denial",
            actors=[{"id": actor, "role": "initiator"}],
            citations=[{"source_id": source, "quote": "We deny it.", "locator": "para. 2"}],
            links=[{"event_id": target.id, "relation": "denies"}],
        ),
        headers=auth,
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["actors"] == [
        {
            "id": actor,
            "name": "Ilham Aliyev",
            "kind": "person",
            "country": "AZE",
            "role": "initiator",
        }
    ]
    assert [(c["source"]["id"], c["quote"], c["locator"]) for c in created["citations"]] == [
        (source, "We deny it.", "para. 2")
    ]
    assert created["links"] == [{"event_id": "the-claim", "relation": "denies"}]
    assert get(client, "the-claim")["linked_from"] == [
        {"event_id": "the-denial", "relation": "denies"}
    ]


def test_create_with_an_external_id_held_by_another_event_is_a_409(
    client: TestClient, session: Session, auth: dict[str, str]
) -> None:
    make_event(session, id="holder", external_ids={"acled": "AZE123"})
    read_back(session)
    before = listed_ids(client)

    response = client.post(
        "/v1/events", json=body(id="usurper", external_ids={"acled": "AZE123"}), headers=auth
    )

    problem = assert_problem(response, 409)
    assert "holder" in problem["detail"]
    assert listed_ids(client) == before
    assert get(client, "holder")["external_ids"] == {"acled": "AZE123"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("version", 7),
        ("date_lower", "2013-05-01"),
        ("status", "reported"),
        ("created_at", "2020-01-01T00:00:00Z"),
    ],
)
def test_create_refuses_fields_that_are_not_writable_with_422(
    client: TestClient, auth: dict[str, str], name: str, value: Any
) -> None:
    before = listed_ids(client)

    response = client.post("/v1/events", json=body(**{name: value}), headers=auth)

    problem = assert_problem(response, 422)
    assert ["body", name] in [error["loc"] for error in problem["errors"]]
    assert listed_ids(client) == before


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"date": "2013-02-30"}, ["body", "date"]),
        ({"date": "2013-13"}, ["body", "date"]),
        ({"date": "last spring"}, ["body", "date"]),
        ({"countries": ["AZE", "XX"]}, ["body", "countries", 1]),
        ({"countries": ["Azerbaijan"]}, ["body", "countries", 0]),
        ({"countries": []}, ["body", "countries"]),
        ({"type": "hug"}, ["body", "type"]),
        ({"type": "REJECT"}, ["body", "type"]),
    ],
)
def test_create_with_a_bad_date_country_or_type_is_a_422(
    client: TestClient, auth: dict[str, str], fields: dict[str, Any], loc: list[Any]
) -> None:
    before = listed_ids(client)

    response = client.post("/v1/events", json=body(**fields), headers=auth)

    problem = assert_problem(response, 422)
    assert [error["loc"] for error in problem["errors"]] == [loc]
    assert listed_ids(client) == before


# --- PUT ---------------------------------------------------------------------------


@pytest.fixture
def full_event(session: Session) -> str:
    """An event with every optional field filled, at version 1."""
    actor = make_actor(session)
    target = make_event(session, id="earlier-event")
    make_event(
        session,
        id="full-event",
        title="Full event",
        summary="A summary.",
        date="2013-04",
        end_date="2013-05",
        countries=["AZE", "IRN"],
        type="protest",
        tone=-4.5,
        tags=["summit", "media"],
        location={"name": "Tehran", "country": "IRN", "lat": 35.69, "lon": 51.39},
        actors=[{"id": actor, "role": "initiator"}],
        links=[{"event_id": target.id, "relation": "responds_to"}],
        external_ids={"acled": "IRN1", "gdelt": "G1"},
    )
    read_back(session)
    return "full-event"


def test_put_replaces_every_writable_field_and_resets_those_left_out(
    client: TestClient, session: Session, auth: dict[str, str], full_event: str
) -> None:
    response = client.put(
        f"/v1/events/{full_event}",
        json={"title": "Replaced", "date": "2014", "countries": ["tr"], "type": "agree"},
        headers=auth | {"If-Match": '"1"'},
    )

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    replaced = response.json()
    assert without(replaced, "created_at", "updated_at") == {
        "id": "full-event",
        "title": "Replaced",
        "summary": None,
        "date": "2014",
        "end_date": None,
        "date_lower": "2014-01-01",
        "date_upper": "2014-12-31",
        "date_precision": "year",
        "countries": ["TUR"],
        "type": "agree",
        "tone": None,
        "tags": [],
        "location": None,
        "actors": [],
        "citations": [],
        "status": "unsourced",
        "links": [],
        "linked_from": [],
        "external_ids": {},
        "version": 2,
    }
    assert get(client, full_event) == replaced
    assert get(client, "earlier-event")["linked_from"] == []
    assert revision_count(session, full_event) == 2


def test_put_of_exactly_what_is_stored_is_200_with_no_new_version_or_revision(
    client: TestClient, session: Session, auth: dict[str, str], full_event: str
) -> None:
    stored = get(client, full_event)
    same = {
        "id": stored["id"],
        "title": stored["title"],
        "summary": stored["summary"],
        "date": stored["date"],
        "end_date": stored["end_date"],
        "countries": stored["countries"],
        "type": stored["type"],
        "tone": stored["tone"],
        "tags": stored["tags"],
        "location": stored["location"],
        "actors": [{"id": actor["id"], "role": actor["role"]} for actor in stored["actors"]],
        "citations": [
            {
                "source_id": citation["source"]["id"],
                "stance": citation["stance"],
                "quote": citation["quote"],
                "locator": citation["locator"],
            }
            for citation in stored["citations"]
        ],
        "links": stored["links"],
        "external_ids": stored["external_ids"],
    }

    response = client.put(f"/v1/events/{full_event}", json=same, headers=auth | {"If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    assert response.json() == stored
    assert get(client, full_event) == stored
    assert revision_count(session, full_event) == 1


def test_put_with_an_id_in_the_body_other_than_the_path_is_a_422(
    client: TestClient, session: Session, auth: dict[str, str], full_event: str
) -> None:
    before = get(client, full_event)

    response = client.put(
        f"/v1/events/{full_event}",
        json=body(id="another-id"),
        headers=auth | {"If-Match": '"1"'},
    )

    problem = assert_problem(response, 422)
    assert "full-event" in problem["detail"]
    assert get(client, full_event) == before
    session.expire_all()
    assert session.get(Event, "another-id") is None


def test_put_of_an_unknown_event_is_a_404(client: TestClient, auth: dict[str, str]) -> None:
    response = client.put("/v1/events/no-such-event", json=body(), headers=auth | {"If-Match": "*"})

    assert_problem(response, 404)


# --- PATCH -------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [MERGE_PATCH, "application/json"])
def test_patch_changes_only_the_fields_sent(
    client: TestClient, auth: dict[str, str], full_event: str, content_type: str
) -> None:
    before = get(client, full_event)

    response = patch(
        client, full_event, {"title": "Patched title"}, auth, content_type=content_type
    )

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    patched = response.json()
    assert patched["title"] == "Patched title"
    assert patched["version"] == 2
    assert without(patched, "title", "version", "updated_at") == without(
        before, "title", "version", "updated_at"
    )
    assert get(client, full_event) == patched


def test_patch_null_clears_a_field(
    client: TestClient, auth: dict[str, str], full_event: str
) -> None:
    before = get(client, full_event)

    response = patch(client, full_event, {"summary": None, "tone": None}, auth)

    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["summary"] is None
    assert patched["tone"] is None
    assert without(patched, "summary", "tone", "version", "updated_at") == without(
        before, "summary", "tone", "version", "updated_at"
    )


def test_patch_null_inside_an_object_removes_that_key(
    client: TestClient, auth: dict[str, str], full_event: str
) -> None:
    response = patch(
        client,
        full_event,
        {"external_ids": {"gdelt": None, "ucdp": "U7"}, "location": {"lat": None, "lon": None}},
        auth,
    )

    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["external_ids"] == {"acled": "IRN1", "ucdp": "U7"}
    assert patched["location"] == {"name": "Tehran", "country": "IRN", "lat": None, "lon": None}


def test_patch_replaces_arrays_whole(
    client: TestClient, auth: dict[str, str], full_event: str
) -> None:
    response = patch(client, full_event, {"tags": ["protest"], "countries": ["irn"]}, auth)

    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["protest"]
    assert response.json()["countries"] == ["IRN"]


@pytest.mark.parametrize(
    "changes",
    [{"version": 9}, {"status": "disputed"}, {"date_lower": "2000-01-01"}, {"date": "2013-02-30"}],
)
def test_patch_of_a_field_that_is_not_writable_or_invalid_is_a_422_and_changes_nothing(
    client: TestClient,
    session: Session,
    auth: dict[str, str],
    full_event: str,
    changes: dict[str, Any],
) -> None:
    before = get(client, full_event)

    response = patch(client, full_event, changes, auth)

    problem = assert_problem(response, 422)
    assert [error["loc"] for error in problem["errors"]] == [["body", next(iter(changes))]]
    assert get(client, full_event) == before
    assert revision_count(session, full_event) == 1


def test_patch_re_derives_status_when_citations_change(
    client: TestClient, session: Session, auth: dict[str, str]
) -> None:
    supporting, disputing = make_source(session), make_source(session)
    make_event(session, id="contested", citations=[{"source_id": supporting}])
    read_back(session)
    assert get(client, "contested")["status"] == "reported"

    disputed = patch(
        client,
        "contested",
        {
            "citations": [
                {"source_id": supporting},
                {"source_id": disputing, "stance": "disputes", "quote": "Not true."},
            ]
        },
        auth,
    )
    unsourced = patch(client, "contested", {"citations": []}, auth, if_match='"2"')

    assert disputed.status_code == 200, disputed.text
    assert disputed.json()["status"] == "disputed"
    assert unsourced.status_code == 200, unsourced.text
    assert unsourced.json()["status"] == "unsourced"
    assert get(client, "contested")["status"] == "unsourced"


def test_patch_of_an_unknown_event_is_a_404(client: TestClient, auth: dict[str, str]) -> None:
    assert_problem(patch(client, "no-such-event", {"title": "x"}, auth), 404)


# --- If-Match ----------------------------------------------------------------------


def _send(client: TestClient, method: str, event_id: str, headers: dict[str, str]) -> Response:
    if method == "PUT":
        return client.put(f"/v1/events/{event_id}", json=body(title="Sent"), headers=headers)
    if method == "PATCH":
        return client.patch(
            f"/v1/events/{event_id}",
            content=json.dumps({"title": "Sent"}),
            headers=headers | {"Content-Type": MERGE_PATCH},
        )
    return client.delete(f"/v1/events/{event_id}", headers=headers)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_change_without_if_match_is_a_428_problem_and_changes_nothing(
    client: TestClient, session: Session, auth: dict[str, str], full_event: str, method: str
) -> None:
    before = get(client, full_event)

    response = _send(client, method, full_event, auth)

    problem = assert_problem(response, 428)
    assert "If-Match" in problem["detail"]
    assert get(client, full_event) == before
    assert revision_count(session, full_event) == 1


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_change_with_a_stale_if_match_is_a_412_with_the_current_version(
    client: TestClient, session: Session, auth: dict[str, str], full_event: str, method: str
) -> None:
    first = patch(client, full_event, {"title": "Someone else's change"}, auth)
    assert first.status_code == 200, first.text
    before = get(client, full_event)

    response = _send(client, method, full_event, auth | {"If-Match": '"1"'})

    problem = assert_problem(response, 412)
    assert problem["current_version"] == 2
    assert get(client, full_event) == before
    assert before["title"] == "Someone else's change"
    assert revision_count(session, full_event) == 2


@pytest.mark.parametrize("if_match", ["abc", "3", 'W/"1"', '"1", "2"', '""'])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_malformed_if_match_is_a_400(
    client: TestClient,
    auth: dict[str, str],
    full_event: str,
    method: str,
    if_match: str,
) -> None:
    before = get(client, full_event)

    response = _send(client, method, full_event, auth | {"If-Match": if_match})

    assert_problem(response, 400)
    assert get(client, full_event) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_if_match_star_accepts_any_current_version(
    client: TestClient, auth: dict[str, str], full_event: str, method: str
) -> None:
    response = _send(client, method, full_event, auth | {"If-Match": "*"})

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert get(client, full_event)["title"] == "Sent"


def test_a_delete_with_if_match_star_is_accepted(
    client: TestClient, auth: dict[str, str], full_event: str
) -> None:
    response = client.delete(f"/v1/events/{full_event}", headers=auth | {"If-Match": "*"})

    assert response.status_code == 204, response.text
    assert client.get(f"/v1/events/{full_event}").status_code == 404


# --- DELETE and restore ------------------------------------------------------------


def test_delete_is_204_with_etag_and_hides_the_event_from_reads(
    client: TestClient, session: Session, auth: dict[str, str], full_event: str
) -> None:
    assert "full-event" in listed_ids(client)

    response = client.delete(f"/v1/events/{full_event}", headers=auth | {"If-Match": '"1"'})

    assert response.status_code == 204, response.text
    assert response.headers["ETag"] == '"2"'
    assert response.content == b""
    assert_problem(client.get(f"/v1/events/{full_event}"), 404)
    assert "full-event" not in listed_ids(client)
    assert listed_ids(client) == ["earlier-event"]


def test_deleting_an_event_removes_its_links_from_other_events_linked_from(
    client: TestClient, auth: dict[str, str], full_event: str
) -> None:
    assert get(client, "earlier-event")["linked_from"] == [
        {"event_id": "full-event", "relation": "responds_to"}
    ]

    response = client.delete(f"/v1/events/{full_event}", headers=auth | {"If-Match": '"1"'})

    assert response.status_code == 204, response.text
    assert get(client, "earlier-event")["linked_from"] == []


def test_delete_of_a_deleted_event_is_a_404(
    client: TestClient, auth: dict[str, str], full_event: str
) -> None:
    first = client.delete(f"/v1/events/{full_event}", headers=auth | {"If-Match": '"1"'})
    assert first.status_code == 204, first.text

    again = client.delete(f"/v1/events/{full_event}", headers=auth | {"If-Match": '"2"'})

    assert_problem(again, 404)


def test_delete_of_an_unknown_event_is_a_404(client: TestClient, auth: dict[str, str]) -> None:
    response = client.delete("/v1/events/no-such-event", headers=auth | {"If-Match": "*"})

    assert_problem(response, 404)


def test_restore_brings_a_deleted_event_back_with_a_new_version(
    client: TestClient, session: Session, auth: dict[str, str], full_event: str
) -> None:
    before = get(client, full_event)
    deleted = client.delete(f"/v1/events/{full_event}", headers=auth | {"If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text

    response = client.post(f"/v1/events/{full_event}/restore", headers=auth)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"3"'
    restored = response.json()
    assert restored["version"] == 3
    assert without(restored, "version", "updated_at") == without(before, "version", "updated_at")
    assert get(client, full_event) == restored
    assert "full-event" in listed_ids(client)
    assert get(client, "earlier-event")["linked_from"] == [
        {"event_id": "full-event", "relation": "responds_to"}
    ]
    assert revision_count(session, full_event) == 3


def test_restore_of_an_event_that_is_not_deleted_is_200_and_changes_nothing(
    client: TestClient, session: Session, auth: dict[str, str], full_event: str
) -> None:
    before = get(client, full_event)

    response = client.post(f"/v1/events/{full_event}/restore", headers=auth)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    assert response.json() == before
    assert get(client, full_event) == before
    assert revision_count(session, full_event) == 1


def test_restore_of_an_unknown_event_is_a_404(client: TestClient, auth: dict[str, str]) -> None:
    assert_problem(client.post("/v1/events/no-such-event/restore", headers=auth), 404)
