"""DYAD_READ_ONLY: a process in front of a read replica reads, and refuses every write cleanly."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from app.core.db import create_db_engine, session_factory
from app.core.migrate import upgrade
from app.core.settings import Settings
from app.keys.models import ApiKey, Scope
from app.keys.service import create_key
from app.main import create_app
from app.seed import load_seed


@pytest.fixture
def replica(fresh_database_url):
    """A seeded database with a key, served by a read-only app over read-only connections."""
    writer = create_db_engine(fresh_database_url)
    upgrade(writer)
    with session_factory(writer)() as session:
        load_seed(session)
        _record, key = create_key(session, "reader", Scope.write)
        session.commit()
    writer.dispose()
    settings = Settings(database_url=fresh_database_url, rate_limit=None, read_only=True)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, key, app.state.engine


def test_reads_are_served_and_write_nothing_not_even_the_keys_last_use(replica):
    client, key, engine = replica
    response = client.get(
        "/v1/events",
        params={"dyad": "AZE-IRN", "limit": 3},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    assert len(response.json()["items"]) == 3
    with Session(engine) as session:
        assert session.exec(select(ApiKey.last_used_at)).all() == [None]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "POST",
            "/v1/events",
            {"title": "x", "date": "2014", "countries": ["AZE", "IRN"], "type": "consult"},
        ),
        ("POST", "/v1/imports", []),
        ("DELETE", "/v1/events/2012-08-aliyev-declines-nam-summit", None),
    ],
)
def test_writes_are_a_503_problem_that_names_the_primary(replica, method, path, body):
    client, key, _engine = replica
    response = client.request(
        method, path, json=body, headers={"Authorization": f"Bearer {key}", "If-Match": "*"}
    )
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "Retry-After" not in response.headers  # the same write would fail again
    assert "send writes to the primary" in response.json()["detail"]
    assert client.get("/v1/events/2012-08-aliyev-declines-nam-summit").status_code == 200


def test_the_connections_themselves_refuse_writes(replica):
    _client, _key, engine = replica
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(text("UPDATE event SET title = 'changed'"))


def test_every_operation_that_writes_is_refused(replica):
    client, key, _engine = replica
    writes = [
        (method.upper(), path)
        for path, operations in client.get("/openapi.json").json()["paths"].items()
        for method in operations
        if method not in ("get", "head", "options")
    ]
    assert len(writes) >= 10  # events, actors, sources, imports, keys
    for method, path in writes:
        url = path.replace("{event_id}", "2013-x").replace("{prefix}", "00000000")
        url = url.replace("{actor_id}", "x").replace("{source_id}", "x")
        response = client.request(
            method, url, json={}, headers={"Authorization": f"Bearer {key}", "If-Match": "*"}
        )
        assert response.status_code == 503, (method, path, response.text)
