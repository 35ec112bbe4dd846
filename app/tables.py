"""Imports every table model, so that the metadata knows the whole schema."""


def load_all_tables() -> None:
    import app.actors.models
    import app.changes.models
    import app.events.models
    import app.keys.models
    import app.sources.models  # noqa: F401
