"""GET /v1/relations (a country's partners) and GET /v1/relations/{A}-{B} (one pair)."""

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core.countries import to_alpha3
from app.core.dates import span
from app.core.db import utcnow
from app.events.models import Event
from tests.factories import make_actor, make_event, make_source

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
SEED_EVENTS: list[dict[str, Any]] = json.loads((SEED_DIR / "events.json").read_text("utf-8"))
SEED_ACTORS = {
    actor["id"]: actor for actor in json.loads((SEED_DIR / "actors.json").read_text("utf-8"))
}
PERRY_CLAIM = "2013-03-perry-israel-airbases-claim"


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def partners(client: Any, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(client.get("/v1/relations", params=params))
    return body


def pair(client: Any, path: str, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(client.get(f"/v1/relations/{path}", params=params))
    return body


def countries_of(event: dict[str, Any]) -> set[str]:
    return {to_alpha3(code) for code in event["countries"]}


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """count, first_date, last_date and tone_mean of seed events, computed in Python."""
    bounds = [span(event["date"], event.get("end_date")) for event in events]
    return {
        "count": len(events),
        "first_date": min(b.lower for b in bounds).isoformat(),
        "last_date": max(b.upper for b in bounds).isoformat(),
        "tone_mean": mean([event["tone"] for event in events if event.get("tone") is not None]),
    }


def delete(session: Session, *event_ids: str) -> None:
    for event_id in event_ids:
        event = session.get(Event, event_id)
        assert event is not None
        event.deleted_at = utcnow()
        session.add(event)
    session.flush()


# --- partners: the seed --------------------------------------------------------------------


def test_partners_of_iran_in_the_seed_are_derived_from_its_events(client, seeded):
    shared: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in SEED_EVENTS:
        if "IRN" in countries_of(event):
            for partner in countries_of(event) - {"IRN"}:
                shared[partner].append(event)
    expected = sorted(
        ({"country": partner, **summary(events)} for partner, events in shared.items()),
        key=lambda row: (-row["count"], row["country"]),
    )
    assert {"AZE", "USA", "ISR"} <= set(shared)

    body = partners(client, country="IRN")

    assert body == {"country": "IRN", "partners": expected}


def test_partners_accept_alpha2_in_any_case(client, seeded):
    assert partners(client, country="ir") == partners(client, country="IRN")
    assert partners(client, country="Az")["country"] == "AZE"


# --- partners: built data -------------------------------------------------------------------


def test_partners_are_counted_per_event_and_ordered_by_count_then_code(client, session):
    make_event(session, id="e1", date="2012-08", countries=["AZE", "IRN"], tone=-5)
    make_event(session, id="e2", date="2013-03-30", countries=["AZE", "IRN"], tone=-4)
    make_event(session, id="e3", date="2013-03", countries=["AZE", "IRN", "ISR"], tone=None)
    make_event(session, id="e4", date="2011", end_date="2014", countries=["IRN", "USA"], tone=-6)
    make_event(session, id="e5", date="2013-01-01", countries=["IRN", "USA"], tone=-3)
    make_event(session, id="e6", date="2012-05-02", countries=["IRN", "ISR"], tone=None)
    make_event(session, id="e7", date="2013-05-01", countries=["IRN"], tone=9)
    make_event(session, id="e8", date="2010-01-01", countries=["ARM", "TUR"], tone=1)

    assert partners(client, country="IRN")["partners"] == [
        {
            "country": "AZE",
            "count": 3,
            "first_date": "2012-08-01",
            "last_date": "2013-03-31",
            "tone_mean": -4.5,
        },
        {
            "country": "ISR",
            "count": 2,
            "first_date": "2012-05-02",
            "last_date": "2013-03-31",
            "tone_mean": None,
        },
        {
            "country": "USA",
            "count": 2,
            "first_date": "2011-01-01",
            "last_date": "2014-12-31",
            "tone_mean": -4.5,
        },
    ]
    assert [p["country"] for p in partners(client, country="ISR")["partners"]] == ["IRN", "AZE"]


def test_partners_from_stored_counts_equal_those_counted_after_every_kind_of_write(
    client, seeded, session, auth
):
    # With `country` alone, partners come from dyad_month and event_dyad's indexes; with any
    # other filter (here one that keeps every event) they are counted over the events.
    def assert_same() -> None:
        for country in ("AZE", "IRN", "USA"):
            stored = partners(client, country=country)["partners"]
            counted = partners(client, country=country, to="9999")["partners"]
            assert [p | {"tone_mean": None} for p in stored] == [
                p | {"tone_mean": None} for p in counted
            ]
            for a, b in zip(stored, counted, strict=True):
                assert a["tone_mean"] == pytest.approx(b["tone_mean"])
        for dyad in ("AZE-IRN", "AZE-USA", "IRN-ISR"):  # stored by year and actor, or counted
            assert ok(client.get(f"/v1/relations/{dyad}")) == ok(
                client.get(f"/v1/relations/{dyad}", params={"to": "9999"})
            )

    assert_same()
    body = {"id": "moved", "title": "Moved", "date": "2031-05-06", "end_date": "2032",
            "countries": ["AZE", "IRN", "USA"], "type": "consult", "tone": 3.3,
            "actors": [{"id": "ilham-aliyev", "role": "initiator"},
                       {"id": "ilham-aliyev", "role": "target"}]}  # fmt: skip
    assert client.post("/v1/events", json=body, headers=auth).status_code == 201
    assert_same()
    patch = auth | {"Content-Type": "application/merge-patch+json", "If-Match": '"1"'}
    changes = {"countries": ["AZE", "USA"], "date": "1999", "end_date": None, "tone": -1}
    assert client.patch("/v1/events/moved", json=changes, headers=patch).status_code == 200
    assert_same()
    assert client.delete("/v1/events/moved", headers=auth | {"If-Match": '"2"'}).status_code == 204
    assert_same()
    assert client.post("/v1/events/moved/restore", headers=auth).status_code == 200
    assert_same()


def test_a_country_without_shared_events_has_no_partners(client, session):
    make_event(session, countries=["IRN"])
    assert partners(client, country="IRN") == {"country": "IRN", "partners": []}
    assert partners(client, country="NOR") == {"country": "NOR", "partners": []}


def test_partners_take_the_event_filters(client, session):
    make_event(session, id="e1", date="2012-08", countries=["AZE", "IRN"], type="reject")
    make_event(session, id="e2", date="2013-03-30", countries=["AZE", "IRN"], type="protest")
    make_event(session, id="e3", date="2013-04", countries=["IRN", "USA"], type="reject")

    def counts(**params: Any) -> list[tuple[str, int]]:
        return [(p["country"], p["count"]) for p in partners(client, **params)["partners"]]

    assert counts(country="IRN") == [("AZE", 2), ("USA", 1)]
    assert counts(country="IRN", type="reject") == [("AZE", 1), ("USA", 1)]
    assert counts(country="IRN", type=["protest", "accuse"]) == [("AZE", 1)]
    assert counts(country="IRN", **{"from": "2013"}) == [("AZE", 1), ("USA", 1)]
    assert counts(country="IRN", to="2013-03") == [("AZE", 2)]
    first = partners(client, country="IRN", **{"from": "2013"})["partners"][0]
    assert (first["first_date"], first["last_date"]) == ("2013-03-30", "2013-03-30")


def test_filters_on_joined_tables_do_not_disturb_the_partner_and_actor_joins(client, session):
    aliyev = make_actor(session, id="ilham-aliyev", name="Ilham Aliyev", country="AZE")
    other = make_actor(session, id="someone-else", name="Someone Else")
    make_event(session, id="e1", countries=["AZE", "IRN", "ISR"], actors=[{"id": aliyev}])
    make_event(session, id="e2", countries=["AZE", "IRN"], actors=[{"id": other}])
    make_event(session, id="e3", countries=["IRN", "USA"], actors=[{"id": aliyev}])

    found = partners(client, country="IRN", actor=aliyev)["partners"]
    assert [(p["country"], p["count"]) for p in found] == [("AZE", 1), ("ISR", 1), ("USA", 1)]
    found = partners(client, country="AZE", dyad="IRN-ISR")["partners"]
    assert [(p["country"], p["count"]) for p in found] == [("IRN", 1), ("ISR", 1)]
    body = pair(client, "AZE-IRN", actor=aliyev)
    assert body["count"] == 1
    assert [(a["id"], a["count"]) for a in body["top_actors"]] == [("ilham-aliyev", 1)]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({}, ["query", "country"], id="missing-country"),
        pytest.param({"country": "XX"}, ["query", "country"], id="unknown-country"),
        pytest.param({"country": "Iran"}, ["query", "country"], id="country-name"),
        pytest.param({"country": "IRN", "colour": "red"}, ["query", "colour"], id="unknown"),
        pytest.param({"country": "IRN", "to": "2013-02-30"}, ["query", "to"], id="bad-date"),
    ],
)
def test_invalid_partner_queries_are_a_422_problem_naming_the_parameter(client, params, loc):
    response = client.get("/v1/relations", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [loc]


# --- one pair: the seed ---------------------------------------------------------------------


def test_seeded_aze_irn_pair_is_derived_from_the_seed(client, seeded):
    events = [event for event in SEED_EVENTS if {"AZE", "IRN"} <= countries_of(event)]
    by_type = sorted(Counter(e["type"] for e in events).items(), key=lambda t: (-t[1], t[0]))
    years = Counter(span(e["date"], e.get("end_date")).lower.year for e in events)
    actor_events: dict[str, set[str]] = defaultdict(set)
    for event in events:
        for actor in event["actors"]:
            actor_events[actor["id"]].add(event["id"])
    top = sorted(actor_events, key=lambda actor_id: (-len(actor_events[actor_id]), actor_id))
    disputed = [
        event["id"]
        for event in events
        if any(c.get("stance") == "disputes" for c in event["citations"])
    ]
    assert PERRY_CLAIM in disputed

    body = pair(client, "AZE-IRN")

    assert body == {
        "countries": ["AZE", "IRN"],
        **summary(events),
        "by_type": dict(by_type),
        "by_year": {str(year): years[year] for year in sorted(years)},
        "top_actors": [
            {
                "id": actor_id,
                "name": SEED_ACTORS[actor_id]["name"],
                "kind": SEED_ACTORS[actor_id]["kind"],
                "country": SEED_ACTORS[actor_id]["country"],
                "count": len(actor_events[actor_id]),
            }
            for actor_id in top[:10]
        ],
        "disputed": len(disputed),
    }
    assert list(body["by_type"].items()) == by_type  # most frequent first


def test_pair_is_the_same_in_either_order_and_any_case(client, seeded):
    expected = pair(client, "AZE-IRN")
    assert expected["count"] > 0
    for spelling in ["IRN-AZE", "az-ir", "Ir-aZe", "aze-IR"]:
        assert pair(client, spelling) == expected, spelling


def test_seeded_perry_claim_is_the_disputed_event_of_the_israel_pairs(client, seeded):
    assert pair(client, "ISR-IRN")["disputed"] == 1
    assert pair(client, "AZE-ISR")["disputed"] == 1
    deleted = seeded.get(Event, PERRY_CLAIM)
    assert deleted is not None and deleted.status == "disputed"
    delete(seeded, PERRY_CLAIM)
    assert pair(client, "ISR-IRN")["disputed"] == 0


# --- one pair: built data -------------------------------------------------------------------


def test_pair_counts_its_events_by_type_year_and_status(client, session):
    disputing = [
        {"source_id": make_source(session), "stance": "supports"},
        {"source_id": make_source(session), "stance": "disputes"},
    ]
    make_event(session, id="e1", date="2012-08", type="reject", tone=-5)
    make_event(session, id="e2", date="2013?", type="reject", tone=2)
    make_event(session, id="e3", date="2013-03-30", type="protest", tone=-4, citations=disputing)
    make_event(session, id="e4", date="2013-03", type="cooperate", countries=["AZE", "IRN", "ISR"])
    make_event(session, id="e5", date="2015-06", end_date="2016-01", type="agree", tone=3.5)
    make_event(session, id="e6", date="2014-01-01", type="assault", countries=["AZE", "ARM"])
    make_event(session, id="e7", date="2013-05-01", type="consult", citations=[])

    assert pair(client, "IRN-AZE") == {
        "countries": ["AZE", "IRN"],
        "count": 6,
        "first_date": "2012-08-01",
        "last_date": "2016-01-31",
        "tone_mean": (-5 + 2 - 4 + 3.5) / 4,
        "by_type": {"reject": 2, "agree": 1, "consult": 1, "cooperate": 1, "protest": 1},
        "by_year": {"2012": 1, "2013": 4, "2015": 1},
        "top_actors": [],
        "disputed": 1,
    }


def test_top_actors_count_events_not_roles_and_stop_at_ten(client, session):
    aliyev = make_actor(session, id="ilham-aliyev", name="Ilham Aliyev", country="AZE")
    iran = make_actor(
        session,
        id="government-of-iran",
        name="Government of Iran",
        kind="government",
        country="IRN",
    )
    others = [make_actor(session, id=f"actor-{n:02d}", name=f"Actor {n:02d}") for n in range(12)]
    # Aliyev is both initiator and participant of e0: one event, not two.
    make_event(
        session,
        id="e0",
        actors=[
            {"id": aliyev, "role": "initiator"},
            {"id": aliyev, "role": "participant"},
            {"id": iran, "role": "target"},
        ],
    )
    make_event(session, id="e1", actors=[{"id": aliyev}, *({"id": a} for a in others)])
    make_event(session, id="e2", actors=[{"id": iran}, {"id": others[11]}])
    make_event(session, id="other-pair", countries=["AZE", "ARM"], actors=[{"id": others[0]}])

    top = pair(client, "AZE-IRN")["top_actors"]

    assert top[:3] == [
        {"id": "actor-11", "name": "Actor 11", "kind": "person", "country": None, "count": 2},
        {
            "id": "government-of-iran",
            "name": "Government of Iran",
            "kind": "government",
            "country": "IRN",
            "count": 2,
        },
        {
            "id": "ilham-aliyev",
            "name": "Ilham Aliyev",
            "kind": "person",
            "country": "AZE",
            "count": 2,
        },
    ]
    assert [(a["id"], a["count"]) for a in top[3:]] == [(f"actor-{n:02d}", 1) for n in range(7)]


def test_pair_takes_the_event_filters(client, session):
    make_event(session, id="e1", date="2012-08", type="reject", tone=-5)
    make_event(session, id="e2", date="2013-03-30", type="protest", tone=-4)
    make_event(session, id="e3", date="2013-04", type="reject", tone=-3)

    def figures(**params: Any) -> tuple[int, float | None, dict[str, int]]:
        body = pair(client, "AZE-IRN", **params)
        return body["count"], body["tone_mean"], body["by_year"]

    assert figures() == (3, -4.0, {"2012": 1, "2013": 2})
    assert figures(type="reject") == (2, -4.0, {"2012": 1, "2013": 1})
    assert figures(**{"from": "2013"}) == (2, -3.5, {"2013": 2})
    assert figures(to="2012-12") == (1, -5.0, {"2012": 1})
    assert figures(type="assault") == (0, None, {})


def test_pair_without_events_is_a_200_with_count_zero(client, session):
    make_event(session, countries=["AZE", "IRN"])
    assert pair(client, "NOR-SWE") == {
        "countries": ["NOR", "SWE"],
        "count": 0,
        "first_date": None,
        "last_date": None,
        "tone_mean": None,
        "by_type": {},
        "by_year": {},
        "top_actors": [],
        "disputed": 0,
    }


@pytest.mark.parametrize(
    "path",
    ["IRN-IRN", "ir-IRN", "XXX-AZE", "AZE-Iran", "IRN", "IRN-AZE-ISR", "IRN_AZE", "-AZE"],
)
def test_a_bad_pair_is_a_422_problem_naming_the_path_parameter(client, path):
    response = client.get(f"/v1/relations/{path}")
    assert response.status_code == 422, path
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert [error["loc"] for error in body["errors"]] == [["path", "pair"]]
    assert "pair" in body["detail"]


def test_unknown_parameter_of_a_pair_is_a_422(client):
    response = client.get("/v1/relations/AZE-IRN", params={"bucket": "year"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "bucket"]


# --- deleted events and caching -------------------------------------------------------------


def test_deleted_events_are_left_out_of_partners_and_pairs(client, session):
    actor = make_actor(session, id="gone-actor", name="Gone")
    disputing = [{"source_id": make_source(session), "stance": "disputes"}]
    make_event(session, id="kept", date="2013-03-30", type="protest", tone=-4)
    make_event(
        session,
        id="gone",
        date="2011",
        type="assault",
        tone=8,
        citations=disputing,
        actors=[{"id": actor}],
    )
    make_event(session, id="gone-usa", countries=["IRN", "USA"])
    delete(session, "gone", "gone-usa")

    assert partners(client, country="IRN")["partners"] == [
        {
            "country": "AZE",
            "count": 1,
            "first_date": "2013-03-30",
            "last_date": "2013-03-30",
            "tone_mean": -4.0,
        }
    ]
    body = pair(client, "AZE-IRN")
    assert (body["count"], body["first_date"], body["tone_mean"]) == (1, "2013-03-30", -4.0)
    assert (body["by_type"], body["by_year"]) == ({"protest": 1}, {"2013": 1})
    assert (body["top_actors"], body["disputed"]) == ([], 0)
    assert pair(client, "IRN-USA")["count"] == 0


def test_relations_may_be_cached_like_the_event_list(client, session):
    make_event(session)
    expected = client.get("/v1/events").headers["cache-control"]
    assert client.get("/v1/relations", params={"country": "IRN"}).headers["cache-control"] == (
        expected
    )
    assert client.get("/v1/relations/AZE-IRN").headers["cache-control"] == expected
