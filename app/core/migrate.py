"""Alembic, driven from Python: bring a database to the newest revision."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app.core.db import WRITE_TRANSACTION, lock_writer

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> bool:
    """Migrate to head; True if anything was applied."""
    if current_revision(engine) == head_revision():
        return False
    config = alembic_config()
    # As the one writer: processes started at once (workers, machines, `make run` beside a
    # serve) migrate in turn, and those that waited find the schema new and do nothing.
    with engine.connect() as connection:
        connection.execution_options(**WRITE_TRANSACTION)
        with connection.begin():
            lock_writer(connection)
            if MigrationContext.configure(connection).get_current_revision() == head_revision():
                return False
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    return True
