"""GET /v1/events: filters, the documented order, cursors and validation."""

import base64
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core.db import utcnow
from app.events.models import Event
from tests.factories import make_event
from tests.support import walk_pages

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
NEO_URL = "https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/"
LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# --- countries and dyads ---------------------------------------------------------------


def test_country_filter_accepts_alpha2_in_lower_case(client, session):
    make_event(session, id="aze-irn", countries=["AZE", "IRN"])
    make_event(session, id="arm-tur", countries=["ARM", "TUR"])
    assert ids(client.get("/v1/events", params={"country": "az"})) == ["aze-irn"]
    assert ids(client.get("/v1/events", params={"country": "AZE"})) == ["aze-irn"]
    assert ids(client.get("/v1/events", params={"country": "tur"})) == ["arm-tur"]


def test_repeated_country_means_any_of_them(client, session):
    make_event(session, id="e1-aze-irn", date="2013-01-01", countries=["AZE", "IRN"])
    make_event(session, id="e2-arm-tur", date="2013-01-02", countries=["ARM", "TUR"])
    make_event(session, id="e3-geo-rus", date="2013-01-03", countries=["GEO", "RUS"])
    response = client.get("/v1/events", params=[("country", "az"), ("country", "TR")])
    assert ids(response) == ["e1-aze-irn", "e2-arm-tur"]


def test_dyad_is_order_and_case_insensitive(client, session):
    make_event(session, id="e1-aze-irn", date="2013-01-01", countries=["AZE", "IRN"])
    make_event(session, id="e2-aze-arm", date="2013-01-02", countries=["AZE", "ARM"])
    make_event(session, id="e3-aze-irn-isr", date="2013-01-03", countries=["AZE", "IRN", "ISR"])
    make_event(session, id="e4-irn-tur", date="2013-01-04", countries=["IRN", "TUR"])
    expected = ["e1-aze-irn", "e3-aze-irn-isr"]
    for dyad in ["IRN-AZE", "AZE-IRN", "az-ir", "Ir-aZe"]:
        assert ids(client.get("/v1/events", params={"dyad": dyad})) == expected, dyad


def test_event_between_other_countries_is_not_in_the_dyad(client, session):
    make_event(session, id="aze-arm", countries=["AZE", "ARM"])
    assert ids(client.get("/v1/events", params={"dyad": "AZE-IRN"})) == []
    assert ids(client.get("/v1/events", params={"dyad": "AZE-ARM"})) == ["aze-arm"]


def test_three_country_event_is_in_each_of_its_dyads(client, session):
    make_event(session, id="trio", countries=["AZE", "IRN", "ISR"])
    for dyad in ["AZE-IRN", "IRN-ISR", "ISR-AZE"]:
        assert ids(client.get("/v1/events", params={"dyad": dyad})) == ["trio"], dyad


def test_country_and_dyad_combine_with_and(client, session):
    make_event(session, id="e1-aze-irn", date="2013-01-01", countries=["AZE", "IRN"])
    make_event(session, id="e2-aze-irn-isr", date="2013-01-02", countries=["AZE", "IRN", "ISR"])
    response = client.get("/v1/events", params={"dyad": "AZE-IRN", "country": "IL"})
    assert ids(response) == ["e2-aze-irn-isr"]


# --- dates: overlap semantics ----------------------------------------------------------


def test_month_event_matches_from_in_the_middle_of_that_month(client, session):
    make_event(session, id="march", date="2013-03")
    assert ids(client.get("/v1/events", params={"from": "2013-03-15"})) == ["march"]
    assert ids(client.get("/v1/events", params={"from": "2013-04-01"})) == []


def test_year_event_matches_from_its_last_day(client, session):
    make_event(session, id="year-2012", date="2012")
    assert ids(client.get("/v1/events", params={"from": "2012-12-31"})) == ["year-2012"]
    assert ids(client.get("/v1/events", params={"from": "2013"})) == []


def test_to_is_inclusive_of_its_whole_period(client, session):
    make_event(session, id="e1-march-31", date="2013-03-31")
    make_event(session, id="e2-april-1", date="2013-04-01")
    assert ids(client.get("/v1/events", params={"to": "2013-03"})) == ["e1-march-31"]
    assert ids(client.get("/v1/events", params={"to": "2013-04-01"})) == [
        "e1-march-31",
        "e2-april-1",
    ]


def test_event_whose_end_date_reaches_into_the_range_matches(client, session):
    make_event(session, id="long", date="2012-11", end_date="2013-02")
    make_event(session, id="short", date="2012-11")
    params = {"from": "2013-01", "to": "2013-12"}
    assert ids(client.get("/v1/events", params=params)) == ["long"]
    assert ids(client.get("/v1/events", params={"from": "2013-02-28"})) == ["long"]
    assert ids(client.get("/v1/events", params={"from": "2013-03-01"})) == []


def test_event_spanning_the_whole_range_matches(client, session):
    make_event(session, id="decade", date="2010", end_date="2019")
    assert ids(client.get("/v1/events", params={"from": "2013-03", "to": "2013-03"})) == ["decade"]


def test_from_and_to_take_qualified_edtf(client, session):
    make_event(session, id="e1-2012", date="2012-06")
    make_event(session, id="e2-2013", date="2013-06")
    make_event(session, id="e3-2014", date="2014-06")
    assert ids(client.get("/v1/events", params={"from": "2013?"})) == ["e2-2013", "e3-2014"]
    assert ids(client.get("/v1/events", params={"to": "2013~"})) == ["e1-2012", "e2-2013"]
    response = client.get("/v1/events", params={"from": "2013%", "to": "2013-06?"})
    assert ids(response) == ["e2-2013"]


# --- type --------------------------------------------------------------------------------


def test_repeated_type_means_any_of_them(client, session):
    make_event(session, id="e1-reject", date="2013-01-01", type="reject")
    make_event(session, id="e2-accuse", date="2013-01-02", type="accuse")
    make_event(session, id="e3-consult", date="2013-01-03", type="consult")
    assert ids(client.get("/v1/events", params={"type": "reject"})) == ["e1-reject"]
    response = client.get("/v1/events", params=[("type", "reject"), ("type", "accuse")])
    assert ids(response) == ["e1-reject", "e2-accuse"]


def test_filters_combine_with_and(client, session):
    make_event(session, id="e1", date="2013-01", type="reject", countries=["AZE", "IRN"])
    make_event(session, id="e2", date="2013-01", type="accuse", countries=["AZE", "IRN"])
    make_event(session, id="e3", date="2014-01", type="reject", countries=["AZE", "IRN"])
    make_event(session, id="e4", date="2013-01", type="reject", countries=["ARM", "TUR"])
    params = {"type": "reject", "country": "IR", "from": "2013", "to": "2013"}
    assert ids(client.get("/v1/events", params=params)) == ["e1"]


# --- order -------------------------------------------------------------------------------


def _make_order_fixture(session: Session) -> list[str]:
    """Events in shuffled creation order; returns their ids in the documented order."""
    make_event(session, id="a0-year", date="2013")
    make_event(session, id="z-later", date="2013-01-02")
    make_event(session, id="b-day", date="2013-01-01")
    make_event(session, id="a1-month", date="2013-01")
    make_event(session, id="z-earlier", date="2012-12-31")
    make_event(session, id="a-day", date="2013-01-01")
    # date_lower first, then finer precision first, then id (not id before precision).
    return ["z-earlier", "a-day", "b-day", "a1-month", "a0-year", "z-later"]


def test_events_sort_by_date_lower_then_finer_precision_then_id(client, session):
    expected = _make_order_fixture(session)
    assert ids(client.get("/v1/events")) == expected
    assert ids(client.get("/v1/events", params={"sort": "date"})) == expected


def test_descending_date_sort_is_the_exact_reverse(client, session):
    expected = _make_order_fixture(session)
    assert ids(client.get("/v1/events", params={"sort": "-date"})) == expected[::-1]


def test_list_items_expose_date_bounds_and_precision(client, session):
    make_event(session, id="span", date="2012-08~", end_date="2013?")
    (item,) = client.get("/v1/events").json()["items"]
    assert (item["date"], item["end_date"]) == ("2012-08~", "2013?")
    assert (item["date_lower"], item["date_upper"], item["date_precision"]) == (
        "2012-08-01",
        "2013-12-31",
        "month",
    )


# --- pagination --------------------------------------------------------------------------


def _make_seven(session: Session) -> list[str]:
    """Seven events whose order needs every part of the sort key; returns that order."""
    make_event(session, id="x-year", date="2013")
    make_event(session, id="xa", date="2013-01-01")
    make_event(session, id="x-b", date="2013-01-01")  # '-' sorts before 'a' byte-wise
    make_event(session, id="x-month", date="2013-01")
    make_event(session, id="w-first", date="2012-05-05")
    make_event(session, id="y-last", date="2014")
    make_event(session, id="y-mid", date="2013-06-15")
    return ["w-first", "x-b", "xa", "x-month", "x-year", "y-mid", "y-last"]


def test_cursor_pages_walk_every_event_exactly_once_in_order(client, session):
    expected = _make_seven(session)
    pages = list(walk_pages(client, "/v1/events", {"limit": 2}))
    assert [[item["id"] for item in page["items"]] for page in pages] == [
        expected[0:2],
        expected[2:4],
        expected[4:6],
        expected[6:7],
    ]
    assert [page["next_cursor"] is None for page in pages] == [False, False, False, True]


def test_descending_cursor_pages_walk_the_exact_reverse(client, session):
    expected = _make_seven(session)
    walked = [
        item["id"]
        for page in walk_pages(client, "/v1/events", {"limit": 3, "sort": "-date"})
        for item in page["items"]
    ]
    assert walked == expected[::-1]


def test_filtered_pages_keep_the_filter(client, session):
    make_event(session, id="e1", date="2013-01-01", type="reject")
    make_event(session, id="e2", date="2013-01-02", type="consult")
    make_event(session, id="e3", date="2013-01-03", type="reject")
    make_event(session, id="e4", date="2013-01-04", type="reject")
    pages = list(walk_pages(client, "/v1/events", {"limit": 1, "type": "reject"}))
    assert [[item["id"] for item in page["items"]] for page in pages] == [["e1"], ["e3"], ["e4"]]


def test_link_header_points_at_the_next_page(client, session):
    expected = _make_seven(session)
    first = client.get("/v1/events", params={"limit": 2, "type": "consult"})
    assert first.status_code == 200
    cursor = first.json()["next_cursor"]
    match = LINK.match(first.headers["link"])
    assert match is not None, first.headers["link"]
    url = match["url"]
    assert f"cursor={cursor}" in url
    assert "limit=2" in url
    assert "type=consult" in url

    followed = client.get(url)
    by_cursor = client.get("/v1/events", params={"limit": 2, "type": "consult", "cursor": cursor})
    assert ids(followed) == ids(by_cursor) == expected[2:4]
    assert followed.json()["next_cursor"] == by_cursor.json()["next_cursor"]


def test_last_page_has_no_next_cursor_and_no_link_header(client, session):
    make_event(session, id="e1", date="2013-01-01")
    make_event(session, id="e2", date="2013-01-02")
    first = client.get("/v1/events", params={"limit": 1})
    assert "link" in first.headers
    last = client.get("/v1/events", params={"limit": 1, "cursor": first.json()["next_cursor"]})
    assert ids(last) == ["e2"]
    assert last.json()["next_cursor"] is None
    assert "link" not in last.headers


def test_single_full_page_has_no_next_cursor(client, session):
    make_event(session, id="e1", date="2013-01-01")
    make_event(session, id="e2", date="2013-01-02")
    response = client.get("/v1/events", params={"limit": 2})
    assert ids(response) == ["e1", "e2"]
    assert response.json()["next_cursor"] is None
    assert "link" not in response.headers


def test_empty_list_is_one_page_without_cursor(client):
    response = client.get("/v1/events")
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
    assert "link" not in response.headers


def test_cursor_survives_inserts_before_and_after_the_position(client, session):
    expected = _make_seven(session)
    first = client.get("/v1/events", params={"limit": 2})
    assert ids(first) == expected[:2]
    cursor = first.json()["next_cursor"]

    # One sorts after the position (in the middle of what is left), one before it.
    make_event(session, id="y-inserted-after", date="2013-06-15")
    make_event(session, id="a-inserted-before", date="2012-01-01")

    rest = [
        item["id"]
        for page in walk_pages(client, "/v1/events", {"limit": 2, "cursor": cursor})
        for item in page["items"]
    ]
    assert rest == ["xa", "x-month", "x-year", "y-inserted-after", "y-mid", "y-last"]
    assert rest.count("y-inserted-after") == 1
    assert "a-inserted-before" not in rest


def test_cursor_made_for_one_sort_is_refused_for_another(client, session):
    _make_seven(session)
    cursor = client.get("/v1/events", params={"limit": 2}).json()["next_cursor"]
    response = client.get("/v1/events", params={"limit": 2, "sort": "-date", "cursor": cursor})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("abc", id="not-base64-json"),
        pytest.param("!!!", id="not-base64"),
        pytest.param(b64([1, 2]), id="short-list"),
        pytest.param(b64(["date", "not-a-date", "day", "x"]), id="bad-date"),
        pytest.param(b64(["date", "2013-01-01", "day"]), id="missing-id"),
        pytest.param(b64(["-date", "2013-01-01", "day", "x"]), id="other-sort"),
        pytest.param(b64({"date": "2013-01-01"}), id="object"),
        pytest.param(b64(["date", "2013-01-01", "day", None]), id="null-id"),
        # Not keys this API makes; a NUL cannot even be sent to PostgreSQL (500 there).
        pytest.param(b64(["date", "2013-01-01", "day", "x\u0000"]), id="nul-in-id"),
        pytest.param(b64(["date", "2013-01-01", "week", "x"]), id="unknown-precision"),
    ],
)
def test_garbage_cursor_is_a_400_problem(client, session, cursor):
    make_event(session, id="e1")
    response = client.get("/v1/events", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert "cursor" in body["detail"].lower()


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"colour": "red"}, "colour"),
        ({"country": "XX"}, "country"),
        ({"dyad": "AZE"}, "dyad"),
        ({"dyad": "AZE-AZE"}, "dyad"),
        ({"dyad": "az-aze"}, "dyad"),
        ({"dyad": "AZE-XX"}, "dyad"),
        ({"from": "2013-02-30"}, "from"),
        ({"to": "2013-13"}, "to"),
        ({"type": "war"}, "type"),
        ({"sort": "title"}, "sort"),
    ],
)
def test_invalid_query_parameter_is_a_422_naming_it(client, params, name):
    response = client.get("/v1/events", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [error["loc"][:2] for error in errors] == [["query", name]]
    assert all(error["msg"] for error in errors)


def test_limit_bounds_are_accepted(client, session):
    make_event(session, id="e1")
    assert ids(client.get("/v1/events", params={"limit": 1})) == ["e1"]
    assert ids(client.get("/v1/events", params={"limit": 500})) == ["e1"]


def test_every_invalid_parameter_is_named_at_once(client):
    response = client.get("/v1/events", params={"limit": "0", "colour": "red", "type": "war"})
    assert response.status_code == 422
    names = {error["loc"][1] for error in response.json()["errors"]}
    assert names == {"limit", "colour", "type"}


# --- soft deletes ------------------------------------------------------------------------


def test_soft_deleted_events_never_appear(client, session):
    make_event(session, id="e1-kept", date="2013-01-01", type="reject")
    deleted = make_event(session, id="e2-deleted", date="2013-01-02", type="reject")
    make_event(session, id="e3-kept", date="2013-01-03", type="reject")
    deleted.deleted_at = utcnow()
    session.add(deleted)
    session.flush()

    assert ids(client.get("/v1/events")) == ["e1-kept", "e3-kept"]
    assert ids(client.get("/v1/events", params={"type": "reject", "dyad": "AZE-IRN"})) == [
        "e1-kept",
        "e3-kept",
    ]
    assert ids(client.get("/v1/events", params={"sort": "-date"})) == ["e3-kept", "e1-kept"]
    walked = [
        item["id"]
        for page in walk_pages(client, "/v1/events", {"limit": 1})
        for item in page["items"]
    ]
    assert walked == ["e1-kept", "e3-kept"]
    assert session.get(Event, "e2-deleted") is not None  # hidden, not removed


# --- the seeded article ------------------------------------------------------------------


def _seed_order_key(event: dict[str, Any]) -> tuple[date, int, str]:
    """The documented order, computed here from the seed file without the app's code."""
    parts = event["date"].rstrip("?~%").split("-")
    lower = date(
        int(parts[0]),
        int(parts[1]) if len(parts) > 1 else 1,
        int(parts[2]) if len(parts) > 2 else 1,
    )
    finer_first = {3: 0, 2: 1, 1: 2}[len(parts)]
    return lower, finer_first, event["id"]


def test_seeded_dyad_timeline_lists_the_articles_events_in_date_order(client, seeded):
    seed = json.loads((SEED_DIR / "events.json").read_text(encoding="utf-8"))
    both = [event for event in seed if {"AZE", "IRN"} <= set(event["countries"])]
    expected = [event["id"] for event in sorted(both, key=_seed_order_key)]

    response = client.get("/v1/events", params={"dyad": "IRN-AZE", "from": "2012", "to": "2013"})
    assert ids(response) == expected
    assert expected[0] == "2012-08-aliyev-declines-nam-summit"
    assert "2013-us-led-sanctions-on-iran" not in expected
    for item in response.json()["items"]:
        assert {"AZE", "IRN"} <= set(item["countries"])
        sources = [citation["source"] for citation in item["citations"]]
        assert any(
            source["url"] == NEO_URL and source["publisher"] == "New Eastern Outlook"
            for source in sources
        ), item["id"]


def test_seeded_dyad_outside_the_years_is_empty(client, seeded):
    assert ids(client.get("/v1/events", params={"dyad": "AZE-IRN", "to": "2011"})) == []
    assert ids(client.get("/v1/events", params={"dyad": "AZE-IRN", "from": "2014"})) == []


def test_lists_send_a_public_cache_control(client, session):
    make_event(session, id="e1")
    response = client.get("/v1/events")
    cache_control = response.headers["cache-control"]
    assert "public" in cache_control
    match = re.search(r"max-age=(\d+)", cache_control)
    assert match is not None and int(match[1]) > 0
    assert "no-store" not in cache_control
