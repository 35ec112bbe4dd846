"""vocabulary_count, kept by triggers: after every kind of write it equals a count of the live
events' countries, tags and types, and the vocabulary endpoints answer from it."""

from collections import Counter
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from tests.factories import make_event
from tests.support import kind_counts, write_every_way


def stored(session: Session) -> dict[tuple[str, str], int]:
    return kind_counts(session, "vocabulary_count")


def recounted(session: Session) -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    run = session.connection().execute
    live = "JOIN event AS e ON e.id = x.event_id WHERE e.deleted_at IS NULL"
    for (value,) in run(text("SELECT type FROM event WHERE deleted_at IS NULL")):
        counts["type", value] += 1
    for (value,) in run(text(f"SELECT x.country FROM event_country AS x {live}")):
        counts["country", value] += 1
    for (value,) in run(text(f"SELECT x.tag FROM event_tag AS x {live}")):
        counts["tag", value] += 1
    return dict(counts)


def assert_counts_are_right(session: Session) -> None:
    session.flush()
    assert stored(session) == recounted(session)


def test_counts_follow_every_kind_of_write(client, seeded, session, auth):
    assert_counts_are_right(session)  # the seed, through the one create path
    body = {
        "id": "counted",
        "title": "Counted",
        "date": "2014-05",
        "countries": ["AZE", "GEO"],
        "type": "consult",
        "tags": ["energy", "summit"],
    }
    patches: list[dict[str, Any]] = [
        {"type": "agree", "countries": ["AZE", "ARM"], "tags": ["energy"]},
        {"tags": []},
    ]
    records = [
        {
            "id": f"imported-{n}",
            "title": f"Imported {n}",
            "date": "2015",
            "type": "protest",
            "countries": ["AZE", "IRN"],
            "tags": ["street"],
        }
        for n in range(3)
    ]
    write_every_way(client, auth, body, patches, records, lambda: assert_counts_are_right(session))
    # Plain SQL: a country added, a tag removed, an event removed outright (its rows cascade).
    run = session.connection().execute
    run(text("INSERT INTO event_country (event_id, country) VALUES ('imported-0', 'TUR')"))
    run(text("DELETE FROM event_tag WHERE event_id = 'imported-1'"))
    run(text("DELETE FROM event WHERE id = 'imported-2'"))
    assert_counts_are_right(session)
    run(text("UPDATE event SET deleted_at = NULL, type = 'reject' WHERE id = 'imported-0'"))
    assert_counts_are_right(session)


def test_a_deleted_events_values_are_not_counted(client, session):
    make_event(session, id="gone", countries=["AZE", "KAZ"], tags=["caspian"], type="threaten")
    session.flush()
    assert stored(session)["country", "KAZ"] == 1
    session.connection().execute(
        text("UPDATE event SET deleted_at = '2026-01-01 00:00:00' WHERE id = 'gone'")
    )

    assert ("country", "KAZ") not in stored(session)
    assert ("tag", "caspian") not in stored(session)
    countries = client.get("/v1/countries").json()
    assert "KAZ" not in {country["code"] for country in countries}
    threaten = next(t for t in client.get("/v1/event-types").json() if t["type"] == "threaten")
    assert threaten["count"] == 0


def test_the_vocabulary_endpoints_answer_the_counts(client, seeded, session):
    make_event(session, id="one-more", countries=["AZE", "TUR"], tags=["Summit"], type="agree")
    session.flush()
    counts = recounted(session)

    countries = client.get("/v1/countries").json()
    tags = client.get("/v1/tags").json()
    types = client.get("/v1/event-types").json()

    assert {c["code"]: c["count"] for c in countries} == {
        value: n for (kind, value), n in counts.items() if kind == "country"
    }
    assert [c["count"] for c in countries] == sorted((c["count"] for c in countries), reverse=True)
    assert {t["tag"]: t["count"] for t in tags} == {
        value: n for (kind, value), n in counts.items() if kind == "tag"
    }
    assert {t["type"]: t["count"] for t in types if t["count"]} == {
        value: n for (kind, value), n in counts.items() if kind == "type"
    }
