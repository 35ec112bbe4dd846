"""Imports every table model, so that the metadata knows the whole schema; and how Alembic
compares that schema with a database."""

from app.events.search import include_name


def load_all_tables() -> None:
    import app.actors.models
    import app.changes.models
    import app.events.models
    import app.keys.models
    import app.sources.models  # noqa: F401


# How Alembic compares the models with a database, for migrations/env.py and the tests.
COMPARE_OPTIONS = {
    "render_as_batch": True,  # lets SQLite alter tables by copying them
    "compare_type": True,
    "include_name": include_name,  # the search tables are made by hand, not by the models
}
