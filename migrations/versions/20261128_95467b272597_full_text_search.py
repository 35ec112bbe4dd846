"""full-text search

Revision ID: 95467b272597
Revises: 4e6f9ed66809
Create Date: 2026-11-28 04:48:24.772535

One search document per event: its title, its summary and the quotes of its citations, kept
in step by triggers on `event` and `citation` (so every writer, the API, imports or plain SQL,
keeps it right), and filled for the events that exist already. Written by hand: these
structures are not in the models, and autogenerate is told to skip them
(app.events.search.include_name). app/events/search.py reads them.

Both databases fold Azerbaijani ə/Ə to a and the dotless i (U+0131) to i, so that Əliyev,
əliyev and Aliyev find each other, and drop diacritics (app.events.search does the same to the
queries); PostgreSQL also turns punctuation into spaces, so that its parser splits words where
SQLite's unicode61 tokenizer does.

NOTE for later migrations on SQLite: a batch ("move and copy") alteration of `event` or
`citation` drops that table's triggers; create them again (SQLITE_TRIGGERS of app.events.derived) afterwards.
"""

from collections.abc import Sequence

from alembic import op

from app.events.derived.search import (
    POSTGRESQL_DOWNGRADE,
    POSTGRESQL_UPGRADE,
    SQLITE_TRIGGERS,
    fill,
)

revision: str = "95467b272597"
down_revision: str | None = "4e6f9ed66809"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE TABLE event_search_key ("
        " id INTEGER NOT NULL PRIMARY KEY,"
        " event_id VARCHAR(200) NOT NULL UNIQUE)"
    )
    op.execute(
        "CREATE VIRTUAL TABLE event_search USING fts5("
        "title, summary, quotes, tokenize = 'unicode61 remove_diacritics 2')"
    )
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)
    for statement in fill("event AS e"):
        op.execute(statement)


def _sqlite_downgrade() -> None:
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE event_search")
    op.execute("DROP TABLE event_search_key")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
    else:
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
