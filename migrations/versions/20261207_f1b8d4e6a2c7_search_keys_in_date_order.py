"""SQLite's search index keyed in the order of events, so that a search reads its matches by date

Revision ID: f1b8d4e6a2c7
Revises: e7a3c9d5b2f4
Create Date: 2026-12-07 16:50:00.000000

Each event's row of event_search takes a key made of its date_lower and precision (app.events.
derived.search): the index is rebuilt with those keys, and the triggers that keep it are made
anew (an event whose date changes moves to a new key). PostgreSQL's index is unchanged.
"""

from collections.abc import Sequence

from alembic import op

from app.events.derived.search import SQLITE_TRIGGERS, fill

revision: str = "f1b8d4e6a2c7"
down_revision: str | None = "e7a3c9d5b2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DELETE FROM event_search")
    op.execute("DELETE FROM event_search_key")
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)
    for statement in fill("event AS e"):
        op.execute(statement)


def downgrade() -> None:
    # The keys in date order are keys as good as any: only the trigger that moves them goes.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_search_event_move")
