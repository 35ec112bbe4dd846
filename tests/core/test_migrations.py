"""The migrations build exactly the schema the models describe, and run both ways."""

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from app.core.db import create_db_engine, metadata
from app.core.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from app.tables import COMPARE_OPTIONS, load_all_tables

load_all_tables()


def _schema_diff(engine: Engine) -> list[object]:
    """What `alembic revision --autogenerate` would write: configured as migrations/env.py."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"target_metadata": metadata, **COMPARE_OPTIONS},
        )
        return list(compare_metadata(context, metadata))


@pytest.fixture
def fresh_engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_database_url)
    yield engine
    engine.dispose()


def test_models_and_newest_migration_agree(engine):
    assert _schema_diff(engine) == []


def test_migrated_test_database_is_at_head(engine):
    assert head_revision() is not None
    assert current_revision(engine) == head_revision()


def test_upgrade_applies_migrations_to_an_empty_database_once(fresh_engine):
    assert inspect(fresh_engine).get_table_names() == []
    assert current_revision(fresh_engine) is None

    assert upgrade(fresh_engine) is True
    assert current_revision(fresh_engine) == head_revision()
    tables = set(inspect(fresh_engine).get_table_names())
    assert {"event", "actor", "source", "citation", "revision", "event_link", "api_key"} <= tables

    assert upgrade(fresh_engine) is False
    assert current_revision(fresh_engine) == head_revision()


def test_downgrade_to_base_then_upgrade_to_head_restores_the_schema(fresh_engine):
    upgrade(fresh_engine)
    config = alembic_config()

    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert current_revision(fresh_engine) is None
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}

    with fresh_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert current_revision(fresh_engine) == head_revision()
    assert _schema_diff(fresh_engine) == []
