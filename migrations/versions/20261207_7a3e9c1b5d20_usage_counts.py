"""usage_count (live events per actor, citations per source), country_month (live events
by country, month and type) and dyad_actor (a pair's live events per actor), kept by
triggers; indexes for a country's partners

Revision ID: 7a3e9c1b5d20
Revises: d2f6a1c8e4b3
Create Date: 2026-12-07 16:30:00.000000

Timelines of one country or of every event add up country_month's months
(app.events.derived.country_months). `GET /v1/actors` and `/v1/sources` read the usage
counts (through the views actor_usage and source_usage) instead of counting events for each
row of a page (app.events.derived.usage). `GET /v1/relations` of a country adds up its pairs'
rows of dyad_month (ix_dyad_month_country_b finds those where it comes second) and finds each
pair's last date_upper in ix_event_dyad_last_date; a pair's summary names its top actors from
dyad_actor (app.events.derived.dyad_actors). The triggers come before the fills: on
PostgreSQL, creating them locks writers out until this transaction ends.

NOTE for later migrations on SQLite: a batch ("move and copy") alteration of event,
event_country, event_dyad, event_actor or citation drops that table's triggers; create them again
(SQLITE_TRIGGERS of app.events.derived.usage, .country_months and .dyad_actors)
afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.events.derived import country_months, dyad_actors, usage, views
from app.events.derived.dyads import LAST_DATE

revision: str = "7a3e9c1b5d20"
down_revision: str | None = "d2f6a1c8e4b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_count",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_usage_count")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in usage.SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in usage.POSTGRESQL_UPGRADE:
            op.execute(statement)
    for statement in usage.fill():
        op.execute(statement)
    op.create_table(
        "country_month",
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("tone_sum", sa.Float(), nullable=False),
        sa.Column("tone_count", sa.Integer(), nullable=False),
        sa.Column("year_precision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("country", "month", "type", name=op.f("pk_country_month")),
        sqlite_with_rowid=False,
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in country_months.SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in country_months.POSTGRESQL_UPGRADE:
            op.execute(statement)
    for statement in country_months.fill(dialect):
        op.execute(statement)
    op.create_table(
        "dyad_actor",
        sa.Column("country_a", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("country_b", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("country_a", "country_b", "actor_id", name=op.f("pk_dyad_actor")),
        sqlite_with_rowid=False,
    )
    if dialect == "sqlite":
        for statement in dyad_actors.SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in dyad_actors.POSTGRESQL_UPGRADE:
            op.execute(statement)
    op.execute(dyad_actors.fill())
    op.execute("DROP VIEW actor_usage")
    for statement in usage.VIEWS.values():
        op.execute(statement)
    op.create_index(
        "ix_event_dyad_last_date",
        "event_dyad",
        ["country_a", "country_b", "date_upper"],
        sqlite_where=sa.text(LAST_DATE),
        postgresql_where=sa.text(LAST_DATE),
    )
    op.create_index("ix_dyad_month_country_b", "dyad_month", ["country_b", "country_a"])


def downgrade() -> None:
    op.drop_index("ix_dyad_month_country_b", table_name="dyad_month")
    op.drop_index("ix_event_dyad_last_date", table_name="event_dyad")
    for name in usage.VIEWS:
        op.execute(f"DROP VIEW {name}")
    op.execute(views.VIEWS["actor_usage"])
    if op.get_bind().dialect.name == "sqlite":
        for module in (dyad_actors, country_months, usage):
            for name in module.SQLITE_TRIGGERS:
                op.execute(f"DROP TRIGGER {name}")
    else:
        for module in (dyad_actors, country_months, usage):
            for statement in module.POSTGRESQL_DOWNGRADE:
                op.execute(statement)
    op.drop_table("dyad_actor")
    op.drop_table("country_month")
    op.drop_table("usage_count")
