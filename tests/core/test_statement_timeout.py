"""One slow statement is cancelled by the database (or SQLite's progress handler): a 503."""

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from app.core.db import create_db_engine, is_statement_timeout
from app.core.migrate import upgrade
from app.events import service
from app.main import create_app


def slow_statement(engine_or_dialect: Engine | str) -> str:
    """A statement that runs for seconds without touching any table."""
    name = engine_or_dialect if isinstance(engine_or_dialect, str) else engine_or_dialect.name
    if name == "postgresql":
        return "SELECT pg_sleep(5)"
    return (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000000) "
        "SELECT count(*) FROM n"
    )


@pytest.fixture
def timed_engine(fresh_database_url):
    engine = create_db_engine(fresh_database_url, statement_timeout=0.3)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_statement_past_the_timeout_is_cancelled(timed_engine):
    started = time.monotonic()
    with pytest.raises(OperationalError) as caught, timed_engine.connect() as connection:
        connection.execute(text(slow_statement(timed_engine.dialect.name)))
    assert time.monotonic() - started < 3
    assert is_statement_timeout(caught.value)


def test_quick_statements_run_as_usual_and_the_connection_is_reusable(timed_engine):
    with timed_engine.connect() as connection:
        with pytest.raises(OperationalError):
            connection.execute(text(slow_statement(timed_engine.dialect.name)))
        connection.rollback()
        assert connection.execute(text("SELECT 41 + 1")).scalar_one() == 42


def test_the_api_answers_a_503_problem_without_retry_after(settings, timed_engine, monkeypatch):
    def pathological(session, query):
        session.execute(text(slow_statement(timed_engine.dialect.name)))
        raise AssertionError("the statement should have been cancelled")

    monkeypatch.setattr(service, "list_events", pathological)
    with TestClient(create_app(settings, timed_engine)) as client:
        response = client.get("/v1/events")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "retry-after" not in response.headers
        assert "ran longer than this server allows" in response.json()["detail"]
        # The worker is free again at once.
        assert client.get("/v1/event-types").status_code == 200


def test_the_command_line_engine_has_no_timeout(fresh_database_url):
    engine = create_db_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "0"
            else:
                assert "deadline" not in connection.info  # no progress handler installed
    finally:
        engine.dispose()
