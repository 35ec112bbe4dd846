"""GET /v1/countries and /v1/tags: the vocabularies in use, counted over events not deleted."""

import json
from collections import Counter
from pathlib import Path
from typing import Any

from app.core.countries import country_name
from tests.factories import make_event
from tests.support import soft_delete

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
SEED_EVENTS: list[dict[str, Any]] = json.loads((SEED_DIR / "events.json").read_text())


def most_first(counts: Counter[str]) -> list[tuple[str, int]]:
    """The documented order: count descending, then the value itself."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


# --- countries -----------------------------------------------------------------------------


def test_seeded_countries_are_counted_most_first(client, seeded):
    counts = Counter(country for event in SEED_EVENTS for country in event["countries"])
    response = client.get("/v1/countries")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.json() == [
        {"code": code, "name": country_name(code), "count": count}
        for code, count in most_first(counts)
    ]
    assert [item["code"] for item in response.json()] == ["IRN", "AZE", "ISR", "USA"]


def test_country_names_come_from_iso_3166(client, session):
    make_event(session, countries=["AZE", "SUN"])
    assert client.get("/v1/countries").json() == [
        {"code": "AZE", "name": "Azerbaijan", "count": 1},
        {"code": "SUN", "name": "USSR, Union of Soviet Socialist Republics", "count": 1},
    ]


def test_deleted_events_do_not_count_for_countries(client, session):
    make_event(session, countries=["AZE", "IRN"])
    make_event(session, countries=["AZE", "TUR"])
    gone = make_event(session, countries=["ARM", "TUR"])
    assert client.get("/v1/countries").json() == [
        {"code": "AZE", "name": "Azerbaijan", "count": 2},
        {"code": "TUR", "name": country_name("TUR"), "count": 2},
        {"code": "ARM", "name": "Armenia", "count": 1},
        {"code": "IRN", "name": country_name("IRN"), "count": 1},
    ]
    soft_delete(session, gone)
    assert [(c["code"], c["count"]) for c in client.get("/v1/countries").json()] == [
        ("AZE", 2),
        ("IRN", 1),
        ("TUR", 1),
    ]


def test_no_events_means_no_countries_and_no_tags(client):
    assert client.get("/v1/countries").json() == []
    assert client.get("/v1/tags").json() == []


# --- tags ----------------------------------------------------------------------------------


def test_seeded_tags_are_counted_most_first(client, seeded):
    counts = Counter(tag for event in SEED_EVENTS for tag in event["tags"])
    response = client.get("/v1/tags")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.json() == [{"tag": tag, "count": count} for tag, count in most_first(counts)]
    assert response.json()[0] == {"tag": "diplomacy", "count": counts["diplomacy"]}


def test_deleted_events_do_not_count_for_tags(client, session):
    make_event(session, tags=["summit", "diplomacy"])
    make_event(session, tags=["diplomacy"])
    gone = make_event(session, tags=["summit", "military"])
    assert client.get("/v1/tags").json() == [
        {"tag": "diplomacy", "count": 2},
        {"tag": "summit", "count": 2},
        {"tag": "military", "count": 1},
    ]
    soft_delete(session, gone)
    assert client.get("/v1/tags").json() == [
        {"tag": "diplomacy", "count": 2},
        {"tag": "summit", "count": 1},
    ]


def test_azerbaijani_tags_round_trip(client, session):
    make_event(session, tags=["Qarabağ", "sərhəd"])
    make_event(session, tags=["sərhəd"])
    assert client.get("/v1/tags").json() == [
        {"tag": "sərhəd", "count": 2},
        {"tag": "qarabağ", "count": 1},
    ]
