"""A page of events loads its related rows set-wise: the query count does not grow with it."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from tests.factories import make_actor, make_event, make_source

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        # The test's savepoints are the fixture's bookkeeping, not the page's queries.
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _make_linked_events(session: Session, count: int) -> None:
    """`count` events, each with two actors, two citations, tags and a link to the previous."""
    previous = None
    for n in range(count):
        initiator = make_actor(session)
        target = make_actor(session, kind="government", country="IRN")
        make_event(
            session,
            id=f"e-{n:03d}",
            date=f"2013-01-{n % 28 + 1:02d}",
            countries=["AZE", "IRN", "ISR"] if n % 2 else ["AZE", "IRN"],
            tags=["diplomacy", f"tag-{n}"],
            actors=[{"id": initiator, "role": "initiator"}, {"id": target, "role": "target"}],
            citations=[
                {"source_id": make_source(session), "stance": "supports", "quote": "yes"},
                {"source_id": make_source(session), "stance": "disputes", "quote": "no"},
            ],
            links=[{"event_id": previous, "relation": "responds_to"}] if previous else [],
            external_ids={"acled": f"AZE{n}"},
        )
        previous = f"e-{n:03d}"
    session.flush()
    # Start from an empty identity map, as a real request does: nothing is loaded already.
    session.expunge_all()


def _count_page(client: TestClient, engine: Engine, limit: int) -> tuple[int, list[dict[str, Any]]]:
    with counting(engine) as statements:
        response = client.get("/v1/events", params={"limit": limit})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == limit
    return len(statements), items


def test_list_page_query_count_does_not_grow_with_the_page(client, session, engine):
    _make_linked_events(session, 21)

    small, small_items = _count_page(client, engine, 2)
    large, large_items = _count_page(client, engine, 20)
    print(f"queries for a page of 2: {small}; for a page of 20: {large}")

    # The related rows were really loaded, not left out.
    for item in large_items:
        assert len(item["actors"]) == 2
        assert len(item["citations"]) == 2
        assert all(citation["source"]["url"] for citation in item["citations"])
        assert len(item["tags"]) == 2
        assert item["countries"]
        assert item["external_ids"]
    assert large_items[1]["links"] == [{"event_id": "e-000", "relation": "responds_to"}]
    assert large_items[0]["linked_from"] == [{"event_id": "e-001", "relation": "responds_to"}]
    assert small_items == large_items[:2]

    assert small == large
