"""Alembic environment: the same settings and metadata as the app."""

from alembic import context
from sqlalchemy import Connection

from app.core.db import create_db_engine, metadata
from app.core.settings import get_settings
from app.tables import COMPARE_OPTIONS, load_all_tables

load_all_tables()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, **COMPARE_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


# Tests and `dyad migrate` may hand over a connection; otherwise use the settings' URL.
given: Connection | None = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    engine = create_db_engine(get_settings().database_url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()
