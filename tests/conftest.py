"""The database fixture: a real SQLite file or a real PostgreSQL database, chosen by
DYAD_TEST_DATABASE_URL, migrated once per run with Alembic; each test runs inside a
transaction that is rolled back (SQLAlchemy's "joining a session into an external
transaction" recipe), so no test sees rows another test left behind.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.core.db import create_db_engine, session_factory
from app.core.migrate import upgrade
from app.core.settings import Settings, get_settings
from app.keys.models import Scope
from app.keys.service import create_key
from app.main import create_app
from app.seed import load_seed


def _database_url(tmp_dir: Path) -> tuple[str, str | None]:
    """The URL tests use, and for PostgreSQL the name of the scratch database to drop."""
    given = os.environ.get("DYAD_TEST_DATABASE_URL", "sqlite")
    if given == "sqlite":
        return f"sqlite:///{tmp_dir / 'dyad-test.db'}", None
    server = make_url(given)
    name = f"dyad_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False), name


def _drop_database(given: str, name: str) -> None:
    admin = create_engine(make_url(given), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, scratch = _database_url(tmp_path_factory.mktemp("db"))
    yield url
    if scratch is not None:
        _drop_database(os.environ["DYAD_TEST_DATABASE_URL"], scratch)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    upgrade(engine)  # the schema comes from the migrations, never from create_all
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions in the test's transaction: each commit only releases a savepoint."""
    return session_factory(connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No rate limit: tests make many requests from one address (its own tests set one).
    return Settings(database_url=database_url, rate_limit=None)


@pytest.fixture
def app(settings: Settings, engine: Engine, sessions: sessionmaker[Session]) -> FastAPI:
    """The app, opening its sessions inside the test's transaction."""
    return create_app(settings, engine, sessions)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def auth(session: Session) -> dict[str, str]:
    """The Authorization header of a fresh `write` key."""
    _record, key = create_key(session, "editor", Scope.write)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def seeded(session: Session) -> Session:
    """The session with the article's events, actors and sources loaded."""
    load_seed(session)
    session.flush()
    return session


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of the run's kind, for tests that must commit.

    A new SQLite file under tmp_path, or a scratch database on the PostgreSQL server of
    DYAD_TEST_DATABASE_URL, dropped WITH (FORCE) afterwards (even if a server still holds it).
    """
    url, scratch = _database_url(tmp_path)
    yield url
    if scratch is not None:
        _drop_database(os.environ["DYAD_TEST_DATABASE_URL"], scratch)


@pytest.fixture
def cli_database_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_database_url: str
) -> Iterator[str]:
    """For the `dyad` command in-process: DYAD_DATABASE_URL names a fresh database, no other
    DYAD_* leaks in, and the working directory holds no .env file."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"DYAD_{name.upper()}", raising=False)
    monkeypatch.setenv("DYAD_DATABASE_URL", fresh_database_url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()
