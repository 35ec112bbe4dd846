"""actor_usage and source_citation: what actors and sources read of the events naming them

Revision ID: c5e8d2a7b9f1
Revises: b7e4c2a9d1f0
Create Date: 2026-12-07 14:10:00.000000

Two views over the event tables (app.events.derived.views): the live events an actor takes
part in, counted, and the citations of live events, by source. No data moves.

NOTE for later migrations on SQLite: a batch ("move and copy") alteration of event,
event_actor or citation leaves these views naming the table by name, which is right again
once the copy takes the old name.
"""

from collections.abc import Sequence

from alembic import op

from app.events.derived.views import VIEWS

revision: str = "c5e8d2a7b9f1"
down_revision: str | None = "b7e4c2a9d1f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in VIEWS.values():
        op.execute(statement)


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW {name}")
