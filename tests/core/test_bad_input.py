"""The bad-input catalogue: each kind of bad request gets a precise 4xx problem and changes
nothing, and awkward but valid text goes in and comes out exactly."""

from typing import Any

import pytest
from sqlmodel import Session, func, select

from app.changes.models import Revision
from app.events.models import Event
from tests.support import assert_problem

SEEDED_CLAIM = "2013-03-perry-israel-airbases-claim"
GOOD: dict[str, Any] = {
    "title": "Baku and Tehran sign a transit accord",
    "date": "2014-02-03",
    "countries": ["AZE", "IRN"],
    "type": "agree",
}


def state(session: Session) -> tuple[int, int]:
    events = session.exec(select(func.count()).select_from(Event)).one()
    revisions = session.exec(select(func.count()).select_from(Revision)).one()
    return events, revisions


def refused_write(client: Any, session: Session, status: int, **request: Any) -> dict[str, Any]:
    """POST /v1/events as given: the problem it answers, having written nothing."""
    before = state(session)
    body = assert_problem(client.post("/v1/events", **request), status)
    assert state(session) == before
    return body


def named(body: dict[str, Any]) -> list[str]:
    return [".".join(map(str, error["loc"])) for error in body.get("errors") or []]


def test_february_30th_is_not_a_date(client, session, auth):
    body = refused_write(client, session, 422, json=GOOD | {"date": "2013-02-30"}, headers=auth)
    assert named(body) == ["body.date"]
    assert "2013-02-30" in body["errors"][0]["msg"]


def test_month_13_is_not_a_date(client, session, auth):
    body = refused_write(client, session, 422, json=GOOD | {"date": "2013-13"}, headers=auth)
    assert named(body) == ["body.date"]
    filtered = assert_problem(client.get("/v1/events", params={"from": "2013-13"}), 422)
    assert named(filtered) == ["query.from"]


def test_an_unknown_country_is_refused_and_a_lower_case_one_is_normalised(client, session, auth):
    body = refused_write(
        client, session, 422, json=GOOD | {"countries": ["AZE", "XX"]}, headers=auth
    )
    assert named(body) == ["body.countries.1"]
    assert "XX" in body["errors"][0]["msg"]
    assert named(assert_problem(client.get("/v1/events", params={"country": "ZZZ"}), 422)) == [
        "query.country.0"
    ]
    created = client.post("/v1/events", json=GOOD | {"countries": ["az", "ir"]}, headers=auth)
    assert created.status_code == 201
    assert created.json()["countries"] == ["AZE", "IRN"]


def test_a_5_mb_title_is_refused_by_name(client, session, auth):
    body = refused_write(client, session, 422, json=GOOD | {"title": "x" * 5_000_000}, headers=auth)
    assert named(body) == ["body.title"]


def test_malformed_json_is_a_400(client, session, auth):
    body = refused_write(
        client,
        session,
        400,
        content=b'{"title": "unfinished',
        headers=auth | {"Content-Type": "application/json"},
    )
    assert body["detail"] == "The request body is not valid JSON."


@pytest.mark.parametrize("payload", [[GOOD], "an event", 42, None])
def test_a_json_body_of_the_wrong_type_is_a_422(client, session, auth, payload):
    body = refused_write(client, session, 422, json=payload, headers=auth)
    assert named(body) == ["body"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "text/csv"])
def test_a_body_that_is_not_json_is_a_415(client, session, auth, content_type):
    body = refused_write(
        client,
        session,
        415,
        content=b'{"title": "x"}',
        headers=auth | {"Content-Type": content_type},
    )
    assert body["detail"] == f"Send the body as application/json, not {content_type}."


def test_merge_patch_json_is_json(client, seeded, auth):
    response = client.patch(
        f"/v1/events/{SEEDED_CLAIM}",
        content=b'{"tone": 1}',
        headers=auth | {"If-Match": "*", "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["tone"] == 1


def test_nul_characters_are_refused_in_bodies_and_queries(client, session, auth):
    body = refused_write(
        client, session, 400, json=GOOD | {"title": "before\x00after"}, headers=auth
    )
    assert "NUL" in body["detail"]
    # In a query, the parameter's own check answers, naming it.
    assert named(assert_problem(client.get("/v1/events", params={"q": "a\x00b"}), 422)) == [
        "query.q"
    ]
    assert named(assert_problem(client.get("/v1/events?tag=%00"), 422)) == ["query.tag.0"]
    csv = b"title,date,type,countries\nx\x00y,2014,agree,AZE;IRN\n"
    before = state(session)
    imported = client.post("/v1/imports", content=csv, headers=auth | {"Content-Type": "text/csv"})
    assert assert_problem(imported, 400)
    assert state(session) == before


def test_an_escaped_backslash_before_u0000_is_plain_text(client, auth):
    created = client.post("/v1/events", json=GOOD | {"title": "C:\\u0000 path"}, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "C:\\u0000 path"


@pytest.mark.parametrize(
    "text",
    [
        "Əliyev İlham: Şuşa, Gəncə, Xankəndi",
        "سازمان صدا و سیما جمهوری اسلامی ایران",  # Persian, right to left
        "Mix: Ərdəbil / اردبیل / Ardabil — «quotes» “and” \u2018more\u2019",
        "e\u0301 (a decomposed é) and é (composed)",
    ],
)
def test_azerbaijani_and_persian_text_round_trips_exactly(client, auth, text):
    created = client.post(
        "/v1/events",
        json=GOOD | {"title": text, "summary": text, "tags": ["Ərdəbil"]},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    stored = client.get(created.headers["Location"]).json()
    assert stored["title"] == text
    assert stored["summary"] == text
    assert stored["tags"] == ["ərdəbil"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("q", "' OR 1=1; DROP TABLE event; --"),
        ("actor", "x' OR '1'='1"),
        ("tag", "summit'); DELETE FROM event; --"),
        ("publisher", '" OR ""="'),
        ("source", "1 UNION SELECT * FROM api_key"),
    ],
)
def test_sql_looking_filter_values_are_just_values(client, seeded, session, name, value):
    before = state(session)
    response = client.get("/v1/events", params={name: value})
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert state(session) == before
    assert client.get("/v1/events", params={"limit": 500}).json()["items"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("country", "AZE' OR 1=1 --"), ("dyad", "AZE-IRN'; --"), ("type", "accuse' OR 'x")],
)
def test_sql_looking_values_of_checked_filters_are_a_422_naming_them(client, name, value):
    body = assert_problem(client.get("/v1/events", params={name: value}), 422)
    assert named(body)[0].startswith(f"query.{name}")


@pytest.mark.parametrize("limit", ["1000000000", "-1", "0", "501", "1e3", "many"])
def test_an_absurd_limit_is_a_422_naming_limit(client, limit):
    body = assert_problem(client.get("/v1/events", params={"limit": limit}), 422)
    assert named(body) == ["query.limit"]


@pytest.mark.parametrize(
    "cursor", ["garbage", "eyJub3QiOiJhIGN1cnNvciJ9", "WyJjaGFuZ2VzIiwzXQ", "%%%", "A" * 500]
)
def test_a_garbage_cursor_is_a_400(client, seeded, cursor):
    body = assert_problem(client.get("/v1/events", params={"cursor": cursor}), 400)
    assert "cursor" in body["detail"]


@pytest.mark.parametrize("if_match", ["garbage", '"abc"', '"-1"', "W/", '"1", "2"', ""])
def test_if_match_garbage_is_a_400_and_changes_nothing(client, seeded, session, auth, if_match):
    before = state(session)
    response = client.patch(
        f"/v1/events/{SEEDED_CLAIM}",
        json={"tone": 9},
        headers=auth | {"If-Match": if_match, "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code in (400, 428), response.text
    assert_problem(response, response.status_code)
    assert state(session) == before
    assert client.get(f"/v1/events/{SEEDED_CLAIM}").json()["tone"] != 9
