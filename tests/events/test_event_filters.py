"""GET /v1/events: the filters on actors, tags, sources, publishers, status, tone and
update time, the `-updated` order, and the `include_total`, `fields` and `facets` options."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.core.db import utcnow
from app.events.models import Event
from tests.factories import make_actor, make_event, make_source
from tests.support import walk_pages, walked_ids

Params = dict[str, Any] | list[tuple[str, Any]]


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def listed(client: TestClient, params: Params) -> list[str]:
    return ids(client.get("/v1/events", params=params))


def assert_422_naming(response: Any, name: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [error["loc"][:2] for error in errors] == [["query", name]]
    assert all(error["msg"] for error in errors)


def cite(*sources: str, stance: str = "supports") -> list[dict[str, Any]]:
    return [{"source_id": source, "stance": stance} for source in sources]


def set_updated_at(session: Session, moments: dict[str, datetime]) -> None:
    for event_id, moment in moments.items():
        event = session.get(Event, event_id)
        assert event is not None
        event.updated_at = moment
        session.add(event)
    session.flush()


# --- actor ---------------------------------------------------------------------------------


def test_actor_filter_lists_the_events_of_that_actor(client, session):
    aliyev = make_actor(session, id="ilham-aliyev", name="Ilham Aliyev")
    khamenei = make_actor(session, id="ali-khamenei", name="Ali Khamenei")
    make_event(session, id="e1", date="2013-01-01", actors=[{"id": aliyev, "role": "initiator"}])
    make_event(
        session,
        id="e2",
        date="2013-01-02",
        actors=[{"id": khamenei, "role": "initiator"}, {"id": aliyev, "role": "target"}],
    )
    make_event(session, id="e3", date="2013-01-03", actors=[{"id": khamenei}])
    make_event(session, id="e4", date="2013-01-04")
    assert listed(client, {"actor": "ilham-aliyev"}) == ["e1", "e2"]
    assert listed(client, {"actor": "ali-khamenei"}) == ["e2", "e3"]


def test_repeated_actor_means_any_of_them(client, session):
    first = make_actor(session, id="first-actor")
    second = make_actor(session, id="second-actor")
    third = make_actor(session, id="third-actor")
    make_event(session, id="e1", date="2013-01-01", actors=[{"id": first}])
    make_event(session, id="e2", date="2013-01-02", actors=[{"id": second}, {"id": first}])
    make_event(session, id="e3", date="2013-01-03", actors=[{"id": third}])
    make_event(session, id="e4", date="2013-01-04")
    params = [("actor", "first-actor"), ("actor", "second-actor")]
    assert listed(client, params) == ["e1", "e2"]  # e2 has both, and is listed once


def test_actor_filter_with_an_unknown_actor_matches_nothing(client, session):
    make_event(session, id="e1", actors=[{"id": make_actor(session)}])
    assert listed(client, {"actor": "nobody-at-all"}) == []


# --- tag -----------------------------------------------------------------------------------


def test_tag_filter_lists_events_with_that_tag(client, session):
    make_event(session, id="e1", date="2013-01-01", tags=["summit", "diplomacy"])
    make_event(session, id="e2", date="2013-01-02", tags=["military"])
    make_event(session, id="e3", date="2013-01-03", tags=["diplomacy"])
    make_event(session, id="e4", date="2013-01-04")
    assert listed(client, {"tag": "diplomacy"}) == ["e1", "e3"]
    assert listed(client, {"tag": "summit"}) == ["e1"]
    assert listed(client, {"tag": "trade"}) == []


def test_tags_are_matched_in_any_case_as_they_are_stored_lower_case(client, session):
    make_event(session, id="e1", date="2013-01-01", tags=["Summit", "DIPLOMACY"])
    make_event(session, id="e2", date="2013-01-02", tags=["military"])
    assert listed(client, {"tag": "SUMMIT"}) == ["e1"]
    assert listed(client, {"tag": "Diplomacy"}) == ["e1"]
    assert listed(client, {"tag": "diplomacy"}) == ["e1"]
    assert listed(client, {"tag": " Military "}) == ["e2"]
    (item,) = client.get("/v1/events", params={"tag": "summit"}).json()["items"]
    assert item["tags"] == ["diplomacy", "summit"]


def test_repeated_tag_means_any_of_them(client, session):
    make_event(session, id="e1", date="2013-01-01", tags=["summit"])
    make_event(session, id="e2", date="2013-01-02", tags=["military", "summit"])
    make_event(session, id="e3", date="2013-01-03", tags=["military"])
    make_event(session, id="e4", date="2013-01-04", tags=["trade"])
    assert listed(client, [("tag", "summit"), ("tag", "MILITARY")]) == ["e1", "e2", "e3"]


# --- source and publisher ------------------------------------------------------------------


def test_source_filter_lists_events_citing_that_source(client, session):
    neo = make_source(session, id="neo-article", publisher="New Eastern Outlook")
    reuters = make_source(session, id="reuters-wire", publisher="Reuters")
    make_event(session, id="e1", date="2013-01-01", citations=cite(neo))
    make_event(session, id="e2", date="2013-01-02", citations=cite(reuters))
    make_event(
        session,
        id="e3",
        date="2013-01-03",
        citations=[*cite(reuters), *cite(neo, stance="disputes")],
    )
    make_event(session, id="e4", date="2013-01-04", citations=[])
    assert listed(client, {"source": "neo-article"}) == ["e1", "e3"]
    assert listed(client, {"source": "reuters-wire"}) == ["e2", "e3"]
    assert listed(client, [("source", "neo-article"), ("source", "reuters-wire")]) == [
        "e1",
        "e2",
        "e3",
    ]
    assert listed(client, {"source": "no-such-source"}) == []


def test_event_citing_a_source_twice_is_listed_once(client, session):
    neo = make_source(session, id="neo-article", publisher="New Eastern Outlook")
    make_event(session, id="e1", citations=[*cite(neo), *cite(neo, stance="disputes")])
    assert listed(client, {"source": "neo-article"}) == ["e1"]
    assert listed(client, {"publisher": "New Eastern Outlook"}) == ["e1"]


def test_publisher_filter_is_case_insensitive(client, session):
    neo = make_source(session, publisher="New Eastern Outlook")
    reuters = make_source(session, publisher="Reuters")
    anonymous = make_source(session)
    make_event(session, id="e1", date="2013-01-01", citations=cite(neo))
    make_event(session, id="e2", date="2013-01-02", citations=cite(reuters))
    make_event(session, id="e3", date="2013-01-03", citations=cite(anonymous))
    for name in ["New Eastern Outlook", "new eastern outlook", "NEW EASTERN OUTLOOK"]:
        assert listed(client, {"publisher": name}) == ["e1"], name
    assert listed(client, {"publisher": "REUTERS"}) == ["e2"]
    # The whole name, not a part of it.
    assert listed(client, {"publisher": "Eastern"}) == []


def test_repeated_publisher_means_any_of_them(client, session):
    neo = make_source(session, publisher="New Eastern Outlook")
    reuters = make_source(session, publisher="Reuters")
    tasnim = make_source(session, publisher="Tasnim")
    make_event(session, id="e1", date="2013-01-01", citations=cite(neo))
    make_event(session, id="e2", date="2013-01-02", citations=[*cite(reuters), *cite(tasnim)])
    make_event(session, id="e3", date="2013-01-03", citations=cite(tasnim))
    params = [("publisher", "new eastern outlook"), ("publisher", "Reuters")]
    assert listed(client, params) == ["e1", "e2"]


# --- status --------------------------------------------------------------------------------


def test_status_filter_lists_events_of_each_status(client, session):
    one, two = make_source(session), make_source(session)
    make_event(session, id="e1-unsourced", date="2013-01-01", citations=[])
    make_event(session, id="e2-reported", date="2013-01-02", citations=cite(one, two))
    make_event(
        session,
        id="e3-disputed",
        date="2013-01-03",
        citations=[*cite(one), *cite(two, stance="disputes")],
    )
    make_event(session, id="e4-reported", date="2013-01-04", citations=cite(two))
    assert listed(client, {"status": "unsourced"}) == ["e1-unsourced"]
    assert listed(client, {"status": "reported"}) == ["e2-reported", "e4-reported"]
    assert listed(client, {"status": "disputed"}) == ["e3-disputed"]
    assert listed(client, [("status", "unsourced"), ("status", "disputed")]) == [
        "e1-unsourced",
        "e3-disputed",
    ]


def test_unknown_status_is_a_422_naming_status(client):
    assert_422_naming(client.get("/v1/events", params={"status": "confirmed"}), "status")


# --- tone ----------------------------------------------------------------------------------


def _make_tones(session: Session) -> None:
    for n, tone in enumerate([-10.0, -5.0, 0.0, 2.5, 10.0, None], start=1):
        make_event(session, id=f"e{n}", date=f"2013-01-0{n}", tone=tone)


def test_tone_min_is_inclusive_and_leaves_out_events_without_tone(client, session):
    _make_tones(session)
    assert listed(client, {"tone_min": -5}) == ["e2", "e3", "e4", "e5"]
    assert listed(client, {"tone_min": 2.5}) == ["e4", "e5"]
    assert listed(client, {"tone_min": -10}) == ["e1", "e2", "e3", "e4", "e5"]
    assert listed(client, {"tone_min": 10}) == ["e5"]


def test_tone_max_is_inclusive_and_leaves_out_events_without_tone(client, session):
    _make_tones(session)
    assert listed(client, {"tone_max": 0}) == ["e1", "e2", "e3"]
    assert listed(client, {"tone_max": -10}) == ["e1"]
    assert listed(client, {"tone_max": 10}) == ["e1", "e2", "e3", "e4", "e5"]


def test_tone_min_and_max_together_select_a_closed_range(client, session):
    _make_tones(session)
    assert listed(client, {"tone_min": -5, "tone_max": 2.5}) == ["e2", "e3", "e4"]
    assert listed(client, {"tone_min": 0, "tone_max": 0}) == ["e3"]
    assert listed(client, {"tone_min": -4.9, "tone_max": -0.1}) == []


@pytest.mark.parametrize("name", ["tone_min", "tone_max"])
@pytest.mark.parametrize("value", ["-10.5", "11", "high"])
def test_tone_bound_outside_the_scale_is_a_422_naming_it(client, name, value):
    assert_422_naming(client.get("/v1/events", params={name: value}), name)


# --- updated_since -------------------------------------------------------------------------

NOON = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def _make_updates(session: Session) -> None:
    make_event(session, id="e1-old", date="2013-01-01")
    make_event(session, id="e2-at-noon", date="2013-01-02")
    make_event(session, id="e3-just-after", date="2013-01-03")
    make_event(session, id="e4-next-day", date="2013-01-04")
    set_updated_at(
        session,
        {
            "e1-old": NOON - timedelta(days=30),
            "e2-at-noon": NOON,
            "e3-just-after": NOON + timedelta(microseconds=1),
            "e4-next-day": NOON + timedelta(days=1),
        },
    )


def test_updated_since_is_inclusive(client, session):
    _make_updates(session)
    expected = ["e2-at-noon", "e3-just-after", "e4-next-day"]
    assert listed(client, {"updated_since": "2026-01-31T12:00:00Z"}) == expected
    assert listed(client, {"updated_since": "2026-01-31T12:00:00.000001Z"}) == expected[1:]
    assert listed(client, {"updated_since": "2026-01-31T12:00:00.000002Z"}) == expected[2:]
    assert listed(client, {"updated_since": "2026-03-01T00:00:00Z"}) == []


def test_updated_since_honours_the_time_zone_offset(client, session):
    _make_updates(session)
    # 14:00 in UTC+2 is noon in UTC; 07:00 in UTC-5 is noon too.
    for moment in ["2026-01-31T14:00:00+02:00", "2026-01-31T07:00:00-05:00"]:
        assert listed(client, {"updated_since": moment}) == [
            "e2-at-noon",
            "e3-just-after",
            "e4-next-day",
        ], moment
    assert listed(client, {"updated_since": "2026-01-31T12:00:00+02:00"}) == [
        "e2-at-noon",
        "e3-just-after",
        "e4-next-day",
    ]
    assert listed(client, {"updated_since": "2026-01-31T14:00:00-02:00"}) == ["e4-next-day"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-01-31T12:00:00", id="no-time-zone"),
        pytest.param("2026-01-31", id="date-only"),
        pytest.param("yesterday", id="not-a-time"),
    ],
)
def test_updated_since_without_a_time_zone_or_not_a_time_is_a_422(client, value):
    assert_422_naming(client.get("/v1/events", params={"updated_since": value}), "updated_since")


# --- all of them together ------------------------------------------------------------------


def test_every_filter_combines_with_and(client, session):
    aliyev = make_actor(session, id="ilham-aliyev")
    other_actor = make_actor(session, id="someone-else")
    neo = make_source(session, id="neo-article", publisher="New Eastern Outlook")
    reuters = make_source(session, id="reuters-wire", publisher="Reuters")
    match: dict[str, Any] = {
        "date": "2013-03",
        "actors": [{"id": aliyev}],
        "tags": ["summit"],
        "citations": [*cite(neo), *cite(reuters, stance="disputes")],
        "tone": -4.0,
    }
    make_event(session, id="match-1", **match)
    make_event(session, id="match-2", **(match | {"date": "2013-03-02", "tone": -2.0}))
    # Each of these differs from a match in one filter only.
    make_event(session, id="no-actor", **(match | {"actors": [{"id": other_actor}]}))
    make_event(session, id="no-tag", **(match | {"tags": ["military"]}))
    make_event(session, id="no-source", **(match | {"citations": cite(reuters, stance="disputes")}))
    make_event(session, id="no-status", **(match | {"citations": cite(neo, reuters)}))
    make_event(session, id="tone-too-low", **(match | {"tone": -6.0}))
    make_event(session, id="tone-too-high", **(match | {"tone": 1.0}))
    make_event(session, id="no-tone", **(match | {"tone": None}))
    make_event(session, id="stale", **match)
    set_updated_at(session, {"stale": NOON - timedelta(days=1)})
    params = {
        "actor": "ilham-aliyev",
        "tag": "Summit",
        "source": "neo-article",
        "publisher": "new eastern outlook",
        "status": "disputed",
        "tone_min": -5,
        "tone_max": -1,
        "updated_since": "2026-01-31T12:00:00Z",
    }
    set_updated_at(
        session,
        {
            event_id: NOON
            for event_id in [
                "match-1",
                "match-2",
                "no-actor",
                "no-tag",
                "no-source",
                "no-status",
                "tone-too-low",
                "tone-too-high",
                "no-tone",
            ]
        },
    )
    assert listed(client, params) == ["match-1", "match-2"]
    # Without the filters each event is listed.
    assert len(listed(client, {})) == 10


# --- sort=-updated -------------------------------------------------------------------------


def _make_updated_order(session: Session) -> list[str]:
    """Events whose -updated order needs both parts of its key; returns that order."""
    moments = {
        "a-oldest": NOON - timedelta(days=2),
        "b-tie": NOON,
        "c-tie": NOON,
        "x-tie": NOON,
        "d-micro": NOON + timedelta(microseconds=1),
        "e-newest": NOON + timedelta(days=1),
        "z-yesterday": NOON - timedelta(days=1),
    }
    for n, event_id in enumerate(moments):
        # Dates run against the update order, so a date sort would give another order.
        make_event(session, id=event_id, date=f"2013-01-{20 - n:02d}")
    set_updated_at(session, moments)
    return ["e-newest", "d-micro", "x-tie", "c-tie", "b-tie", "z-yesterday", "a-oldest"]


def test_sort_by_updated_lists_the_latest_change_first_then_id_descending(client, session):
    expected = _make_updated_order(session)
    assert listed(client, {"sort": "-updated"}) == expected


def test_sort_by_updated_pages_walk_every_event_exactly_once(client, session):
    expected = _make_updated_order(session)
    pages = list(walk_pages(client, "/v1/events", {"sort": "-updated", "limit": 2}))
    assert [[item["id"] for item in page["items"]] for page in pages] == [
        expected[0:2],
        expected[2:4],
        expected[4:6],
        expected[6:7],
    ]


def test_sort_by_updated_combines_with_updated_since(client, session):
    _make_updated_order(session)
    params = {"sort": "-updated", "updated_since": "2026-01-31T12:00:00Z", "limit": 3}
    walked = walked_ids(client, "/v1/events", params)
    assert walked == ["e-newest", "d-micro", "x-tie", "c-tie", "b-tie"]


# --- include_total -------------------------------------------------------------------------


def test_include_total_counts_every_match_not_just_the_page(client, session):
    for n in range(1, 6):
        make_event(session, id=f"e{n}", date=f"2013-01-0{n}", type="reject" if n % 2 else "agree")
    response = client.get("/v1/events", params={"include_total": "true", "limit": 2})
    assert ids(response) == ["e1", "e2"]
    assert response.json()["total"] == 5
    filtered = client.get(
        "/v1/events", params={"include_total": "true", "limit": 1, "type": "reject"}
    )
    assert ids(filtered) == ["e1"]
    assert filtered.json()["total"] == 3
    # The total is the same on every page.
    cursor = filtered.json()["next_cursor"]
    later = client.get(
        "/v1/events",
        params={"include_total": "true", "limit": 1, "type": "reject", "cursor": cursor},
    )
    assert ids(later) == ["e3"]
    assert later.json()["total"] == 3


def test_include_total_read_from_stored_counts_equals_the_matches(client, session):
    # No filter, one country, one dyad: answered from vocabulary_count and dyad_month.
    make_event(session, id="e1", countries=["AZE", "IRN"])
    make_event(session, id="e2", countries=["AZE", "IRN", "TUR"])
    make_event(session, id="e3", countries=["AZE"])
    make_event(session, id="gone", countries=["AZE", "IRN"])
    session.flush()
    session.connection().execute(
        text("UPDATE event SET deleted_at = CURRENT_TIMESTAMP WHERE id = 'gone'")
    )
    for params, total in (
        ({}, 3),
        ({"country": "AZE"}, 3),
        ({"country": "TUR"}, 1),
        ({"country": "KAZ"}, 0),
        ({"dyad": "IRN-AZE"}, 2),
        ({"dyad": "AZE-KAZ"}, 0),
    ):
        response = client.get("/v1/events", params=params | {"include_total": "true"})
        assert response.json()["total"] == total == len(response.json()["items"]), params


def test_include_total_of_no_match_is_zero(client, session):
    make_event(session, id="e1", type="agree")
    response = client.get("/v1/events", params={"include_total": "true", "type": "assault"})
    assert response.json() == {"items": [], "next_cursor": None, "total": 0}


def test_total_is_absent_unless_asked_for(client, session):
    make_event(session, id="e1")
    assert "total" not in client.get("/v1/events").json()
    assert "total" not in client.get("/v1/events", params={"include_total": "false"}).json()


# --- fields --------------------------------------------------------------------------------


def test_fields_returns_only_those_keys_in_every_item(client, session):
    make_event(session, id="e1", date="2013-01-01", title="First")
    make_event(session, id="e2", date="2013-02", title="Second")
    make_event(session, id="e3", date="2014", title="Third")
    response = client.get("/v1/events", params={"fields": "id,title,date"})
    assert response.status_code == 200
    assert response.json()["items"] == [
        {"id": "e1", "title": "First", "date": "2013-01-01"},
        {"id": "e2", "title": "Second", "date": "2013-02"},
        {"id": "e3", "title": "Third", "date": "2014"},
    ]


def test_fields_pages_still_walk_every_event(client, session):
    for n in range(1, 6):
        make_event(session, id=f"e{n}", date=f"2013-01-0{n}")
    pages = list(walk_pages(client, "/v1/events", {"fields": "id", "limit": 2}))
    assert [page["items"] for page in pages] == [
        [{"id": "e1"}, {"id": "e2"}],
        [{"id": "e3"}, {"id": "e4"}],
        [{"id": "e5"}],
    ]


@pytest.mark.parametrize("fields", ["bogus", "id,bogus", "id,password"])
def test_unknown_field_is_a_422_naming_fields(client, fields):
    assert_422_naming(client.get("/v1/events", params={"fields": fields}), "fields")


# --- facets --------------------------------------------------------------------------------

ALL_FACETS = "type,country,tag,actor,publisher,year,status"


def _make_facet_data(session: Session) -> None:
    aliyev = make_actor(session, id="ilham-aliyev")
    rouhani = make_actor(session, id="hassan-rouhani")
    neo = make_source(session, publisher="New Eastern Outlook")
    reuters = make_source(session, publisher="Reuters")
    anonymous = make_source(session)
    make_event(
        session,
        id="e1",
        date="2012-08",
        type="reject",
        countries=["AZE", "IRN"],
        tags=["summit", "diplomacy"],
        actors=[{"id": aliyev, "role": "initiator"}, {"id": rouhani, "role": "target"}],
        citations=cite(neo),
    )
    make_event(
        session,
        id="e2",
        date="2013-03-30",
        type="protest",
        countries=["AZE", "IRN"],
        tags=["diplomacy"],
        actors=[{"id": rouhani}],
        citations=[*cite(neo), *cite(reuters, stance="disputes")],
    )
    make_event(
        session,
        id="e3",
        date="2013",
        type="reject",
        countries=["ARM", "AZE"],
        tags=["military"],
        citations=[*cite(reuters), *cite(reuters)],
    )
    make_event(
        session,
        id="e4",
        date="2014-05-01",
        type="agree",
        countries=["ISR", "AZE", "IRN"],
        citations=cite(anonymous),
    )
    make_event(
        session, id="e5", date="2013-07", type="reject", countries=["RUS", "UKR"], citations=[]
    )
    make_event(
        session, id="e6", date="2013-11~", type="agree", countries=["ARM", "IRN"], citations=[]
    )
    deleted = make_event(
        session, id="e7-deleted", date="2013-01", type="assault", countries=["AZE", "IRN"]
    )
    deleted.deleted_at = utcnow()
    session.add(deleted)
    session.flush()


def _matches(client: TestClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item
        for page in walk_pages(client, "/v1/events", {**params, "limit": 500})
        for item in page["items"]
    ]


def _expected_facets(items: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Facet counts computed here from the list of matching events: events per value."""
    counts: dict[str, Counter[str]] = {facet: Counter() for facet in ALL_FACETS.split(",")}
    for item in items:
        counts["type"][item["type"]] += 1
        counts["status"][item["status"]] += 1
        counts["year"][item["date_lower"][:4]] += 1
        counts["country"].update(set(item["countries"]))
        counts["tag"].update(set(item["tags"]))
        counts["actor"].update({actor["id"] for actor in item["actors"]})
        publishers = {c["source"]["publisher"] for c in item["citations"]}
        counts["publisher"].update(publishers - {None})
    return {facet: dict(counter) for facet, counter in counts.items()}


def test_facets_count_every_match_with_their_exact_values(client, session):
    _make_facet_data(session)
    response = client.get("/v1/events", params={"facets": ALL_FACETS, "limit": 1})
    assert ids(response) == ["e1"]
    assert response.json()["facets"] == {
        "type": {"reject": 3, "agree": 2, "protest": 1},
        "country": {"AZE": 4, "IRN": 4, "ARM": 2, "ISR": 1, "RUS": 1, "UKR": 1},
        "tag": {"diplomacy": 2, "summit": 1, "military": 1},
        "actor": {"hassan-rouhani": 2, "ilham-aliyev": 1},
        "publisher": {"New Eastern Outlook": 2, "Reuters": 2},
        "year": {"2012": 1, "2013": 4, "2014": 1},
        "status": {"reported": 3, "disputed": 1, "unsourced": 2},
    }


def test_facets_count_all_matches_not_just_the_page(client, session):
    _make_facet_data(session)
    response = client.get("/v1/events", params={"facets": ALL_FACETS, "limit": 1})
    assert len(ids(response)) == 1
    assert response.json()["facets"] == _expected_facets(_matches(client, {}))


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"country": "IRN"}, id="country"),
        pytest.param({"type": "reject"}, id="type"),
        pytest.param({"from": "2013", "to": "2013"}, id="dates"),
        pytest.param({"publisher": "reuters"}, id="publisher"),
        pytest.param({"tag": "diplomacy", "dyad": "AZE-IRN"}, id="tag-and-dyad"),
        pytest.param({"status": "unsourced"}, id="status"),
        pytest.param({"actor": "nobody"}, id="no-match"),
    ],
)
def test_facets_respect_the_filters(client, session, params):
    _make_facet_data(session)
    response = client.get("/v1/events", params={**params, "facets": ALL_FACETS, "limit": 1})
    assert response.status_code == 200, response.text
    assert response.json()["facets"] == _expected_facets(_matches(client, params))


def test_facets_of_a_filtered_list_have_exact_values(client, session):
    _make_facet_data(session)
    response = client.get(
        "/v1/events", params={"country": "IRN", "facets": "type,year,status", "limit": 1}
    )
    assert ids(response) == ["e1"]
    assert response.json()["facets"] == {
        "type": {"reject": 1, "protest": 1, "agree": 2},
        "year": {"2012": 1, "2013": 2, "2014": 1},
        "status": {"reported": 2, "disputed": 1, "unsourced": 1},
    }


def test_only_the_asked_facets_are_given(client, session):
    _make_facet_data(session)
    body = client.get("/v1/events", params={"facets": "year", "limit": 1}).json()
    assert body["facets"] == {"year": {"2012": 1, "2013": 4, "2014": 1}}
    assert "facets" not in client.get("/v1/events").json()


@pytest.mark.parametrize("facets", ["nope", "", "type,nope", ","])
def test_unknown_or_empty_facets_are_a_422_naming_facets(client, facets):
    assert_422_naming(client.get("/v1/events", params={"facets": facets}), "facets")


# --- an empty date range --------------------------------------------------------------


@pytest.mark.parametrize(
    "path, extra",
    [
        ("/v1/events", {}),
        ("/v1/events", {"format": "csv"}),
        ("/v1/timeline", {"bucket": "month"}),
        ("/v1/relations", {"country": "AZE"}),
    ],
)
def test_from_after_to_is_a_422_naming_both(
    client: TestClient, path: str, extra: dict[str, str]
) -> None:
    response = client.get(path, params={"from": "2014", "to": "2012", **extra})

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", "to"]
    assert "`to` (2012) ends before `from` (2014) begins" in error["msg"]


@pytest.mark.parametrize(
    "start, end", [("2013-03-15", "2013-03"), ("2013", "2013"), ("2013-03", "2013-03-01")]
)
def test_from_and_to_that_overlap_are_a_range(client: TestClient, start: str, end: str) -> None:
    response = client.get("/v1/events", params={"from": start, "to": end})
    assert response.status_code == 200, response.text
