"""event_dyad, the index of live events by pair of countries, and dyad_month, its counts.

Triggers keep them right whoever writes (the API, or plain SQL as imports do); dyad pages walk
the index in order; dyad timelines add up dyad_month or count over the index; pair summaries
count over the index. Each is checked here against what the events themselves say.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import combinations
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, event, insert, select, text
from sqlmodel import Session

from app.core.db import create_db_engine, utcnow
from app.core.migrate import alembic_config
from app.events.models import DyadMonth, Event, EventCountry, EventDyad
from app.events.ordering import _longest_span
from app.events.public import store_documents
from tests.events.test_event_properties import (
    COUNTRIES,
    PRECISION_RANK,
    PROPERTY_SETTINGS,
    TAGS,
    TYPES,
    Fact,
    _build,
    _model,
    _walk,
    edtf_dates,
    in_order,
    maybe,
    some,
    tones,
)
from tests.factories import make_event

BEFORE_THE_INDEX = "8d601f3c36c5"  # the revision before event_dyad's
Row = tuple[Any, ...]


def index_rows(connection: Connection) -> set[Row]:
    """What event_dyad holds."""
    table = EventDyad.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in _INDEX_COLUMNS]
    return {tuple(row) for row in connection.execute(select(*columns))}


_INDEX_COLUMNS = (
    "country_a",
    "country_b",
    "date_lower",
    "date_precision",
    "event_id",
    "date_upper",
    "type",
    "tone",
    "status",
    "span_days",
)


def expected_rows(connection: Connection) -> set[Row]:
    """What event_dyad should hold, from the events and their countries, computed here."""
    event_table = Event.__table__  # type: ignore[attr-defined]
    countries: dict[str, list[str]] = defaultdict(list)
    for row in connection.execute(select(EventCountry.__table__)):  # type: ignore[attr-defined]
        countries[row.event_id].append(row.country)
    rows = set()
    for e in connection.execute(select(event_table).where(event_table.c.deleted_at.is_(None))):
        for a, b in combinations(sorted(countries[e.id]), 2):
            days = (e.date_upper - e.date_lower).days
            copied = (e.date_lower, e.date_precision, e.id, e.date_upper, e.type, e.tone, e.status)
            rows.add((a, b, *copied, days))
    return rows


def pairs_of(connection: Connection, event_id: str) -> set[tuple[str, str]]:
    return {(row[0], row[1]) for row in index_rows(connection) if row[4] == event_id}


def month_rows(connection: Connection) -> dict[Row, Row]:
    """What dyad_month holds: (pair, month, type) -> (events, tone sum, tones, year-precise)."""
    table = DyadMonth.__table__  # type: ignore[attr-defined]
    return {tuple(row[:4]): tuple(row[4:]) for row in connection.execute(select(table))}


def expected_months(connection: Connection) -> dict[Row, Row]:
    """What dyad_month should hold, added up here from event_dyad's rows."""
    months: dict[Row, list[Any]] = {}
    for a, b, lower, precision, _id, _upper, event_type, tone, _status, _days in index_rows(
        connection
    ):
        totals = months.setdefault((a, b, lower.replace(day=1), event_type), [0, 0.0, 0, 0])
        totals[0] += 1
        if tone is not None:
            totals[1] += tone
            totals[2] += 1
        totals[3] += precision == "year"
    return {key: tuple(totals) for key, totals in months.items()}


def assert_index_is_right(connection: Connection) -> None:
    """event_dyad as the events say, and dyad_month as event_dyad adds up."""
    assert index_rows(connection) == expected_rows(connection)
    assert month_rows(connection) == expected_months(connection)


# --- the triggers keep it right ------------------------------------------------------------


def test_api_writes_keep_the_index_to_the_pairs_of_live_events(client, session, auth):
    connection = session.connection()
    body = {"title": "Talks", "date": "2013-03", "countries": ["IR", "AZE", "ARM"]}
    created = client.post("/v1/events", json=body | {"type": "consult", "tone": 2}, headers=auth)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert pairs_of(connection, event_id) == {("ARM", "AZE"), ("ARM", "IRN"), ("AZE", "IRN")}
    assert_index_is_right(connection)

    replaced = client.put(
        f"/v1/events/{event_id}",
        json={"title": "Talks", "date": "2012", "end_date": "2014-06", "countries": ["TUR", "IRN"]}
        | {"type": "reject", "tone": -3},
        headers=auth | {"If-Match": '"1"'},
    )
    assert replaced.status_code == 200, replaced.text
    key = ("IRN", "TUR", date(2012, 1, 1), "year", event_id)
    days = (date(2014, 6, 30) - date(2012, 1, 1)).days
    assert index_rows(connection) == {(*key, date(2014, 6, 30), "reject", -3.0, "unsourced", days)}
    patched = client.patch(
        f"/v1/events/{event_id}",
        content='{"tone": null, "countries": ["TUR", "IRN", "GEO"]}',
        headers=auth | {"If-Match": '"2"', "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert pairs_of(connection, event_id) == {("GEO", "IRN"), ("GEO", "TUR"), ("IRN", "TUR")}
    assert_index_is_right(connection)

    deleted = client.delete(f"/v1/events/{event_id}", headers=auth | {"If-Match": '"3"'})
    assert deleted.status_code == 204, deleted.text
    assert index_rows(connection) == set()
    assert_index_is_right(connection)

    restored = client.post(f"/v1/events/{event_id}/restore", headers=auth)
    assert restored.status_code == 200, restored.text
    assert pairs_of(connection, event_id) == {("GEO", "IRN"), ("GEO", "TUR"), ("IRN", "TUR")}
    assert_index_is_right(connection)


def test_plain_sql_writes_keep_the_index_right(session):
    connection = session.connection()
    now = utcnow()
    event = {
        "title": "Imported",
        "date": "2013-05-01",
        "type": "protest",
        "tone": -4.5,
        "date_lower": date(2013, 5, 1),
        "date_upper": date(2013, 5, 1),
        "date_precision": "day",
        "status": "reported",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    connection.execute(insert(Event), [event | {"id": "sql-1"}, event | {"id": "sql-2"}])
    # One statement for several countries of several events, as a bulk import writes them.
    connection.execute(
        text(
            "INSERT INTO event_country (event_id, country) VALUES ('sql-1', 'IRN'),"
            " ('sql-1', 'AZE'), ('sql-1', 'GEO'), ('sql-2', 'AZE'), ('sql-2', 'IRN')"
        )
    )
    assert pairs_of(connection, "sql-1") == {("AZE", "GEO"), ("AZE", "IRN"), ("GEO", "IRN")}
    assert pairs_of(connection, "sql-2") == {("AZE", "IRN")}
    assert_index_is_right(connection)

    connection.execute(
        text("UPDATE event SET date_lower = '2011-01-01', tone = NULL WHERE id = 'sql-1'")
    )
    assert {row[2] for row in index_rows(connection) if row[4] == "sql-1"} == {date(2011, 1, 1)}
    assert_index_is_right(connection)

    connection.execute(text("UPDATE event_country SET country = 'ARM' WHERE country = 'GEO'"))
    connection.execute(
        text("DELETE FROM event_country WHERE event_id = 'sql-2' AND country = 'IRN'")
    )
    assert pairs_of(connection, "sql-1") == {("ARM", "AZE"), ("ARM", "IRN"), ("AZE", "IRN")}
    assert pairs_of(connection, "sql-2") == set()
    assert_index_is_right(connection)

    connection.execute(text("UPDATE event SET deleted_at = updated_at WHERE id = 'sql-1'"))
    assert index_rows(connection) == set()
    connection.execute(text("UPDATE event SET deleted_at = NULL WHERE id = 'sql-1'"))
    assert len(index_rows(connection)) == 3
    connection.execute(text("DELETE FROM event WHERE id = 'sql-1'"))
    assert index_rows(connection) == set()
    assert_index_is_right(connection)


def test_the_migration_fills_the_index_for_the_events_there_already(fresh_database_url):
    engine = create_db_engine(fresh_database_url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, BEFORE_THE_INDEX)
            now = utcnow()
            base: dict[str, Any] = {"title": "Old", "date": "2012", "type": "accuse"}
            base |= {"date_precision": "year"}
            base |= {"status": "unsourced", "version": 1, "created_at": now, "updated_at": now}
            base |= {"date_lower": date(2012, 1, 1), "date_upper": date(2012, 12, 31)}
            base |= {"tone": None, "deleted_at": None}  # every row names every column
            connection.execute(
                insert(Event),
                [
                    base | {"id": "old-1"},
                    base | {"id": "old-2", "tone": 1.5},
                    base | {"id": "old-gone", "deleted_at": now},
                ],
            )
            connection.execute(
                insert(EventCountry),
                [
                    {"event_id": event_id, "country": country}
                    for event_id, countries in [
                        ("old-1", "AZE IRN"),
                        ("old-2", "USA IRN AZE"),
                        ("old-gone", "AZE IRN"),
                    ]
                    for country in countries.split()
                ],
            )
            command.upgrade(config, "head")
            assert {(row[0], row[1], row[4]) for row in index_rows(connection)} == {
                ("AZE", "IRN", "old-1"),
                ("AZE", "IRN", "old-2"),
                ("AZE", "USA", "old-2"),
                ("IRN", "USA", "old-2"),
            }
            assert_index_is_right(connection)
    finally:
        engine.dispose()


def test_the_triggers_that_keep_the_index_exist_at_head(engine):
    # A later batch migration of `event` or `event_country` on SQLite drops their triggers.
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
            )
            assert {tuple(row) for row in rows} >= {
                ("event_country", "event_dyad_country_insert"),
                ("event_country", "event_dyad_country_delete"),
                ("event_country", "event_dyad_country_update"),
                ("event", "event_dyad_event_update"),
                ("event_dyad", "dyad_month_insert"),
                ("event_dyad", "dyad_month_delete"),
                ("event_dyad", "dyad_month_update"),
            }
        else:
            rows = connection.exec_driver_sql(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
            )
            assert {tuple(row) for row in rows} >= {
                ("event_country", "event_dyad_country"),
                ("event", "event_dyad_event"),
                ("event_dyad", "dyad_month"),
            }


# --- the queries read it -------------------------------------------------------------------


@contextmanager
def statements_of(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements the engine runs meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan_of(session: Session, client: TestClient, engine: Engine, url: str, marker: str) -> str:
    """The plan of the one statement of a request that holds `marker`."""
    with statements_of(engine) as seen:
        response = client.get(url)
    assert response.status_code == 200, response.text
    [(statement, parameters)] = [(s, p) for s, p in seen if marker in s]
    connection = session.connection()
    if engine.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(row[3] for row in rows)
    # Few rows: a sequential scan would be cheapest, and hide which index the plan can use.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
    return "\n".join(row[0] for row in rows)


def tables_read(plan: str) -> list[str]:
    """The tables a plan reads, in its order (not the subqueries it reads them through)."""
    sqlite = re.search(r"^(?:SCAN|SEARCH) ", plan, re.MULTILINE)
    pattern = r"(?:SCAN|SEARCH) (\w+)" if sqlite else r" on (\w+)"
    return [name for name in re.findall(pattern, plan) if not name.startswith("anon_")]


def _insert_events(session: Session, count: int) -> None:
    """`count` events a day apart from 2007-11-20, half of them AZE-IRN, in bulk."""
    now = utcnow()
    rows = [
        {"id": f"ev-{n:04d}", "title": "t", "date": "2008", "type": "consult"}
        | {"status": "unsourced", "version": 1, "created_at": now, "updated_at": now}
        | {"date_lower": date.fromordinal(733000 + n), "date_upper": date.fromordinal(733000 + n)}
        | {"date_precision": "day"}
        for n in range(count)
    ]
    session.connection().execute(insert(Event), rows)
    pairs = [("AZE", "IRN"), ("ARM", "AZE"), ("IRN", "USA"), ("GEO", "RUS")]
    countries = [
        {"event_id": row["id"], "country": country}
        for n, row in enumerate(rows)
        for country in pairs[0 if n % 2 else n // 2 % 4]
    ]
    session.connection().execute(insert(EventCountry), countries)
    store_documents(session, [str(row["id"]) for row in rows])


def test_a_dyad_page_by_date_walks_the_index_in_order(client, session, engine):
    _insert_events(session, 400)
    first = "/v1/events?dyad=IRN-AZE&from=2008-03&to=2008-10&limit=5&fields=id"
    cursor = client.get(first).json()["next_cursor"]
    assert cursor
    marker = "ORDER BY event_dyad.date_lower"
    backwards = f"{first}&sort=-date"
    back_cursor = client.get(backwards).json()["next_cursor"]
    plans = {
        "first": plan_of(session, client, engine, first, marker),
        "next": plan_of(session, client, engine, f"{first}&cursor={cursor}", marker),
        "backwards": plan_of(session, client, engine, backwards, marker),
        "next backwards": plan_of(
            session, client, engine, f"{backwards}&cursor={back_cursor}", marker
        ),
    }
    for name, plan in plans.items():
        assert tables_read(plan) == ["event_dyad", "event"], (name, plan)
        if engine.dialect.name == "postgresql":
            assert "using pk_event_dyad on event_dyad" in plan, (name, plan)
            assert "Sort" not in plan, (name, plan)
        else:
            assert "TEMP B-TREE" not in plan, (name, plan)
    if engine.dialect.name == "sqlite":
        # The walk starts where a match may (the pair's longest span before `from`), or at the
        # cursor, and stops after `to`.
        search = "SEARCH event_dyad USING PRIMARY KEY (country_a=? AND country_b=? AND "
        cursor_bound = "(date_lower,date_precision,event_id)"
        assert search + "date_lower>? AND date_lower<?)" in plans["first"]
        assert search + f"{cursor_bound}>(?,?,?) AND date_lower<?)" in plans["next"]
        assert search + "date_lower>? AND date_lower<?)" in plans["backwards"]
        assert search + f"date_lower>? AND {cursor_bound}<(?,?,?))" in plans["next backwards"]


def test_a_dyad_timeline_reads_its_monthly_counts_or_else_the_index_alone(client, session, engine):
    _insert_events(session, 400)
    by_month = "/v1/timeline?dyad=AZE-IRN&bucket=month"
    for url, table in (
        (by_month, "dyad_month"),
        (f"{by_month}&to=2008-06", "dyad_month"),
        (f"{by_month}&from=2008-06", "event_dyad"),  # spans that began before: the events
        (f"{by_month}&to=2008-06-15", "event_dyad"),  # half a month
        ("/v1/timeline?dyad=AZE-IRN&bucket=day", "event_dyad"),
        (f"{by_month}&tone_min=-3", "event_dyad"),
    ):
        plan = plan_of(session, client, engine, url, "country_a = ")  # the request's one
        assert tables_read(plan) == [table], (url, plan)
        if engine.dialect.name == "sqlite":
            assert "USING PRIMARY KEY (country_a=? AND country_b=?" in plan, (url, plan)


def test_an_event_that_began_long_before_from_is_still_on_the_dyad_page(client, session):
    # The walk starts the pair's longest span before `from`: that of this event.
    make_event(session, id="long", date="2001-05", end_date="2014-02", countries=["AZE", "IRN"])
    make_event(session, id="short", date="2013-12-31", countries=["AZE", "IRN"])
    for n in range(3):
        make_event(session, id=f"later-{n}", date=f"2014-0{n + 1}-10", countries=["IRN", "AZE"])
    make_event(session, id="other-pair", date="2001-05", end_date="2020", countries=["AZE", "USA"])

    def ids(**params: Any) -> list[str]:
        return [item["id"] for item in client.get("/v1/events", params=params).json()["items"]]

    assert ids(dyad="AZE-IRN", **{"from": "2014"}) == ["long", "later-0", "later-1", "later-2"]
    assert ids(dyad="AZE-IRN", **{"from": "2014-04"}) == []
    assert ids(dyad="AZE-IRN", sort="-date", **{"from": "2014-02"}) == [
        "later-2",
        "later-1",
        "long",
    ]


# --- the same answers as a plain Python model (tests/events/test_event_properties.py) ------------


@st.composite
def dyad_filters(draw: st.DrawFn) -> dict[str, Any]:
    """A dyad and other filters: often only those its index answers, sometimes others too."""
    candidates: dict[str, Any] = {
        "dyad": draw(some(COUNTRIES, 2).filter(lambda p: len(p) == 2).map("-".join)),
        "type": draw(maybe(some(TYPES, 6))),
        "status": draw(maybe(some(["unsourced", "reported", "disputed"], 2))),
        "from": draw(maybe(edtf_dates())),
        "to": draw(maybe(edtf_dates())),
        "tone_min": draw(maybe(tones)),
        "tone_max": draw(maybe(tones)),
        # Filters the index does not answer: then the events are read too.
        "tag": draw(maybe(some(TAGS))),
        "country": draw(maybe(some(COUNTRIES))),
    }
    return in_order({name: value for name, value in candidates.items() if value is not None})


def matching(facts: list[Fact], params: dict[str, Any]) -> list[Fact]:
    ids = set(_model(facts, params))
    return [fact for fact in facts if fact.id in ids]


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def most_first(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def test_dyad_pages_walk_the_modelled_matches_in_order(client, session):
    facts = _build(session)

    @PROPERTY_SETTINGS
    @given(filters=dyad_filters(), sort=st.sampled_from(["date", "-date"]), limit=st.integers(1, 9))
    def walk_equals_model(filters: dict[str, Any], sort: str, limit: int) -> None:
        params = filters | {"sort": sort, "limit": limit}
        expected = _model(facts, params)
        assert list(_walk(client, params)) == expected, params
        counted = client.get("/v1/events", params=params | {"include_total": "true"})
        assert counted.json()["total"] == len(expected), params

    walk_equals_model()


def modelled_timeline(facts: list[Fact], bucket: str) -> dict[str, dict[str, Any]]:
    """The figures of every period with events, computed here."""
    length = {"year": 4, "month": 7, "day": 10}[bucket]
    periods: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        periods[fact.lower.isoformat()[:length]].append(fact)
    return {
        period: {
            "count": len(found),
            "tone_mean": mean([f.tone for f in found if f.tone is not None]),
            "types": most_first(Counter(f.type for f in found)),
            "imprecise": sum(PRECISION_RANK[f.precision] > PRECISION_RANK[bucket] for f in found),
        }
        for period, found in periods.items()
    }


@st.composite
def monthly_filters(draw: st.DrawFn) -> dict[str, Any]:
    """A dyad with only filters that dyad_month answers (a type; `to` when it is a year or
    a month), or a `to` of a day, which it does not."""
    candidates: dict[str, Any] = {
        "dyad": draw(some(COUNTRIES, 2).filter(lambda p: len(p) == 2).map("-".join)),
        "type": draw(maybe(some(TYPES, 6))),
        "to": draw(maybe(edtf_dates())),
    }
    return {name: value for name, value in candidates.items() if value is not None}


@st.composite
def country_monthly_filters(draw: st.DrawFn) -> dict[str, Any]:
    """One country or none, with only filters that country_month answers, or a `to` of a day,
    which it does not."""
    candidates: dict[str, Any] = {
        "country": draw(maybe(st.sampled_from(COUNTRIES).map(lambda code: [code]))),
        "type": draw(maybe(some(TYPES, 6))),
        "to": draw(maybe(edtf_dates())),
    }
    return {name: value for name, value in candidates.items() if value is not None}


# Any filters mostly count over the events or event_dyad; dyad_month's and country_month's own,
# mostly over them.
@pytest.mark.parametrize("drawn_filters", [dyad_filters, monthly_filters, country_monthly_filters])
def test_dyad_timelines_count_the_modelled_matches(client, session, drawn_filters):
    facts = _build(session)

    @PROPERTY_SETTINGS
    @given(filters=drawn_filters(), bucket=st.sampled_from(["year", "month"]))
    def timeline_equals_model(filters: dict[str, Any], bucket: str) -> None:
        response = client.get("/v1/timeline", params=filters | {"bucket": bucket})
        assert response.status_code == 200, response.text
        got = {
            item["period"]: {
                "count": item["count"],
                "tone_mean": item["tone_mean"],
                "types": list(item["types"].items()),
                "imprecise": item["imprecise"],
            }
            for item in response.json()["buckets"]
            if item["count"]
        }
        assert got == modelled_timeline(matching(facts, filters), bucket), filters

    timeline_equals_model()


def test_pair_summaries_count_the_modelled_matches(client, session):
    facts = _build(session)

    @PROPERTY_SETTINGS
    @given(filters=dyad_filters(), other=maybe(some(COUNTRIES, 2).filter(lambda p: len(p) == 2)))
    def pair_equals_model(filters: dict[str, Any], other: list[str] | None) -> None:
        # The pair is in the path; the filters may name another dyad, which must hold too.
        path = filters.pop("dyad")
        if other:
            filters["dyad"] = "-".join(other)
        response = client.get(f"/v1/relations/{path}", params=filters)
        assert response.status_code == 200, response.text
        found = [f for f in matching(facts, filters) if set(path.split("-")) <= f.countries]
        actors = Counter(actor for f in found for actor in f.actors)
        body = response.json()
        assert body | {"top_actors": [(a["id"], a["count"]) for a in body["top_actors"]]} == {
            "countries": sorted(path.split("-")),
            "count": len(found),
            "first_date": min((f.lower.isoformat() for f in found), default=None),
            "last_date": max((f.upper.isoformat() for f in found), default=None),
            "tone_mean": mean([f.tone for f in found if f.tone is not None]),
            "by_type": dict(most_first(Counter(f.type for f in found))),
            "by_year": {str(y): n for y, n in sorted(Counter(f.lower.year for f in found).items())},
            "top_actors": most_first(actors)[:10],
            "disputed": sum(f.status == "disputed" for f in found),
        }, (path, filters)

    pair_equals_model()


def test_postgresql_counts_a_frequent_pair_as_it_is(session, engine):
    """PostgreSQL plans a dyad's page by its estimate of the pair's rows. Were the countries of
    a pair independent, a pair of a tenth of the rows, each of its countries in no other pair,
    would seem a hundredth: few enough, on a large database, to read every match and sort
    them rather than walk a page of the index. The pair's statistics give the real count."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite walks the index in order without statistics")
    now = utcnow()
    others = ["BEL", "CAN", "DNK", "EST", "FIN", "GRC", "HUN", "ISL", "JPN", "KEN"]
    pairs = [(a, b) for a in others for b in others if a < b]
    rows, countries = [], []
    for n in range(4000):
        pair = ("AZE", "IRN") if n % 10 == 0 else pairs[n % len(pairs)]
        day = date.fromordinal(733000 + n // 2)
        rows.append(
            {"id": f"ev-{n:05d}", "title": "t", "date": day.isoformat(), "type": "consult"}
            | {"status": "unsourced", "version": 1, "created_at": now, "updated_at": now}
            | {"date_lower": day, "date_upper": day, "date_precision": "day"}
        )
        countries += [{"event_id": f"ev-{n:05d}", "country": country} for country in pair]
    connection = session.connection()
    connection.execute(insert(Event), rows)
    connection.execute(insert(EventCountry), countries)
    connection.exec_driver_sql("ANALYZE event_dyad")
    [[plan]] = connection.exec_driver_sql(
        "EXPLAIN (FORMAT JSON) SELECT event_id FROM event_dyad "
        "WHERE country_a = 'AZE' AND country_b = 'IRN'"
    )
    estimate = plan[0]["Plan"]["Plan Rows"]
    assert 200 <= estimate <= 800, estimate  # 400 rows; 40 if taken as independent


def test_the_longest_span_of_a_pair_reads_its_partial_index_even_in_a_generic_plan(session, engine):
    """A page from `from` on asks for the pair's longest span over a year, which the partial
    index ix_event_dyad_long_span holds. PostgreSQL plans a statement prepared by the driver
    once for any parameters: the year must be in the SQL for that plan to use the index, or
    it reads every row of the pair."""
    statement = str(_longest_span().compile(engine))
    connection = session.connection()
    if engine.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", ("AZE", "IRN"))
        plan = "\n".join(row[3] for row in rows)
    else:
        generic = statement.replace("%(a)s", "$1").replace("%(b)s", "$2")
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the table is empty
        connection.exec_driver_sql(f"PREPARE longest_span AS {generic}")
        try:
            rows = connection.exec_driver_sql("EXPLAIN EXECUTE longest_span('AZE', 'IRN')")
            plan = "\n".join(row[0] for row in rows)
        finally:
            connection.exec_driver_sql("DEALLOCATE longest_span")
    assert "ix_event_dyad_long_span" in plan, plan
