"""The SQLite connection settings every engine applies (a real file, whichever pass runs)."""

from sqlalchemy import text

from app.core.db import create_db_engine


def pragmas(url: str, **options: object) -> dict[str, object]:
    engine = create_db_engine(url, **options)  # type: ignore[arg-type]
    try:
        with engine.connect() as connection:
            return {
                name: connection.execute(text(f"PRAGMA {name}")).scalar()
                for name in (
                    "journal_mode",
                    "foreign_keys",
                    "synchronous",
                    "cache_size",
                    "query_only",
                )
            }
    finally:
        engine.dispose()


def test_defaults_are_wal_foreign_keys_and_full_sync(tmp_path):
    assert pragmas(f"sqlite:///{tmp_path / 'a.db'}") == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 2,  # FULL
        "cache_size": -2000,  # SQLite's own default: 2 MB
        "query_only": 0,
    }


def test_bulk_loads_may_ask_for_a_larger_page_cache(tmp_path):
    assert pragmas(f"sqlite:///{tmp_path / 'b.db'}", sqlite_cache_mb=256)["cache_size"] == -262144


def test_a_read_only_engine_opens_query_only_connections(tmp_path):
    assert pragmas(f"sqlite:///{tmp_path / 'c.db'}", read_only=True)["query_only"] == 1
