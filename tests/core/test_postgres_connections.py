"""How the app uses PostgreSQL's connections: reads in autocommit, writes in a transaction,
and pooled connections that the server ended replaced before a request meets them.

The app's own sessions on a committed database, not the shared test transaction (whose
sessions reads use too, and which no server may end).
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, make_url

from app.core.db import create_db_engine, session_factory
from app.core.migrate import upgrade
from app.core.settings import Settings
from app.keys.models import Scope
from app.keys.service import create_key
from app.main import create_app
from tests.factories import make_event

EVENT = "2013-03-30-talks"


@dataclass
class Served:
    client: TestClient
    engine: Engine
    auth: dict[str, str]
    database_url: str


@pytest.fixture
def served(fresh_database_url: str) -> Iterator[Served]:
    if not fresh_database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's connections: the PostgreSQL pass of the suite")
    engine = create_db_engine(fresh_database_url)
    try:
        upgrade(engine)
        with session_factory(engine)() as session:
            key = create_key(session, "editor", Scope.write)[1]
            make_event(session, id=EVENT)
            session.commit()
        app = create_app(Settings(database_url=fresh_database_url, rate_limit=None), engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Served(client, engine, {"Authorization": f"Bearer {key}"}, fresh_database_url)
    finally:
        engine.dispose()


def _autocommit_of_statements(engine: Engine) -> tuple[list[bool], Any]:
    """A list that fills with whether each statement the engine runs is in autocommit."""
    seen: list[bool] = []

    def record(connection: Any, *_: Any) -> None:
        seen.append(connection.connection.driver_connection.autocommit)

    event.listen(engine, "before_cursor_execute", record)
    return seen, record


def test_reads_run_in_autocommit_and_writes_in_a_transaction(served: Served) -> None:
    seen, record = _autocommit_of_statements(served.engine)
    try:
        for _ in range(2):  # the pool's connection serves a read, a write, then a read again
            read = served.client.get(f"/v1/events/{EVENT}")
            assert read.status_code == 200
            assert seen and all(seen), seen
            seen.clear()
            assert _retitle(served, read.headers["ETag"]).status_code == 200
            assert seen and not any(seen), seen
            seen.clear()
    finally:
        event.remove(served.engine, "before_cursor_execute", record)
    assert served.client.get(f"/v1/events/{EVENT}").json()["title"] == "Talks resumed"


def _retitle(served: Served, etag: str) -> Any:
    return served.client.patch(
        f"/v1/events/{EVENT}",
        json={"title": "Talks resumed"},
        headers=served.auth | {"Content-Type": "application/merge-patch+json", "If-Match": etag},
    )


def _end_the_app_connections(database_url: str) -> int:
    """End every connection to the database but this one, as a restart would; how many."""
    url = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
        others = "datname = current_database() AND pid <> pg_backend_pid()"

        def count(what: str) -> int:
            row = admin.execute(f"SELECT count({what}) FROM pg_stat_activity WHERE {others}")
            return int(row.fetchone()[0])  # type: ignore[index]

        ended = count("pg_terminate_backend(pid)")
        deadline = time.monotonic() + 10
        while count("*"):
            assert time.monotonic() < deadline, "the connections did not end"
            time.sleep(0.05)
    return ended


def test_requests_after_postgresql_ended_the_pooled_connections_are_served(
    served: Served,
) -> None:
    assert served.client.get(f"/v1/events/{EVENT}").status_code == 200
    assert _end_the_app_connections(served.database_url) >= 1
    read = served.client.get(f"/v1/events/{EVENT}")
    assert read.status_code == 200, read.text
    listed = served.client.get("/v1/events", params={"dyad": "AZE-IRN", "from": "2010"})
    assert [item["id"] for item in listed.json()["items"]] == [EVENT]

    assert _end_the_app_connections(served.database_url) >= 1
    written = _retitle(served, read.headers["ETag"])
    assert written.status_code == 200, written.text
