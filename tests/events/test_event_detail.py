"""GET /v1/events/{id} and GET /v1/event-types."""

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import utcnow
from tests.factories import make_actor, make_event, make_source
from tests.support import soft_delete

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
NEO_SOURCE = {
    "id": "neo-2013-06-21-pivin-iran-azerbaijan",
    "url": "https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/",
    "title": "Iran-Azerbaijan: Conflict or Friendship?",
    "publisher": "New Eastern Outlook",
    "author": "Sergey Pivin",
    "published": "2013-06-21",
    "kind": "opinion",
    "language": "en",
    "archive_url": None,
    "version": 1,
}
EVENT_FIELDS = {
    "id",
    "title",
    "summary",
    "date",
    "end_date",
    "date_lower",
    "date_upper",
    "date_precision",
    "countries",
    "type",
    "tone",
    "tags",
    "location",
    "actors",
    "citations",
    "status",
    "links",
    "linked_from",
    "version",
    "created_at",
    "updated_at",
}
PLOVER_TYPES = [
    "agree",
    "consult",
    "support",
    "concede",
    "cooperate",
    "aid",
    "retreat",
    "request",
    "accuse",
    "reject",
    "threaten",
    "protest",
    "sanction",
    "mobilize",
    "coerce",
    "assault",
]


def read_back(session: Session) -> None:
    """Make the next request read from the database, as a later request would, rather than
    reuse the objects the seed or a factory just built in this same session."""
    session.flush()
    session.expire_all()


def get_event(client: TestClient, event_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/events/{event_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_seeded_event_has_every_documented_field_with_its_value(client, seeded):
    read_back(seeded)
    event = get_event(client, "2012-08-aliyev-declines-nam-summit")
    assert set(event) >= EVENT_FIELDS
    assert event["id"] == "2012-08-aliyev-declines-nam-summit"
    assert event["title"] == "Aliyev declines to attend the Non-Aligned Movement summit in Tehran"
    assert event["summary"].startswith("Azerbaijani President Ilham Aliyev declined")
    assert (event["date"], event["end_date"]) == ("2012-08", None)
    assert (event["date_lower"], event["date_upper"], event["date_precision"]) == (
        "2012-08-01",
        "2012-08-31",
        "month",
    )
    assert event["countries"] == ["AZE", "IRN"]
    assert event["type"] == "reject"
    assert event["tone"] == -5.0
    assert sorted(event["tags"]) == ["diplomacy", "summit"]
    assert event["location"] == {"name": "Tehran", "country": "IRN", "lat": 35.69, "lon": 51.39}
    assert event["actors"] == [
        {
            "id": "ilham-aliyev",
            "name": "Ilham Aliyev",
            "kind": "person",
            "country": "AZE",
            "role": "initiator",
        },
        {
            "id": "government-of-iran",
            "name": "Government of Iran",
            "kind": "government",
            "country": "IRN",
            "role": "target",
        },
    ]
    assert event["citations"] == [
        {
            "source": NEO_SOURCE,
            "stance": "supports",
            "quote": "They were at their worst when Azerbaijani President Ilham Aliyev declined "
            "to participate in the August 2012 Non-Aligned Movement summit that was held "
            "in Tehran.",
            "locator": "para. 1",
        }
    ]
    assert event["status"] == "reported"
    assert event["links"] == []
    assert event["linked_from"] == []
    assert event["external_ids"] == {}
    assert event["version"] == 1
    for stamp in ("created_at", "updated_at"):
        assert datetime.fromisoformat(event[stamp]).tzinfo is not None, stamp


def test_seeded_event_without_location_has_null_location(client, seeded):
    event = get_event(client, "2013-media-reduce-hostile-stories")
    assert event["location"] is None
    assert event["actors"] == []
    assert (event["date"], event["date_lower"], event["date_upper"], event["date_precision"]) == (
        "2013?",
        "2013-01-01",
        "2013-12-31",
        "year",
    )


def test_seeded_countries_are_alpha3_and_sorted(client, seeded):
    read_back(seeded)
    claim = get_event(client, "2013-03-perry-israel-airbases-claim")
    assert claim["countries"] == ["AZE", "IRN", "ISR"]  # stored as AZE, ISR, IRN


def test_countries_are_sorted_even_when_written_in_another_order_and_case(client, session):
    written = ["usa", "IRN", "az", "ISR", "rus", "TR", "geo", "ARM"]
    # Kept alive, so the response is built from the objects just written, as the response
    # to a create and the revision it stores are.
    made = make_event(session, id="many", countries=written)
    event = get_event(client, "many")
    assert event["countries"] == ["ARM", "AZE", "GEO", "IRN", "ISR", "RUS", "TUR", "USA"]
    assert made.id == "many"


def test_actors_keep_their_written_order_and_role(client, session):
    first = make_actor(session, name="Zed", kind="government", country="IRN")
    second = make_actor(session, name="Abe", kind="organization")
    make_event(
        session,
        id="acting",
        actors=[{"id": first, "role": "target"}, {"id": second, "role": "initiator"}],
    )
    assert get_event(client, "acting")["actors"] == [
        {"id": first, "name": "Zed", "kind": "government", "country": "IRN", "role": "target"},
        {"id": second, "name": "Abe", "kind": "organization", "country": None, "role": "initiator"},
    ]


def test_event_without_citations_is_unsourced(client, session):
    make_event(session, id="bare", citations=[])
    event = get_event(client, "bare")
    assert event["citations"] == []
    assert event["status"] == "unsourced"


def test_event_with_only_supporting_citations_is_reported(client, session):
    sources = [make_source(session), make_source(session)]
    make_event(
        session,
        id="backed",
        citations=[
            {"source_id": sources[0], "stance": "supports", "quote": "q1", "locator": "p. 1"},
            {"source_id": sources[1]},
        ],
    )
    event = get_event(client, "backed")
    assert event["status"] == "reported"
    assert [
        (c["source"]["id"], c["stance"], c["quote"], c["locator"]) for c in event["citations"]
    ] == [
        (sources[0], "supports", "q1", "p. 1"),
        (sources[1], "supports", None, None),
    ]


def test_event_with_a_disputing_citation_is_disputed(client, session):
    sources = [make_source(session), make_source(session)]
    make_event(
        session,
        id="contested",
        citations=[
            {"source_id": sources[0], "stance": "supports"},
            {"source_id": sources[1], "stance": "disputes", "quote": "not so"},
        ],
    )
    event = get_event(client, "contested")
    assert event["status"] == "disputed"
    assert [c["stance"] for c in event["citations"]] == ["supports", "disputes"]


def test_seeded_perry_claim_is_disputed(client, seeded):
    claim = get_event(client, "2013-03-perry-israel-airbases-claim")
    assert claim["status"] == "disputed"
    assert [(c["stance"], c["locator"]) for c in claim["citations"]] == [
        ("supports", "para. 5"),
        ("disputes", "para. 5"),
    ]
    assert claim["citations"][1]["quote"] == (
        "Azerbaijan then had to deny that information at all levels."
    )
    assert claim["tone"] is None


def test_denial_links_to_the_claim_and_the_claim_shows_it_in_linked_from(client, seeded):
    denial = get_event(client, "2013-03-perry-israel-airbases-denial")
    claim = get_event(client, "2013-03-perry-israel-airbases-claim")
    assert denial["links"] == [
        {"event_id": "2013-03-perry-israel-airbases-claim", "relation": "denies"}
    ]
    assert denial["linked_from"] == []
    assert claim["links"] == []
    assert claim["linked_from"] == [
        {"event_id": "2013-03-perry-israel-airbases-denial", "relation": "denies"}
    ]


def test_baku_conference_is_linked_from_its_two_reactions(client, seeded):
    conference = get_event(client, "2013-03-30-baku-conference-southern-azerbaijan")
    assert conference["linked_from"] == [
        {"event_id": "2013-04-sanai-calls-baku-conference-unacceptable", "relation": "responds_to"},
        {
            "event_id": "2013-04-tehran-calls-baku-conference-interference",
            "relation": "responds_to",
        },
    ]
    assert conference["links"] == []


def test_links_from_a_deleted_event_are_not_shown_in_linked_from(client, session):
    make_event(session, id="act")
    reaction = make_event(
        session, id="reaction", links=[{"event_id": "act", "relation": "responds_to"}]
    )
    assert get_event(client, "act")["linked_from"] == [
        {"event_id": "reaction", "relation": "responds_to"}
    ]
    soft_delete(session, reaction)
    assert get_event(client, "act")["linked_from"] == []


def test_unknown_event_is_a_404_problem_naming_the_id(client):
    response = client.get("/v1/events/no-such-event")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert "no-such-event" in body["detail"]
    assert body["instance"] == "/v1/events/no-such-event"


@pytest.mark.parametrize(
    "event_id",
    [
        pytest.param("UPPER-Case", id="upper-case"),
        pytest.param("a%20b", id="space"),
        pytest.param("%C3%A9v%C3%A9nement", id="non-ascii"),
        # A NUL cannot be sent to PostgreSQL: still an unknown id, not a 500.
        pytest.param("a%00b", id="nul"),
    ],
)
def test_odd_unknown_ids_are_404_too(client, event_id):
    response = client.get(f"/v1/events/{event_id}")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_deleted_event_is_a_404(client, session):
    event = make_event(session, id="gone")
    assert client.get("/v1/events/gone").status_code == 200
    event.deleted_at = utcnow()
    session.add(event)
    session.flush()
    response = client.get("/v1/events/gone")
    assert response.status_code == 404
    assert "gone" in response.json()["detail"]


# --- event types ------------------------------------------------------------------------


def test_event_types_list_exactly_the_plover_types_with_their_classes(client):
    response = client.get("/v1/event-types")
    assert response.status_code == 200
    rows = response.json()
    assert sorted(row["type"] for row in rows) == sorted(PLOVER_TYPES)
    assert len(rows) == 16
    for row in rows:
        assert set(row) >= {"type", "description", "mode", "orientation", "count"}
        assert row["description"].strip(), row["type"]
        assert row["mode"] in ("verbal", "material"), row
        assert row["orientation"] in ("cooperative", "conflictual"), row
        assert row["count"] == 0
    by_type = {row["type"]: row for row in rows}
    assert (by_type["agree"]["mode"], by_type["agree"]["orientation"]) == ("verbal", "cooperative")
    assert (by_type["aid"]["mode"], by_type["aid"]["orientation"]) == ("material", "cooperative")
    assert (by_type["accuse"]["mode"], by_type["accuse"]["orientation"]) == (
        "verbal",
        "conflictual",
    )
    assert (by_type["assault"]["mode"], by_type["assault"]["orientation"]) == (
        "material",
        "conflictual",
    )


def test_event_type_counts_match_the_seed(client, seeded):
    seed = json.loads((SEED_DIR / "events.json").read_text(encoding="utf-8"))
    expected = Counter(event["type"] for event in seed)
    rows = client.get("/v1/event-types").json()
    assert {row["type"]: row["count"] for row in rows} == {
        event_type: expected.get(event_type, 0) for event_type in PLOVER_TYPES
    }
    assert sum(row["count"] for row in rows) == len(seed)


def test_event_type_counts_leave_out_deleted_events(client, session):
    make_event(session, type="threaten")
    deleted = make_event(session, type="threaten")
    deleted.deleted_at = utcnow()
    session.add(deleted)
    session.flush()
    counts = {row["type"]: row["count"] for row in client.get("/v1/event-types").json()}
    assert counts["threaten"] == 1
