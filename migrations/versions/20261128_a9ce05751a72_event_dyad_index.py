"""event_dyad: the index of live events by pair of countries

Revision ID: a9ce05751a72
Revises: 8d601f3c36c5
Create Date: 2026-11-28 15:40:00.000000

One row per pair of a live event's countries (country_a < country_b), with the event's
date_lower, date_precision and id as the rest of its key (the documented order of events), and
the date_upper, type, tone and status that dyad pages, timelines and relations test or count,
and the days between its dates. A dyad page is then a range scan of the key in order, and a
dyad timeline reads no event (app.events.models.EventDyad).

Triggers keep it right in the writer's own transaction, whoever writes (the API, imports or
plain SQL): inserting or deleting a country of an event adds or drops its pairs; updating an
event's copied columns, or deleting or restoring it (deleted_at), rewrites its rows. Deleted
events have none. The table is filled for the events that exist already.

NOTE for later migrations on SQLite: a batch ("move and copy") alteration of `event` or
`event_country` drops that table's triggers, and SQLite refuses its final rename while a
trigger of the other table names it. Drop every trigger of SQLITE_TRIGGERS (app.events.derived.dyads) first and
create them again afterwards (tests/events/test_dyad_index.py checks they exist at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.events.derived.dyads import (
    POSTGRESQL_DOWNGRADE,
    POSTGRESQL_UPGRADE,
    SQLITE_TRIGGERS,
    pairs_of_events,
)

revision: str = "a9ce05751a72"
down_revision: str | None = "8d601f3c36c5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_dyad",
        sa.Column("country_a", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("country_b", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("date_lower", sa.Date(), nullable=False),
        sa.Column("date_precision", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column(
            "event_id",
            sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("date_upper", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("tone", sa.Float(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("span_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_dyad_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "country_a",
            "country_b",
            "date_lower",
            "date_precision",
            "event_id",
            name=op.f("pk_event_dyad"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_event_dyad_event_id"), "event_dyad", ["event_id"], unique=False)
    # Events longer than a year (365 days, app.events.models.YEAR_SPAN_DAYS) are few: only
    # their spans are indexed.
    op.create_index(
        "ix_event_dyad_long_span",
        "event_dyad",
        ["country_a", "country_b", "span_days"],
        unique=False,
        sqlite_where=sa.text("span_days > 365"),
        postgresql_where=sa.text("span_days > 365"),
    )
    # The triggers before the rows: on PostgreSQL, creating them locks writers out until this
    # transaction ends, so no event written meanwhile escapes both the fill and the triggers.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)
    op.execute(pairs_of_events(dialect))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
    op.drop_index("ix_event_dyad_long_span", table_name="event_dyad")
    op.drop_index(op.f("ix_event_dyad_event_id"), table_name="event_dyad")
    op.drop_table("event_dyad")
