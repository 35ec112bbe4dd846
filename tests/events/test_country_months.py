"""country_month, kept by triggers: after every kind of write it equals the live events counted
by country (and '' for every event), month and type, and timelines of one country or of every
event read it."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support import write_every_way

Key = tuple[str, date, str]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def stored(session: Session) -> dict[Key, tuple[Any, ...]]:
    rows = session.connection().execute(
        text(
            "SELECT country, month, type, events, tone_sum, tone_count, year_precision"
            " FROM country_month"
        )
    )
    return {(c, _day(m), t): (n, pytest.approx(s), k, y) for c, m, t, n, s, k, y in rows}


def recounted(session: Session) -> dict[Key, tuple[Any, ...]]:
    events = session.connection().execute(
        text(
            "SELECT e.id, e.date_lower, e.type, e.tone, e.date_precision, c.country"
            " FROM event AS e LEFT JOIN event_country AS c ON c.event_id = e.id"
            " WHERE e.deleted_at IS NULL"
        )
    )
    totals: dict[Key, list[Any]] = {}
    seen: set[str] = set()
    for event_id, lower, event_type, tone, precision, country in events:
        month = _day(lower).replace(day=1)
        scopes = [country] if country else []
        if event_id not in seen:  # every event once under ''
            seen.add(event_id)
            scopes.append("")
        for scope in scopes:
            row = totals.setdefault((scope, month, event_type), [0, 0.0, 0, 0])
            row[0] += 1
            row[1] += tone or 0.0
            row[2] += tone is not None
            row[3] += precision == "year"
    return {key: (n, pytest.approx(s), k, y) for key, (n, s, k, y) in totals.items()}


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
        "tone": 2.5,
    }
    patches: list[dict[str, Any]] = [
        {"type": "agree", "countries": ["AZE", "ARM"], "date": "2015"},
        {"tone": None, "date": "2015-02-03"},
    ]
    records = [
        {
            "id": f"imported-{n}",
            "title": f"Imported {n}",
            "date": "2015",
            "type": "protest",
            "tone": -n,
            "countries": ["AZE", "IRN"],
        }
        for n in range(3)
    ]
    write_every_way(client, auth, body, patches, records, lambda: assert_counts_are_right(session))
    # Plain SQL: a country added, one removed, one changed, an event removed outright.
    run = session.connection().execute
    run(text("INSERT INTO event_country (event_id, country) VALUES ('imported-0', 'TUR')"))
    run(text("DELETE FROM event_country WHERE event_id = 'imported-1' AND country = 'IRN'"))
    run(text("UPDATE event_country SET country = 'USA' WHERE event_id = 'imported-1'"))
    run(text("DELETE FROM event WHERE id = 'imported-2'"))
    assert_counts_are_right(session)
    run(text("UPDATE event SET type = 'reject', date_lower = '2016-03-04' WHERE id = 'imported-0'"))
    run(text("UPDATE event SET deleted_at = CURRENT_TIMESTAMP WHERE id = 'imported-1'"))
    assert_counts_are_right(session)


@pytest.mark.parametrize("params", [{}, {"country": "AZE"}, {"country": "IRN", "type": "reject"}])
def test_timelines_of_one_country_or_every_event_equal_those_counted(
    client, seeded, session, params, monkeypatch
):
    from app.timeline import service

    for bucket in ("year", "month"):
        stored_answer = client.get("/v1/timeline", params=params | {"bucket": bucket}).json()
        monkeypatch.setattr(service, "_monthly", lambda _query: False)
        counted = client.get("/v1/timeline", params=params | {"bucket": bucket}).json()
        monkeypatch.undo()
        assert stored_answer == counted
        assert sum(b["count"] for b in stored_answer["buckets"]) > 0
