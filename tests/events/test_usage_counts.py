"""usage_count and dyad_actor, kept by triggers: after every kind of write they equal a count
of the live events per actor (an actor in two roles of one event once), of their citations per
source, and of the live events per pair and actor; the actors' and sources' endpoints answer
from usage_count."""

from collections import Counter

from sqlalchemy import text
from sqlmodel import Session

from app.events.derived.counts import take
from app.events.derived.usage import KINDS, TABLE
from tests.factories import make_actor, make_event, make_source
from tests.support import kind_counts, write_every_way


def stored(session: Session) -> dict[tuple[str, str], int]:
    return kind_counts(session, "usage_count")


def recounted(session: Session) -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    run = session.connection().execute
    live = "JOIN event AS e ON e.id = x.event_id WHERE e.deleted_at IS NULL"
    for _event, value in run(
        text(f"SELECT DISTINCT x.event_id, x.actor_id FROM event_actor AS x {live}")
    ):
        counts["actor", value] += 1
    for (value,) in run(text(f"SELECT x.source_id FROM citation AS x {live}")):
        counts["source", value] += 1
    return dict(counts)


def pair_actors(session: Session) -> dict[tuple[str, str, str], int]:
    rows = session.connection().execute(
        text("SELECT country_a, country_b, actor_id, events FROM dyad_actor")
    )
    return {(a, b, actor): events for a, b, actor, events in rows}


def pair_actors_recounted(session: Session) -> dict[tuple[str, str, str], int]:
    counts: Counter[tuple[str, str, str]] = Counter()
    rows = session.connection().execute(
        text(
            "SELECT DISTINCT d.country_a, d.country_b, x.actor_id, d.event_id"
            " FROM event_dyad AS d JOIN event_actor AS x ON x.event_id = d.event_id"
        )
    )
    for a, b, actor, _event in rows:
        counts[a, b, actor] += 1
    return dict(counts)


def assert_counts_are_right(session: Session) -> None:
    session.flush()
    assert stored(session) == recounted(session)
    assert pair_actors(session) == pair_actors_recounted(session)


def test_counts_follow_every_kind_of_write(client, seeded, session, auth):
    assert_counts_are_right(session)  # the seed, through the one create path
    aliyev, raisi = make_actor(session, id="aliyev"), make_actor(session, id="raisi")
    source = make_source(session)
    body = {
        "id": "counted",
        "title": "Counted",
        "date": "2014-05",
        "countries": ["AZE", "IRN"],
        "type": "consult",
        # Two roles of one actor: one event.
        "actors": [{"id": aliyev, "role": "initiator"}, {"id": aliyev, "role": "target"}],
        "citations": [{"source_id": source, "quote": "a"}, {"source_id": source, "quote": "b"}],
    }
    patches = [
        {"actors": [{"id": aliyev, "role": "target"}, {"id": raisi, "role": "target"}]},
        {"citations": [{"source_id": source, "quote": "c"}], "actors": []},
    ]
    records = [
        {
            "id": f"imported-{n}",
            "title": f"Imported {n}",
            "date": "2015",
            "type": "protest",
            "countries": ["AZE", "IRN"],
            "actors": [{"id": raisi, "role": "initiator"}, {"id": raisi, "role": "participant"}],
            "citations": [{"source_id": source}],
        }
        for n in range(3)
    ]
    write_every_way(client, auth, body, patches, records, lambda: assert_counts_are_right(session))
    assert stored(session)["actor", aliyev] == 1  # two roles, one event
    assert stored(session)["source", source] == 2 + 3
    assert pair_actors(session)["AZE", "IRN", raisi] == 3
    run = session.connection().execute
    # Plain SQL: a role added, a role removed, an actor moved, an event removed outright.
    run(
        text(
            "INSERT INTO event_actor (event_id, actor_id, role, position)"
            " VALUES ('imported-0', 'aliyev', 'target', 5),"
            " ('imported-0', 'aliyev', 'initiator', 6)"
        )
    )
    assert_counts_are_right(session)
    run(text("INSERT INTO event_country (event_id, country) VALUES ('imported-0', 'TUR')"))
    run(text("DELETE FROM event_country WHERE event_id = 'imported-2' AND country = 'IRN'"))
    assert_counts_are_right(session)
    run(text("DELETE FROM event_actor WHERE event_id = 'imported-1'"))
    run(text("UPDATE event_actor SET actor_id = 'aliyev' WHERE event_id = 'imported-2'"))
    assert_counts_are_right(session)
    run(text("UPDATE event_actor SET role = 'target' WHERE role = 'participant'"))
    run(text("DELETE FROM citation WHERE event_id = 'imported-1'"))
    run(text("DELETE FROM event WHERE id = 'imported-2'"))
    assert_counts_are_right(session)
    run(text("UPDATE event SET deleted_at = CURRENT_TIMESTAMP WHERE id = 'imported-0'"))
    assert_counts_are_right(session)


def test_the_actors_and_sources_endpoints_answer_the_counts(client, seeded, session):
    actor = make_actor(session, id="counted-actor")
    source = make_source(session)
    citations = [{"source_id": source}, {"source_id": source, "quote": "again"}]
    roles = [{"id": actor, "role": "initiator"}, {"id": actor, "role": "target"}]
    for n in range(3):
        make_event(session, id=f"used-{n}", actors=roles, citations=citations)
    session.flush()
    counts = recounted(session)

    actors = client.get("/v1/actors", params={"limit": 500}).json()["items"]
    sources = client.get("/v1/sources", params={"limit": 500}).json()["items"]

    assert {a["id"]: a["event_count"] for a in actors} == {
        a["id"]: counts.get(("actor", a["id"]), 0) for a in actors
    }
    assert client.get(f"/v1/actors/{actor}").json()["event_count"] == 3
    assert {s["id"]: s["citation_count"] for s in sources} == {
        s["id"]: counts.get(("source", s["id"]), 0) for s in sources
    }
    assert next(s for s in sources if s["id"] == source)["citation_count"] == 6


def test_a_count_taken_to_zero_is_deleted_by_its_key(session):
    """A row trigger deletes the counts it took to zero by their key: looking through every
    count of the kind cost as much as the sources are many, once per citation deleted."""
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:  # the plan a big table gets, not a small one's sequential scan
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    for kind in KINDS:
        delete = take(kind, "SELECT 'src-1' AS value", TABLE)[-1]
        explain = "EXPLAIN" if postgresql else "EXPLAIN QUERY PLAN"
        plan = [str(row[-1]) for row in connection.exec_driver_sql(f"{explain} {delete}")]
        # PostgreSQL: "Index Cond: (((kind)::text = 'source'::text) AND ((value)::text = …"
        # SQLite: "SEARCH usage_count USING INDEX sqlite_autoindex_usage_count_1 (kind=? AND
        # value=?)".
        wanted = "Index Cond" if postgresql else "SEARCH"
        assert any(wanted in line and "value" in line for line in plan), plan
