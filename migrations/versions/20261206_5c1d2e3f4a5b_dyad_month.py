"""dyad_month: a dyad's events counted by month and type, for its timelines

Revision ID: 5c1d2e3f4a5b
Revises: a9ce05751a72
Create Date: 2026-12-06 18:00:00.000000

A dyad's timeline by month or year with no other filter than the event type (the chart of a
pair's history) adds up these counts, at most one row per month and type, instead of reading
each of the pair's events (app.timeline.service).

Triggers on event_dyad keep it right in the writer's own transaction, whoever writes: a row
of event_dyad added adds one to its month and type, a row dropped takes one away (the row goes
at zero), an update does both. event_dyad's own triggers add and drop its rows as events and
their countries change, so these follow. The table is filled for the rows that exist already.

NOTE for later migrations on SQLite: a batch ("move and copy") alteration of event_dyad drops
these triggers; create them again (SQLITE_TRIGGERS of app.events.derived) afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.events.derived.months import (
    POSTGRESQL_DOWNGRADE,
    POSTGRESQL_UPGRADE,
    SQLITE_TRIGGERS,
    months_of_pairs,
)

revision: str = "5c1d2e3f4a5b"
down_revision: str | None = "a9ce05751a72"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dyad_month",
        sa.Column("country_a", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("country_b", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("tone_sum", sa.Float(), nullable=False),
        sa.Column("tone_count", sa.Integer(), nullable=False),
        sa.Column("year_precision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "country_a", "country_b", "month", "type", name=op.f("pk_dyad_month")
        ),
        sqlite_with_rowid=False,
    )
    # The triggers before the rows: on PostgreSQL, creating them locks writers out until this
    # transaction ends, so no row written meanwhile escapes both the fill and the triggers.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)
    op.execute(months_of_pairs(dialect))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
    op.drop_table("dyad_month")
